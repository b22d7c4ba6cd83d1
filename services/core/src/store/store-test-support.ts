import { roomEvent } from '../domain/events.ts';
import type { Message, Room, User } from '../domain/types.ts';
import { newId } from '../ids.ts';
import type { NewMessage, Store, StoreTx } from './store.ts';

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

/** Two people, Ada and Bob, and an open room with Ada its one member, all made at `at`. */
export async function addAuthorAndRoom(store: Store, at = '2025-01-01T00:00:00.000Z'): Promise<{ ada: User; bob: User; room: Room }> {
  return store.transaction(async (tx) => {
    const person = (name: string) => tx.insertUser({ id: newId(), name, email: null, role: 'member', passwordHash: null, createdAt: at });
    const ada = await person('Ada');
    const bob = await person('Bob');
    const room = await tx.insertRoom({ id: newId(), kind: 'open', name: 'general', createdBy: ada.id, createdAt: at, directKey: null });
    await tx.putMembership({ roomId: room.id, userId: ada.id, involvement: 'mentions', readSeq: 0, createdAt: at });
    return { ada, bob, room };
  });
}
