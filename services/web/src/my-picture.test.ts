/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { User } from './api-types.ts';
import { createMyPicture, pictureRefusal, PICTURE_MAX_BYTES, type PictureApi } from './my-picture.ts';

const ME = { id: 'u1', name: 'Me', avatar: null } as unknown as User;

test('a picture is any PNG, JPEG, GIF or WebP up to 5 MiB (or a file of no declared type, which the server judges)', () => {
  assert.equal(pictureRefusal({ size: 1000, type: 'image/png' }), null);
  assert.equal(pictureRefusal({ size: PICTURE_MAX_BYTES, type: 'image/webp' }), null);
  assert.equal(pictureRefusal({ size: 1000, type: '' }), null);
  assert.match(pictureRefusal({ size: 1000, type: 'application/pdf' }) ?? '', /PNG, JPEG, GIF or WebP/);
  assert.match(pictureRefusal({ size: 1000, type: 'image/svg+xml' }) ?? '', /PNG, JPEG, GIF or WebP/);
  assert.match(pictureRefusal({ size: PICTURE_MAX_BYTES + 1, type: 'image/jpeg' }) ?? '', /5 MiB/);
  assert.match(pictureRefusal({ size: 0, type: 'image/png' }) ?? '', /empty/);
});

function harness(answer: User) {
  const calls: string[] = [];
  const set: User[] = [];
  const api: PictureApi = {
    put(file) {
      calls.push(`put ${file.type} ${file.size}`);
      return Promise.resolve(answer);
    },
    remove() {
      calls.push('remove');
      return Promise.resolve({ ...answer, avatar: null });
    },
  };
  return { calls, set, picture: createMyPicture((user) => set.push(user), api) };
}

test("changing and removing the picture ends with the person's record as the server answered it", async () => {
  const h = harness({ ...ME, avatar: 'v1' });
  await h.picture.changePicture(new Blob([new Uint8Array(10)], { type: 'image/png' }));
  await h.picture.removePicture();
  assert.deepEqual(h.calls, ['put image/png 10', 'remove']);
  assert.deepEqual(
    h.set.map((user) => user.avatar),
    ['v1', null],
  );
});

test('a file that will not do is refused before anything is sent', async () => {
  const h = harness(ME);
  await assert.rejects(h.picture.changePicture(new Blob(['%PDF'], { type: 'application/pdf' })), /PNG, JPEG, GIF or WebP/);
  assert.deepEqual(h.calls, []);
  assert.deepEqual(h.set, []);
});
