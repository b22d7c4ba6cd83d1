/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import {
  failedUpload,
  nextUpload,
  progressedUpload,
  queueUploads,
  retriedUpload,
  startedUpload,
  uploadPercent,
  withoutUpload,
  type NewUpload,
  type Upload,
} from './uploads.ts';

const added = (id: string, overrides: Partial<NewUpload> = {}): NewUpload => ({
  id,
  roomId: 'r1',
  name: `${id}.png`,
  type: 'image/png',
  size: 1000,
  alt: '',
  body: '',
  ...overrides,
});

const statuses = (list: readonly Upload[]): string[] => list.map((u) => `${u.id}:${u.status}`);

test('files queue in the order chosen, blank alt text counting as none', () => {
  const list = queueUploads(queueUploads([], [added('a', { alt: '  a red square ' })]), [added('b', { alt: '   ' }), added('c')]);
  assert.deepEqual(statuses(list), ['a:queued', 'b:queued', 'c:queued']);
  assert.deepEqual(
    list.map((u) => u.alt),
    ['a red square', null, null],
  );
  assert.equal(queueUploads(list, []), list, 'nothing added, nothing changed');
});

test("a room's uploads go one at a time, in order; another room's do not wait", () => {
  let list = queueUploads([], [added('a'), added('b'), added('x', { roomId: 'r2' })]);
  assert.equal(nextUpload(list, 'r1')?.id, 'a');
  list = startedUpload(list, 'a');
  assert.equal(nextUpload(list, 'r1'), undefined, 'a is in flight');
  assert.equal(nextUpload(list, 'r2')?.id, 'x');
  list = withoutUpload(list, 'a');
  assert.equal(nextUpload(list, 'r1')?.id, 'b');
  list = failedUpload(startedUpload(list, 'b'), 'b', { error: 'the file is 30 MiB; the limit is 25 MiB', retryable: false });
  assert.equal(nextUpload(list, 'r1'), undefined, 'a failed upload waits for the person, and holds nothing up');
  assert.equal(nextUpload([], 'r1'), undefined);
});

test('progress counts bytes sent on this try, only while in flight', () => {
  let list = queueUploads([], [added('a', { size: 4000 })]);
  assert.equal(progressedUpload(list, 'a', 100), list, 'not started');
  list = progressedUpload(startedUpload(list, 'a'), 'a', 1000);
  assert.equal(list[0]?.loaded, 1000);
  assert.equal(uploadPercent(list[0]!), 25);
  assert.equal(progressedUpload(list, 'a', 1000), list, 'the same count changes nothing');
  list = progressedUpload(list, 'a', 5000);
  assert.equal(list[0]?.loaded, 4000, 'never more than the file (the request has a little more)');
  assert.equal(progressedUpload(list, 'gone', 10), list);
});

test('a failed upload shows why, and whether a retry may help; retried, it is queued again in its place with its id', () => {
  let list = queueUploads([], [added('a'), added('b')]);
  list = failedUpload(progressedUpload(startedUpload(list, 'a'), 'a', 500), 'a', { error: 'Could not reach the server', retryable: true });
  assert.deepEqual(
    list.map((u) => [u.id, u.status, u.loaded, u.error, u.retryable]),
    [
      ['a', 'failed', 0, 'Could not reach the server', true],
      ['b', 'queued', 0, null, false],
    ],
  );
  assert.equal(retriedUpload(list, 'b'), list, 'only a failed upload is retried');
  list = retriedUpload(list, 'a');
  assert.deepEqual(statuses(list), ['a:queued', 'b:queued']);
  assert.deepEqual([list[0]?.error, list[0]?.retryable], [null, false]);
  assert.equal(nextUpload(list, 'r1')?.id, 'a');
});

test('removing an upload not in the list changes nothing', () => {
  const list = queueUploads([], [added('a')]);
  assert.equal(withoutUpload(list, 'b'), list);
  assert.equal(failedUpload(list, 'b', { error: 'x', retryable: false }), list);
  assert.deepEqual(withoutUpload(list, 'a'), []);
});

test('percent is whole, from 0 to 100', () => {
  const cases = [
    [0, 1000, 0],
    [1, 1000, 0],
    [999, 1000, 99],
    [1000, 1000, 100],
    [2000, 1000, 100],
    [5, 0, 0],
  ] as const;
  for (const [loaded, size, want] of cases) assert.equal(uploadPercent({ loaded, size }), want, `${loaded}/${size}`);
});
