import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './test-server.ts';

/*
 * What the router and Node's HTTP server refuse before any route runs: answered in the one error
 * shape over a real socket, naming the part of the request at fault and never echoing it, and a
 * request that is not sent whole in time is cut off (slowloris).
 */

let server: TestServer;
let port = 0;

before(async () => {
  server = await startTestServer({ HEARTH_REQUEST_TIMEOUT_SECONDS: '1' });
  port = Number(new URL(await server.listen()).port);
});

after(() => server.stop());

interface RawAnswer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
  /** The server closed the connection after answering. */
  readonly closed: boolean;
}

/** Sends `chunks` as they are (waiting `pauseMs` after each) and reads until the server closes or `waitMs` pass. */
async function raw(chunks: readonly string[], options: { pauseMs?: number; waitMs?: number } = {}): Promise<RawAnswer> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (data: Buffer) => {
    received += data.toString('utf8');
  });
  const closed = once(socket, 'close').then(() => true);
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  const ended = await Promise.race([closed, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), options.waitMs ?? 10_000))]);
  socket.destroy();
  const [head = '', body = ''] = received.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body, closed: ended };
}

function errorOf(answer: RawAnswer): { code?: string; field?: string; message?: string } {
  assert.match(answer.headers, /content-type: application\/json/i, `a JSON answer: ${answer.headers}`);
  return (JSON.parse(answer.body) as { error: { code?: string; field?: string; message?: string } }).error;
}

describe("the router's and the HTTP server's refusals", () => {
  it('answers a path segment over the limit 414 uri_too_long on path, without echoing it', async () => {
    const segment = 'r'.repeat(5_000);
    const answer = await raw([`GET /api/rooms/${segment}/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
    assert.equal(answer.status, 414);
    assert.deepEqual({ ...errorOf(answer), message: undefined }, { code: 'uri_too_long', field: 'path', message: undefined });
    assert.ok(!answer.body.includes('rrrrrrrrrr'), 'the path is not echoed');
  });

  it('answers a %-escape that is not UTF-8 400 invalid_request on path', async () => {
    const answer = await raw(['GET /api/rooms/%ff%fe/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.equal(answer.status, 400);
    const error = errorOf(answer);
    assert.equal(error.code, 'invalid_request');
    assert.equal(error.field, 'path');
    assert.ok(!answer.body.includes('%ff'), 'the path is not echoed');
  });

  it('answers headers over the limit 431 headers_too_large, and closes the connection', async () => {
    const answer = await raw([`GET /api/me HTTP/1.1\r\nHost: x\r\nX-Filler: ${'h'.repeat(20_000)}\r\n\r\n`]);
    assert.equal(answer.status, 431);
    assert.deepEqual(errorOf(answer).code, 'headers_too_large');
    assert.ok(answer.closed);
  });

  it('answers bytes that are not HTTP 400 invalid_request in the error shape', async () => {
    const answer = await raw(['NOT HTTP AT ALL\r\n\r\n']);
    assert.equal(answer.status, 400);
    assert.equal(errorOf(answer).code, 'invalid_request');
  });

  it('cuts off a request whose headers trickle in (slowloris) with 408 request_timeout', async () => {
    const trickle = ['POST /api/session HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n', 'X-D: 4\r\n'];
    const answer = await raw(trickle, { pauseMs: 400 });
    assert.equal(answer.status, 408);
    assert.equal(errorOf(answer).code, 'request_timeout');
    assert.ok(answer.closed, 'the connection is closed');
  });

  it('cuts off a sign-in whose body never arrives whole with 408, and closes the connection', async () => {
    const head = 'POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const answer = await raw([head, '{"email":'], { waitMs: 10_000 });
    assert.equal(answer.status, 408);
    assert.equal(errorOf(answer).code, 'request_timeout');
    assert.ok(answer.closed, 'the connection is closed');
  });

  it('still serves a request sent whole, on the same server', async () => {
    const answer = await raw(['GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.equal(answer.status, 200);
  });
});
