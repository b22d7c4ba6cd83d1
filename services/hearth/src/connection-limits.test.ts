import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setUpAccount, type TestSession } from '@hearth/testing';
import { startTestServer, type TestServer } from './test-server.ts';

/*
 * The caps on what one client may hold or open, with stalled clients: open connections per
 * address (HEARTH_MAX_CONNECTIONS_PER_ADDRESS) and realtime streams opened per user per minute
 * (HEARTH_STREAM_CONNECTS_PER_MINUTE, WebSocket and SSE counted together).
 */

const CONNECTIONS = 3;
const STREAMS_PER_MINUTE = 2;

let server: TestServer;
let base = '';
let ada: TestSession;

before(async () => {
  server = await startTestServer({ HEARTH_MAX_CONNECTIONS_PER_ADDRESS: String(CONNECTIONS), HEARTH_STREAM_CONNECTS_PER_MINUTE: String(STREAMS_PER_MINUTE) });
  base = await server.listen();
  ada = await setUpAccount(server.app);
});
after(() => server.stop());

async function openSocket(): Promise<Socket> {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** What the server sends a socket before it closes it (or until `waitMs`). */
async function answerTo(socket: Socket, waitMs = 5_000): Promise<{ text: string; closed: boolean }> {
  let text = '';
  socket.on('data', (data: Buffer) => (text += data.toString()));
  const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs))]);
  return { text, closed };
}

/** One GET over a new connection (no keep-alive), as the status and body. */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${base}${path}`, { headers: { connection: 'close', ...headers } }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
        // A stream never ends by itself: its first frame is enough.
        if (response.statusCode === 200 && body.includes('\n\n')) response.destroy();
      });
      response.on('close', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.once('error', reject);
    outgoing.end();
  });
}

describe('open connections per address', () => {
  it(`holds ${CONNECTIONS} stalled connections, answers the next 429 with Retry-After and closes it, and takes one again once a stalled one goes`, async () => {
    const stalled = await Promise.all(Array.from({ length: CONNECTIONS }, openSocket));
    const over = await answerTo(await openSocket());
    assert.equal(over.closed, true, 'the connection over the cap is closed');
    assert.match(over.text, /^HTTP\/1\.1 429 /);
    assert.match(over.text, /Retry-After: 5/);
    assert.match(over.text, /"code":"rate_limited"/);
    stalled[0]?.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal((await get('/healthz')).status, 200);
    for (const socket of stalled) socket.destroy();
  });
});

describe('realtime streams opened per user', () => {
  it(`opens ${STREAMS_PER_MINUTE} streams a minute, then refuses SSE and WebSocket alike with 429 rate_limited`, async () => {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cookie = { cookie: ada.cookie };
    for (let opened = 0; opened < STREAMS_PER_MINUTE; opened += 1) assert.equal((await get('/api/realtime/sse', cookie)).status, 200);
    const sse = await get('/api/realtime/sse', cookie);
    assert.equal(sse.status, 429);
    assert.ok(Number(sse.headers['retry-after']) >= 1);
    assert.equal((JSON.parse(sse.body) as { error: { code: string } }).error.code, 'rate_limited');
    const upgrade = await get('/api/realtime/ws', {
      ...cookie,
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    assert.equal(upgrade.status, 429);
    assert.equal((JSON.parse(upgrade.body) as { error: { code: string } }).error.code, 'rate_limited');
  });
});
