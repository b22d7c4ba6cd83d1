import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { fileBlobKey, thumbnailBlobKey, type BlobStore, type Message, type Room } from '@hearth/core';
import { call, joinAs, setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, stopAndAssertNo5xx, type TestServer } from '../test-server.ts';
import { PDF, png } from './test-files.ts';

/**
 * Files through the REST API of a whole Hearth (target `all`: SQLite, and the files directory on
 * its data volume): what is kept, how it is served, and every refusal, each a 4xx naming the field.
 */

interface Upload {
  readonly name: string;
  readonly type?: string;
  readonly bytes: Buffer;
  readonly clientMessageId?: string;
  readonly alt?: string;
  readonly body?: string;
}

function upload(app: FastifyInstance, session: TestSession, roomId: string, file: Upload): Promise<LightMyRequestResponse> {
  const query = new URLSearchParams({ name: file.name, clientMessageId: file.clientMessageId ?? `f-${Math.random()}` });
  if (file.alt !== undefined) query.set('alt', file.alt);
  if (file.body !== undefined) query.set('body', file.body);
  const headers: Record<string, string> = { cookie: session.cookie, 'x-csrf-token': session.csrfToken };
  if (file.type !== undefined) headers['content-type'] = file.type;
  return app.inject({ method: 'POST', url: `/api/rooms/${roomId}/files?${query}`, headers, payload: file.bytes });
}

async function uploaded(app: FastifyInstance, session: TestSession, roomId: string, file: Upload): Promise<Message> {
  const response = await upload(app, session, roomId, file);
  assert.equal(response.statusCode, 201, response.body);
  return response.json<Message>();
}

function assertRefused(response: LightMyRequestResponse, status: number, code: string, field: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const { error } = response.json<{ error: { code: string; field?: string } }>();
  assert.deepEqual([error.code, error.field], [code, field], response.body);
}

async function keysOf(blobs: BlobStore | null): Promise<string[]> {
  assert.ok(blobs !== null, 'files are on');
  const keys: string[] = [];
  for await (const key of blobs.keys('files/')) keys.push(key);
  return keys;
}

interface World {
  readonly s: TestServer;
  readonly ada: TestSession;
  readonly bob: TestSession;
  readonly room: Room;
}

async function world(env: Readonly<Record<string, string>> = {}): Promise<World> {
  const s = await startTestServer(env);
  const ada = await setUpAccount(s.app);
  const bob = await joinAs(s.app, ada, 'Bob');
  const response = await call(s.app, 'POST', '/api/rooms', { session: ada, body: { kind: 'closed', name: 'Files', memberIds: [bob.user.id] } });
  assert.equal(response.statusCode, 201, response.body);
  return { s, ada, bob, room: response.json<Room>() };
}

describe('files on the embedded tier', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => {
    await stopAndAssertNo5xx(w.s);
  });

  it('keeps an image, judges it from its bytes, makes a thumbnail, and serves both to members', async () => {
    const bytes = png(1200, 600);
    const message = await uploaded(w.s.app, w.ada, w.room.id, {
      name: 'C:\\Users\\ada\\chart.png',
      type: 'image/png',
      bytes,
      alt: 'A chart of sales',
      body: 'Q3',
    });
    assert.deepEqual(message.file, {
      id: message.file?.id,
      name: 'chart.png',
      contentType: 'image/png',
      size: bytes.length,
      alt: 'A chart of sales',
      image: { width: 1200, height: 600, thumbnail: true },
    });
    assert.equal(message.body, 'Q3');
    const file = await call(w.s.app, 'GET', `/api/messages/${message.id}/file`, { session: w.bob });
    assert.equal(file.statusCode, 200);
    assert.deepEqual(file.rawPayload, bytes);
    assert.equal(file.headers['content-type'], 'image/png');
    assert.match(String(file.headers['content-disposition']), /^inline; filename="chart\.png"/);
    assert.equal(file.headers['x-content-type-options'], 'nosniff');
    assert.match(String(file.headers['content-security-policy']), /sandbox/);
    const download = await call(w.s.app, 'GET', `/api/messages/${message.id}/file?download=1`, { session: w.bob });
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="chart\.png"/);
    const thumbnail = await call(w.s.app, 'GET', `/api/messages/${message.id}/file/thumbnail`, { session: w.bob });
    assert.equal(thumbnail.statusCode, 200);
    assert.equal(thumbnail.headers['content-type'], 'image/jpeg');
    assert.ok(thumbnail.rawPayload.length < bytes.length, 'the thumbnail is smaller than the image');
  });

  it('serves a PDF as an attachment under its own name, and HTML, SVG or a disguised page as bytes to download', async () => {
    const pdf = await uploaded(w.s.app, w.ada, w.room.id, { name: 'Report “Q3”.pdf', type: 'application/pdf', bytes: PDF });
    assert.deepEqual([pdf.file?.contentType, pdf.file?.image, pdf.body], ['application/pdf', null, '']);
    const served = await call(w.s.app, 'GET', `/api/messages/${pdf.id}/file`, { session: w.bob });
    assert.equal(served.headers['content-type'], 'application/pdf');
    assert.equal(served.headers['content-disposition'], `attachment; filename="Report _Q3_.pdf"; filename*=UTF-8''Report%20%E2%80%9CQ3%E2%80%9D.pdf`);
    const page = Buffer.from('<html><script>alert(1)</script></html>');
    for (const [name, type] of [
      ['page.html', 'text/html'],
      ['logo.svg', 'image/svg+xml'],
      ['photo.png', 'image/png'],
    ] as const) {
      const message = await uploaded(w.s.app, w.ada, w.room.id, { name, type, bytes: page });
      assert.deepEqual([message.file?.contentType, message.file?.image], ['application/octet-stream', null], name);
      const response = await call(w.s.app, 'GET', `/api/messages/${message.id}/file`, { session: w.bob });
      assert.equal(response.headers['content-type'], 'application/octet-stream', name);
      assert.match(String(response.headers['content-disposition']), /^attachment;/, name);
      const thumbnail = await call(w.s.app, 'GET', `/api/messages/${message.id}/file/thumbnail`, { session: w.bob });
      assert.equal(thumbnail.statusCode, 404, name);
    }
  });

  it('answers a retry with the message it posted, keeping one copy of the bytes', async () => {
    const before = (await keysOf(w.s.backends.blobs)).length;
    const first = await uploaded(w.s.app, w.ada, w.room.id, { name: 'a.pdf', type: 'application/pdf', bytes: PDF, clientMessageId: 'same-upload' });
    const again = await uploaded(w.s.app, w.ada, w.room.id, { name: 'a.pdf', type: 'application/pdf', bytes: PDF, clientMessageId: 'same-upload' });
    assert.equal(again.id, first.id);
    assert.equal((await keysOf(w.s.backends.blobs)).length, before + 1);
  });

  it('removes the bytes with the message', async () => {
    const message = await uploaded(w.s.app, w.ada, w.room.id, { name: 'big.png', type: 'image/png', bytes: png(900, 900) });
    const id = message.file?.id ?? '';
    assert.ok((await keysOf(w.s.backends.blobs)).includes(thumbnailBlobKey(id)));
    const deleted = await call(w.s.app, 'DELETE', `/api/messages/${message.id}`, { session: w.ada });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(deleted.json<Message>().file, null);
    const keys = await keysOf(w.s.backends.blobs);
    assert.ok(!keys.includes(fileBlobKey(id)) && !keys.includes(thumbnailBlobKey(id)), `${id} is gone from ${keys.join(', ')}`);
    assertRefused(await call(w.s.app, 'GET', `/api/messages/${message.id}/file`, { session: w.ada }), 404, 'not_found', 'messageId');
  });

  it('refuses what is not a file to keep, naming the field, and keeps nothing', async () => {
    const before = await keysOf(w.s.backends.blobs);
    assertRefused(await upload(w.s.app, w.ada, w.room.id, { name: 'empty.txt', type: 'text/plain', bytes: Buffer.alloc(0) }), 400, 'invalid_request', 'file');
    assertRefused(await upload(w.s.app, w.ada, w.room.id, { name: 'a\u0007b.txt', type: 'text/plain', bytes: PDF }), 400, 'invalid_request', 'name');
    assertRefused(await upload(w.s.app, w.ada, w.room.id, { name: '..', type: 'text/plain', bytes: PDF }), 400, 'invalid_request', 'name');
    const missing = await w.s.app.inject({
      method: 'POST',
      url: `/api/rooms/${w.room.id}/files?name=x.pdf`,
      headers: { cookie: w.ada.cookie, 'x-csrf-token': w.ada.csrfToken },
      payload: PDF,
    });
    assert.equal(missing.statusCode, 400, missing.body);
    assert.deepEqual(await keysOf(w.s.backends.blobs), before);
  });

  it('lets only the room’s members post or read its files', async () => {
    const carol = await joinAs(w.s.app, w.ada, 'Carol');
    assertRefused(await upload(w.s.app, carol, w.room.id, { name: 'x.pdf', type: 'application/pdf', bytes: PDF }), 403, 'not_a_member', 'roomId');
    const message = await uploaded(w.s.app, w.ada, w.room.id, { name: 'secret.pdf', type: 'application/pdf', bytes: PDF });
    const read = await call(w.s.app, 'GET', `/api/messages/${message.id}/file`, { session: carol });
    assert.equal(read.statusCode, 403, read.body);
    const anonymous = await w.s.app.inject({ method: 'GET', url: `/api/messages/${message.id}/file` });
    assert.equal(anonymous.statusCode, 401);
    const text = await call(w.s.app, 'POST', `/api/rooms/${w.room.id}/messages`, { session: w.ada, body: { body: 'words only', clientMessageId: 'w1' } });
    assertRefused(await call(w.s.app, 'GET', `/api/messages/${text.json<Message>().id}/file`, { session: w.ada }), 404, 'not_found', 'messageId');
  });
});

describe('file limits from the configuration', () => {
  let w: World;
  before(async () => {
    w = await world({ HEARTH_FILES_MAX_BYTES: '4096', HEARTH_FILES_TYPES: 'image/*,text/plain' });
  });
  after(async () => {
    await stopAndAssertNo5xx(w.s);
  });

  it('refuses a file over the size limit with 413, saying the limit', async () => {
    const response = await upload(w.s.app, w.ada, w.room.id, { name: 'big.txt', type: 'text/plain', bytes: Buffer.alloc(5000, 'a') });
    assert.equal(response.statusCode, 413, response.body);
    assert.match(response.json<{ error: { message: string } }>().error.message, /4 KiB/);
    assert.deepEqual(await keysOf(w.s.backends.blobs), []);
  });

  it('refuses a type the configuration does not accept with 415, and takes one it does', async () => {
    assertRefused(await upload(w.s.app, w.ada, w.room.id, { name: 'r.pdf', type: 'application/pdf', bytes: PDF }), 415, 'unsupported_media_type', 'file');
    // Judged by its bytes: a PNG declared as a PDF is an image, which is accepted.
    const image = await uploaded(w.s.app, w.ada, w.room.id, { name: 'dot.png', type: 'application/pdf', bytes: png(8, 8) });
    assert.deepEqual(image.file?.image, { width: 8, height: 8, thumbnail: false });
    await uploaded(w.s.app, w.ada, w.room.id, { name: 'notes.txt', type: 'text/plain; charset=utf-8', bytes: Buffer.from('hello') });
  });
});

describe('files turned off', () => {
  let w: World;
  before(async () => {
    w = await world({ HEARTH_FILES_STORAGE: 'off' });
  });
  after(async () => {
    await stopAndAssertNo5xx(w.s);
  });

  it('refuses an upload with 403 files_disabled', async () => {
    assert.equal(w.s.backends.blobs, null);
    assertRefused(await upload(w.s.app, w.ada, w.room.id, { name: 'x.pdf', type: 'application/pdf', bytes: PDF }), 403, 'files_disabled', 'file');
  });
});
