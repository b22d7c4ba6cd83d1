/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ApiError, setCsrfToken } from './api.ts';
import { messageFixture } from './test-fixtures.ts';
import { createUploadStarter, uploadPath, type UploadRequest, type UploadXhr } from './upload-client.ts';

/** An XMLHttpRequest that records what it was told, and answers when the test says. */
class FakeXhr implements UploadXhr {
  opened: [string, string] | null = null;
  readonly headers: Record<string, string> = {};
  sent: Blob | null = null;
  aborted = false;
  readonly upload: UploadXhr['upload'] = { onprogress: null };
  onload: UploadXhr['onload'] = null;
  onerror: UploadXhr['onerror'] = null;
  onabort: UploadXhr['onabort'] = null;
  status = 0;
  responseText = '';

  open(method: string, url: string): void {
    this.opened = [method, url];
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value;
  }
  send(body: Blob): void {
    this.sent = body;
  }
  abort(): void {
    this.aborted = true;
    this.onabort?.({} as ProgressEvent);
  }
  progress(loaded: number): void {
    this.upload.onprogress?.({ loaded } as ProgressEvent);
  }
  answer(status: number, body: unknown): void {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.({} as ProgressEvent);
  }
}

const request = (overrides: Partial<UploadRequest> = {}): UploadRequest => ({
  roomId: 'r1',
  file: new Blob([new Uint8Array(10)], { type: 'image/png' }),
  name: 'red square.png',
  clientMessageId: 'c1',
  alt: null,
  body: '',
  ...overrides,
});

function started(overrides: Partial<UploadRequest> = {}) {
  const xhr = new FakeXhr();
  const progress: number[] = [];
  const handle = createUploadStarter(() => xhr)(request(overrides), (loaded) => progress.push(loaded));
  return { xhr, progress, handle };
}

test('the query carries the name, the client message id, and any alt text and caption', () => {
  assert.equal(uploadPath(request()), '/api/rooms/r1/files?name=red+square.png&clientMessageId=c1');
  assert.equal(
    uploadPath(request({ roomId: 'a/b', alt: 'a red square & more', body: 'look <@u2>' })),
    '/api/rooms/a%2Fb/files?name=red+square.png&clientMessageId=c1&alt=a+red+square+%26+more&body=look+%3C%40u2%3E',
  );
  assert.equal(uploadPath(request({ alt: '' })), '/api/rooms/r1/files?name=red+square.png&clientMessageId=c1');
});

test("the bytes go as the body with the file's type and the session's CSRF token; progress is reported; the answer is the message", async () => {
  setCsrfToken('token-1');
  try {
    const { xhr, progress, handle } = started();
    assert.deepEqual(xhr.opened, ['POST', '/api/rooms/r1/files?name=red+square.png&clientMessageId=c1']);
    assert.deepEqual(xhr.headers, { accept: 'application/json', 'content-type': 'image/png', 'x-csrf-token': 'token-1' });
    assert.equal(xhr.sent?.size, 10);
    xhr.progress(4);
    xhr.progress(10);
    const message = messageFixture(1);
    xhr.answer(201, message);
    assert.deepEqual(await handle.done, message);
    assert.deepEqual(progress, [4, 10]);
  } finally {
    setCsrfToken(null);
  }
});

test('a file with no type goes as application/octet-stream', () => {
  const { xhr } = started({ file: new Blob([new Uint8Array(3)]) });
  assert.equal(xhr.headers['content-type'], 'application/octet-stream');
  assert.equal(xhr.headers['x-csrf-token'], undefined, 'no session, no token');
});

test("a refusal is the server's error, in its words", async () => {
  const { xhr, handle } = started();
  xhr.answer(413, { error: { code: 'payload_too_large', message: 'the file is 30 MiB; the limit is 25 MiB', field: 'file' } });
  await assert.rejects(handle.done, (error: unknown) => {
    assert.ok(error instanceof ApiError);
    assert.deepEqual([error.status, error.code, error.message, error.field], [413, 'payload_too_large', 'the file is 30 MiB; the limit is 25 MiB', 'file']);
    return true;
  });
});

test('a lost connection and a cancel are told apart', async () => {
  const lost = started();
  lost.xhr.onerror?.({} as ProgressEvent);
  await assert.rejects(lost.handle.done, (error: unknown) => error instanceof ApiError && error.code === 'network');
  const cancelled = started();
  cancelled.handle.abort();
  assert.equal(cancelled.xhr.aborted, true);
  await assert.rejects(cancelled.handle.done, (error: unknown) => error instanceof ApiError && error.code === 'aborted');
});
