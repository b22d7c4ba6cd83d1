import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { BARE_PATH, startBareServer, type BareServer } from './bare-ws-server.ts';

/** The fan-out floor does what the benchmark counts on: each broadcast reaches every client that said hello, as one text message, intact. */

function connectClient(server: BareServer): Promise<{ ws: WebSocket; messages: string[] }> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${BARE_PATH}`);
  const messages: string[] = [];
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send('{"type":"hello"}'));
    ws.on('message', (data, isBinary) => {
      assert.equal(isBinary, false, 'a text frame');
      const text = data.toString();
      if (text === '{"type":"ready"}') resolve({ ws, messages });
      else messages.push(text);
    });
  });
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 20) {
    if (waited > 5_000) assert.fail(`${what}: not within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the bare ws floor', () => {
  let server: BareServer;
  before(async () => {
    server = await startBareServer();
  });
  after(() => server.stop());

  it('sends each broadcast body to every client, short and long (a 16-bit length) alike, one after another or together', async () => {
    const clients = await Promise.all([connectClient(server), connectClient(server)]);
    const bodies = ['{"n":1}', JSON.stringify({ text: 'x'.repeat(300) })];
    for (const body of bodies) {
      const response = await fetch(`${server.url}/broadcast`, { method: 'POST', body });
      assert.equal(response.status, 204);
    }
    // Bodies that arrive together leave in one write: each is still its own message.
    const together = Array.from({ length: 20 }, (_, n) => `{"together":${n}}`);
    const responses = await Promise.all(together.map((body) => fetch(`${server.url}/broadcast`, { method: 'POST', body })));
    assert.ok(responses.every((response) => response.status === 204));
    const expected = bodies.length + together.length;
    await until('both clients have every body', () => clients.every((c) => c.messages.length === expected));
    for (const client of clients) {
      assert.deepEqual(client.messages.slice(0, 2), bodies);
      assert.deepEqual([...client.messages.slice(2)].sort(), [...together].sort());
      client.ws.close();
    }
  });
});
