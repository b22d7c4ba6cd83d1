/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError } from './api.ts';
import type { Message, User } from './api-types.ts';
import { initialChatState, type ChatState } from './chat-state.ts';
import { createRoomView } from './room-state.ts';
import { createStore } from './store.ts';
import { messageFixture } from './test-fixtures.ts';
import type { UploadRequest } from './upload-client.ts';
import { createUploader } from './uploader.ts';

const ME = { id: 'u1', name: 'Me', role: 'member' } as unknown as User;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Call {
  readonly request: UploadRequest;
  readonly progress: (loaded: number) => void;
  resolve(message: Message): void;
  reject(error: Error): void;
  aborted: boolean;
}

/** A server that answers each upload when the test says; an abort rejects as XMLHttpRequest does. */
function harness() {
  const store = createStore<ChatState>({ ...initialChatState(ME, 'Acme'), views: { r1: createRoomView('r1', [], 0, 40) } });
  const calls: Call[] = [];
  let ids = 0;
  const uploader = createUploader({
    ctx: { me: ME, store, isVisible: () => true },
    newClientMessageId: () => `c${(ids += 1)}`,
    ensureUser: () => undefined,
    start(request, progress) {
      let call!: Call;
      const done = new Promise<Message>((resolve, reject) => {
        call = { request, progress, resolve, reject, aborted: false };
      });
      calls.push(call);
      return {
        done,
        abort() {
          call.aborted = true;
          call.reject(new ApiError(0, 'aborted', 'cancelled'));
        },
      };
    },
  });
  const uploads = () => store.get().uploads.map((u) => `${u.name}:${u.status}`);
  const stored = (call: Call, seq: number): Message =>
    messageFixture(seq, { clientMessageId: call.request.clientMessageId, authorId: ME.id, body: call.request.body });
  return { store, calls, uploader, uploads, stored };
}

const file = (name: string, size = 100, type = 'image/png'): File => new File([new Uint8Array(size)], name, { type });

test("several files are one upload each, a room's in the order chosen, the caption with the first", async () => {
  const { store, calls, uploader, uploads, stored } = harness();
  uploader.upload(
    'r1',
    [
      { file: file('a.png'), alt: 'a red square' },
      { file: file('b.pdf', 50, 'application/pdf'), alt: '' },
    ],
    'look',
  );
  assert.deepEqual(uploads(), ['a.png:uploading', 'b.pdf:queued']);
  assert.equal(calls.length, 1, 'one at a time');
  assert.deepEqual(
    { ...calls[0]!.request, file: calls[0]!.request.file.size },
    { roomId: 'r1', file: 100, name: 'a.png', clientMessageId: 'c1', alt: 'a red square', body: 'look' },
  );
  calls[0]!.progress(40);
  assert.equal(store.get().uploads[0]?.loaded, 40);
  calls[0]!.resolve(stored(calls[0]!, 1));
  await tick();
  assert.deepEqual(uploads(), ['b.pdf:uploading'], 'a stored upload leaves the list');
  assert.deepEqual(
    store.get().views['r1']?.messages.map((m) => m.clientMessageId),
    ['c1'],
    'and its message is in the room at once',
  );
  assert.deepEqual([calls[1]?.request.name, calls[1]?.request.alt, calls[1]?.request.body], ['b.pdf', null, '']);
  calls[1]!.resolve(stored(calls[1]!, 2));
  await tick();
  assert.deepEqual(uploads(), []);
});

test("a refusal stays in the list in the server's words, the rest still go; a retry reuses the client message id", async () => {
  const { calls, uploader, uploads, store, stored } = harness();
  const staged = ['big.png', 'lost.png', 'small.png'].map((name) => ({ file: file(name), alt: '' }));
  uploader.upload('r1', staged, '');
  calls[0]!.reject(new ApiError(413, 'payload_too_large', 'the file is 30 MiB; the limit is 25 MiB'));
  await tick();
  assert.deepEqual(uploads(), ['big.png:failed', 'lost.png:uploading', 'small.png:queued']);
  const big = store.get().uploads[0];
  assert.deepEqual([big?.error, big?.retryable], ['the file is 30 MiB; the limit is 25 MiB', false], 'a refusal will not pass on a retry');
  calls[1]!.reject(new ApiError(0, 'network', 'Could not reach the server'));
  await tick();
  assert.equal(store.get().uploads[1]?.retryable, true, 'a lost connection may');
  uploader.retry('c2');
  assert.equal(calls.length, 3, 'the retry waits for the upload in flight');
  calls[2]!.resolve(stored(calls[2]!, 1));
  await tick();
  assert.equal(calls.length, 4);
  assert.equal(calls[3]?.request.clientMessageId, 'c2');
  assert.deepEqual(uploads(), ['big.png:failed', 'lost.png:uploading']);
});

test('a cancel stops the upload in flight and the next one goes; a queued one is dropped unsent', async () => {
  const { calls, uploader, uploads } = harness();
  uploader.upload(
    'r1',
    [
      { file: file('a.png'), alt: '' },
      { file: file('b.png'), alt: '' },
      { file: file('c.png'), alt: '' },
    ],
    '',
  );
  uploader.cancel('c2');
  assert.deepEqual(uploads(), ['a.png:uploading', 'c.png:queued']);
  uploader.cancel('c1');
  assert.equal(calls[0]?.aborted, true);
  await tick();
  assert.deepEqual(uploads(), ['c.png:uploading'], 'a cancelled upload shows no failure');
  assert.deepEqual(
    calls.map((c) => c.request.name),
    ['a.png', 'c.png'],
  );
});

test("rooms do not wait for each other's uploads; stop aborts them all", () => {
  const { calls, uploader } = harness();
  uploader.upload('r1', [{ file: file('a.png'), alt: '' }], '');
  uploader.upload('r2', [{ file: file('b.png'), alt: '' }], '');
  assert.equal(calls.length, 2);
  uploader.stop();
  assert.deepEqual(
    calls.map((c) => c.aborted),
    [true, true],
  );
});
