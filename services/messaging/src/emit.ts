import { roomEvent, type RequestOrigin, type RoomEvent, type RoomEventData, type StoreTx } from '@hearth/core';

export interface CommandContext {
  readonly tx: StoreTx;
  readonly now: string;
  readonly traceparent: string | undefined;
  /** Where the request that sent the command came from; null for commands not sent on a person's behalf. */
  readonly origin: RequestOrigin | null;
  /** The room events the command appended, in order: announced once it has committed (Bus.announceRoomEvent). */
  readonly emitted: RoomEvent[];
}

/**
 * Takes the room's next sequence number, builds the event with it and appends it to
 * the room's log and the outbox, all inside the command's transaction.
 */
export async function emit(ctx: CommandContext, roomId: string, build: (seq: number) => Promise<RoomEventData> | RoomEventData): Promise<RoomEvent> {
  const seq = await ctx.tx.nextSeq(roomId);
  const event = roomEvent(await build(seq), roomId, seq, { at: ctx.now, traceparent: ctx.traceparent });
  await ctx.tx.appendEvent(event);
  ctx.emitted.push(event);
  return event;
}
