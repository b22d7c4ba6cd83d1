import { roomEvent } from '../domain/events.ts';
import type { Message } from '../domain/types.ts';
import type { NewMessage, StoreTx } from './store.ts';

/**
 * Posts as the messaging service does, in the transaction given: the room's next seq, the
 * message, and its message.created event, stamped `eventAt(seq)`.
 */
export async function postInTx(tx: StoreTx, message: Omit<NewMessage, 'seq'>, eventAt: (seq: number) => string): Promise<Message> {
  const seq = await tx.nextSeq(message.roomId);
  const inserted = await tx.insertMessage({ ...message, seq });
  await tx.appendEvent(roomEvent({ type: 'message.created', message: inserted }, message.roomId, seq, { at: eventAt(seq), traceparent: undefined }));
  return inserted;
}
