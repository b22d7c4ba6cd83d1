import assert from 'node:assert/strict';
import type { Room, User } from '../domain/types.ts';
import { newId } from '../ids.ts';
import type { NewMessage, Store, StoreTx } from './store.ts';
import { addAuthorAndRoom, postInTx } from './store-test-support.ts';

type StoreTest = (name: string, body: (store: Store) => Promise<void>) => void;

const AT = '2025-01-01T00:00:00.000Z';

function message(room: Room, author: User, clientMessageId: string): Omit<NewMessage, 'seq'> {
  return { id: newId(), roomId: room.id, authorId: author.id, clientMessageId, body: 'once', mentions: [], sound: null, file: null, createdAt: AT };
}

/** StoreTx.lockRoomForPost, the same in both stores. */
export function postContextTests(test: StoreTest): void {
  test('reads the author, the room, the membership and an earlier post with the client id, each as its own read returns it', async (store) => {
    const { ada, room } = await addAuthorAndRoom(store);
    const posted = await store.transaction((tx) => postInTx(tx, message(room, ada, 'c1'), () => AT));
    const [first, retry] = await store.transaction(async (tx) => [
      await tx.lockRoomForPost(room.id, ada.id, 'c2'),
      await tx.lockRoomForPost(room.id, ada.id, 'c1'),
    ]);
    assert.deepEqual(first, {
      author: await store.getUser(ada.id),
      room: await store.getRoom(room.id),
      membership: await store.getMembership(room.id, ada.id),
      earlier: null,
    });
    assert.equal(first?.room?.lastSeq, 1);
    assert.deepEqual(retry?.earlier, posted);
  });

  test('gives null for what does not exist, and refuses nothing itself', async (store) => {
    const { ada, bob, room } = await addAuthorAndRoom(store);
    const read = (tx: StoreTx, roomId: string, authorId: string) => tx.lockRoomForPost(roomId, authorId, 'c1');
    const [stranger, nowhere, nobody] = await store.transaction(async (tx) => [
      await read(tx, room.id, bob.id),
      await read(tx, newId(), ada.id),
      await read(tx, newId(), newId()),
    ]);
    assert.deepEqual(stranger, { author: bob, room: await store.getRoom(room.id), membership: null, earlier: null });
    assert.deepEqual(nowhere, { author: ada, room: null, membership: null, earlier: null });
    assert.deepEqual(nobody, { author: null, room: null, membership: null, earlier: null });
  });

  test('lets one of two concurrent posts with the same client id insert; the other finds it as earlier', async (store) => {
    const { ada, room } = await addAuthorAndRoom(store);
    const postOnce = () =>
      store.transaction(async (tx) => {
        const { earlier } = await tx.lockRoomForPost(room.id, ada.id, 'c1');
        if (earlier !== null) return 'found';
        // Yield between the check and the insert, where an unlocked store would let the other in.
        await new Promise((resolve) => setImmediate(resolve));
        await postInTx(tx, message(room, ada, 'c1'), () => AT);
        return 'inserted';
      });
    assert.deepEqual((await Promise.all([postOnce(), postOnce()])).sort(), ['found', 'inserted']);
    assert.equal((await store.listMessages(room.id, { limit: 10 })).length, 1);
  });
}
