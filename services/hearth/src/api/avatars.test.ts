import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { avatarBlobKey, sniffImage, type BlobStore, type ServerFrame, type User } from '@hearth/core';
import { WsClient, call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';
import { PDF, png } from './test-files.ts';

/**
 * People's pictures through the REST API of a whole Hearth (target `all`: SQLite, and the files
 * directory on its data volume): what is kept (only a small version), how it is served and to
 * whom, how everyone hears of a change, and every refusal, each naming `avatar`.
 */

/** A GIF's header (all that Hearth reads of one), padded to `size` bytes. */
function gif(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  bytes.write('GIF89a', 0, 'latin1');
  bytes.writeUInt16LE(64, 6);
  bytes.writeUInt16LE(64, 8);
  return bytes;
}

/** The picture's bytes as the body; `type` null sends no Content-Type (as `curl --upload-file` does). */
function putAvatar(app: FastifyInstance, session: TestSession, bytes: Buffer, type: string | null = 'image/png'): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
  if (type !== null) headers['content-type'] = type;
  return app.inject({ method: 'PUT', url: '/api/users/me/avatar', headers, payload: bytes });
}

async function pictured(app: FastifyInstance, session: TestSession, bytes: Buffer, type?: string | null): Promise<User> {
  const response = await putAvatar(app, session, bytes, type);
  assert.equal(response.statusCode, 200, response.body);
  return response.json<User>();
}

function assertRefused(response: LightMyRequestResponse, status: number, code: string, field?: string): void {
  assert.equal(response.statusCode, status, response.body);
  const { error } = response.json<{ error: { code: string; field?: string } }>();
  assert.deepEqual([error.code, error.field], [code, field], response.body);
}

async function avatarKeys(blobs: BlobStore | null): Promise<string[]> {
  assert.ok(blobs !== null, 'files are on');
  const keys: string[] = [];
  for await (const key of blobs.keys('avatars/')) keys.push(key);
  return keys;
}

const avatarOf = (app: FastifyInstance, session: TestSession, userId: string, query = ''): Promise<LightMyRequestResponse> =>
  call(app, 'GET', `/api/users/${userId}/avatar${query}`, { session });

describe('pictures of people', () => {
  let s: TestServer;
  let ada: TestSession;
  let bob: TestSession;
  before(async () => {
    s = await startTestServer();
    ada = await setUpAccount(s.app);
    bob = await joinAs(s.app, ada, 'Bob');
  });
  after(async () => {
    await stopAndAssertNo5xx(s);
  });

  it('keeps only a small version of a photo, records its version on the user, and serves it to anyone signed in', async () => {
    const user = await pictured(s.app, ada, png(1200, 600));
    assert.match(user.avatar ?? '', /^[\w-]{16}$/);
    assert.deepEqual(user, { ...ada.user, avatar: user.avatar });
    assert.equal((await call(s.app, 'GET', '/api/users/me', { session: ada })).json<User>().avatar, user.avatar);
    const listed = (await call(s.app, 'GET', '/api/users', { session: bob })).json<{ users: User[] }>().users;
    assert.equal(listed.find((u) => u.id === ada.user.id)?.avatar, user.avatar);
    assert.deepEqual(await avatarKeys(s.backends.blobs), [avatarBlobKey(ada.user.id, user.avatar ?? '')]);

    const served = await avatarOf(s.app, bob, ada.user.id, `?v=${user.avatar}`);
    assert.equal(served.statusCode, 200, served.body);
    const kind = sniffImage(served.rawPayload);
    assert.deepEqual(kind, { type: 'image/jpeg', width: 256, height: 128 });
    assert.equal(served.headers['content-type'], 'image/jpeg');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.equal(served.headers['etag'], `"${user.avatar}"`);
    assert.equal(served.headers['cache-control'], 'private, max-age=31536000, immutable');
    // Asked for without its version (or an old one), the browser checks again each time.
    const unversioned = await avatarOf(s.app, bob, ada.user.id, '?v=old');
    assert.equal(unversioned.headers['cache-control'], 'private, no-cache');
    const again = await call(s.app, 'GET', `/api/users/${ada.user.id}/avatar`, { session: bob, headers: { 'if-none-match': `"${user.avatar}"` } });
    assert.equal(again.statusCode, 304);
    assert.equal(again.rawPayload.length, 0);
  });

  it('keeps a small PNG, or a small GIF, as it is, whatever Content-Type came with it', async () => {
    const small = png(100, 100);
    const user = await pictured(s.app, bob, small, null);
    const served = await avatarOf(s.app, ada, bob.user.id);
    assert.deepEqual(served.rawPayload, small);
    assert.equal(served.headers['content-type'], 'image/png');
    const animated = gif(2000);
    const changed = await pictured(s.app, bob, animated, 'image/gif');
    assert.notEqual(changed.avatar, user.avatar, 'a new picture has a new version');
    const bobs = (await avatarKeys(s.backends.blobs)).filter((key) => key.startsWith(`avatars/${bob.user.id}/`));
    assert.deepEqual(bobs, [avatarBlobKey(bob.user.id, changed.avatar ?? '')], 'the picture before is gone');
    const gifServed = await avatarOf(s.app, ada, bob.user.id);
    assert.deepEqual(gifServed.rawPayload, animated);
    assert.equal(gifServed.headers['content-type'], 'image/gif');
  });

  it('refuses what is no picture to keep, naming avatar, and keeps the picture there was', async () => {
    const before = (await call(s.app, 'GET', '/api/users/me', { session: ada })).json<User>();
    const bytesBefore = (await avatarOf(s.app, ada, ada.user.id)).rawPayload;
    assertRefused(await putAvatar(s.app, ada, PDF, 'application/pdf'), 415, 'unsupported_media_type', 'avatar');
    assertRefused(await putAvatar(s.app, ada, PDF, 'image/png'), 415, 'unsupported_media_type', 'avatar');
    const bigGif = await putAvatar(s.app, ada, gif(600 * 1024), 'image/gif');
    assertRefused(bigGif, 415, 'unsupported_media_type', 'avatar');
    assert.match(bigGif.json<{ error: { message: string } }>().error.message, /use a PNG or JPEG/);
    const tooLarge = await putAvatar(s.app, ada, Buffer.alloc(5 * 1024 * 1024 + 1, 1));
    assertRefused(tooLarge, 413, 'payload_too_large', 'avatar');
    assert.match(tooLarge.json<{ error: { message: string } }>().error.message, /the limit is 5 MiB/);
    assertRefused(await putAvatar(s.app, ada, Buffer.alloc(0)), 400, 'invalid_request', 'avatar');
    assert.deepEqual((await call(s.app, 'GET', '/api/users/me', { session: ada })).json<User>(), before);
    assert.deepEqual((await avatarOf(s.app, ada, ada.user.id)).rawPayload, bytesBefore);
  });

  it('removes a picture: the user is shown by initials again, and it is no longer served or kept', async () => {
    await pictured(s.app, ada, png(300, 300));
    const removed = await call(s.app, 'DELETE', '/api/users/me/avatar', { session: ada });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json<User>().avatar, null);
    assertRefused(await avatarOf(s.app, bob, ada.user.id), 404, 'not_found', 'userId');
    assert.deepEqual(
      (await avatarKeys(s.backends.blobs)).filter((key) => key.startsWith(`avatars/${ada.user.id}/`)),
      [],
      'no version of it is kept',
    );
    // Removing none is no error.
    assert.equal((await call(s.app, 'DELETE', '/api/users/me/avatar', { session: ada })).statusCode, 200);
    assertRefused(await avatarOf(s.app, bob, '00000000-0000-4000-8000-000000000000'), 404, 'user_not_found', 'userId');
    assertRefused(await call(s.app, 'GET', `/api/users/${bob.user.id}/avatar`), 401, 'unauthenticated');
  });

  it('tells everyone connected of a change, as a user.updated frame', async () => {
    const base = await s.listen();
    const watcher = new WsClient(base, { cookie: bob.cookie });
    try {
      await watcher.ready();
      const isAdas = (frame: ServerFrame): boolean => frame.type === 'user.updated' && frame.userId === ada.user.id;
      await pictured(s.app, ada, png(64, 64));
      const first = await watcher.waitFor(isAdas, 'user.updated of Ada');
      assert.deepEqual(first, { type: 'user.updated', userId: ada.user.id });
      await call(s.app, 'DELETE', '/api/users/me/avatar', { session: ada });
      await watcher.waitFor((frame) => isAdas(frame) && frame !== first, 'a second user.updated of Ada');
    } finally {
      await watcher.close();
    }
  });
});

describe('pictures with files turned off', () => {
  let s: TestServer;
  let ada: TestSession;
  before(async () => {
    s = await startTestServer({ HEARTH_FILES_STORAGE: 'off' });
    ada = await setUpAccount(s.app);
  });
  after(async () => {
    await stopAndAssertNo5xx(s);
  });

  it('refuses to keep, remove or serve one with 403 files_disabled', async () => {
    assertRefused(await putAvatar(s.app, ada, png(10, 10)), 403, 'files_disabled', 'avatar');
    assertRefused(await call(s.app, 'DELETE', '/api/users/me/avatar', { session: ada }), 403, 'files_disabled', 'avatar');
    assertRefused(await avatarOf(s.app, ada, ada.user.id), 403, 'files_disabled', 'avatar');
  });
});
