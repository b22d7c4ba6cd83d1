import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTeam, DEFAULT_ROOM, errorOf, HearthClient, type RawOptions, type RawResponse } from './client.ts';
import { startHearth, type Hearth } from './harness.ts';
import { CLOSE_CODES } from './protocol.ts';
import { connectSse, connectWebSocket } from './realtime.ts';

/**
 * Every kind of bad input gets a 4xx with {error: {code, message, field?}} that
 * names the problem: never a 500, never a hang, and nothing is stored.
 */

const TIMEOUT: RawOptions = { timeoutMs: 5_000 };

function assertError(response: RawResponse, status: number, code: string, field?: string): void {
  const what = `${response.status} ${response.text.slice(0, 300)}`;
  assert.equal(response.status, status, `status: ${what}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/, `content-type: ${what}`);
  const error = errorOf(response);
  assert.ok(error !== null, `an {error} body: ${what}`);
  assert.equal(error.code, code, `error.code: ${what}`);
  assert.ok(typeof error.message === 'string' && error.message.length > 0, `error.message: ${what}`);
  if (field !== undefined) assert.equal(error.field, field, `error.field: ${what}`);
}

describe('bad input', () => {
  let hearth: Hearth;
  let admin: HearthClient;
  let bob: HearthClient;
  let roomId: string;
  let closedRoomId: string;
  let messageId: string;
  const baseline = new Map<string, { lastSeq: number; messages: number }>();

  const post = (client: HearthClient, room: string, body: unknown, options: RawOptions = TIMEOUT): Promise<RawResponse> =>
    client.raw('POST', `/api/rooms/${encodeURIComponent(room)}/messages`, body, options);

  async function snapshot(): Promise<Map<string, { lastSeq: number; messages: number }>> {
    const result = new Map<string, { lastSeq: number; messages: number }>();
    for (const id of [roomId, closedRoomId]) {
      result.set(id, { lastSeq: (await admin.room(id)).lastSeq, messages: (await admin.allMessages(id)).length });
    }
    return result;
  }

  before(async () => {
    hearth = await startHearth();
    const team = await createTeam(hearth.url, 1);
    admin = team.admin;
    bob = team.members[0]!;
    roomId = (await admin.roomNamed(DEFAULT_ROOM)).id;
    closedRoomId = (await admin.createRoom('closed', 'Admins only')).id;
    messageId = (await admin.post(roomId, 'boost me', 'boost-target')).id;
    for (const [id, counts] of await snapshot()) baseline.set(id, counts);
  });
  after(async () => {
    await hearth?.stop();
  });

  it('malformed JSON: 400 invalid_json', async () => {
    assertError(await post(bob, roomId, '{"body": "half a'), 400, 'invalid_json');
  });

  it('a message body over 10,000 characters: 413 payload_too_large on body', async () => {
    assertError(await post(bob, roomId, { body: 'x'.repeat(10_001), clientMessageId: 'too-long' }), 413, 'payload_too_large', 'body');
  });

  it('a request body over the byte limit: 413 payload_too_large', async () => {
    assertError(await post(bob, roomId, { body: 'x'.repeat(300 * 1024), clientMessageId: 'way-too-long' }), 413, 'payload_too_large');
  });

  it('an empty, missing or mistyped field: 400 invalid_request naming it', async () => {
    assertError(await post(bob, roomId, { body: '', clientMessageId: 'empty' }), 400, 'invalid_request', 'body');
    assertError(await post(bob, roomId, { body: 42, clientMessageId: 'number' }), 400, 'invalid_request', 'body');
    assertError(await post(bob, roomId, { body: 'no id' }), 400, 'invalid_request', 'clientMessageId');
  });

  it('an unknown field: 400 naming it', async () => {
    const response = await post(bob, roomId, { body: 'hi', clientMessageId: 'unknown-field', colour: 'red' });
    assertError(response, 400, 'invalid_request');
    const error = errorOf(response)!;
    assert.ok(error.field === 'colour' || error.message.includes('colour'), `names "colour": ${response.text}`);
  });

  it('an unknown room: 404 room_not_found', async () => {
    // Ids are opaque: change the last character of a real one to get an id of the same shape that names nothing.
    const unknown = roomId.slice(0, -1) + (roomId.endsWith('0') ? '1' : '0');
    assertError(await post(bob, unknown, { body: 'hi', clientMessageId: 'nowhere' }), 404, 'room_not_found');
    assertError(await bob.raw('GET', `/api/rooms/${unknown}/messages`, undefined, TIMEOUT), 404, 'room_not_found');
  });

  it('a closed room of someone else: 403 not_a_member', async () => {
    assertError(await post(bob, closedRoomId, { body: 'let me in', clientMessageId: 'intruder' }), 403, 'not_a_member');
    assertError(await bob.raw('GET', `/api/rooms/${closedRoomId}/messages`, undefined, TIMEOUT), 403, 'not_a_member');
  });

  it('a change with the session cookie but without the CSRF token, or a wrong one: 403 csrf_mismatch', async () => {
    assertError(await post(bob, roomId, { body: 'forged', clientMessageId: 'forged-1' }, { ...TIMEOUT, csrf: false }), 403, 'csrf_mismatch');
    assertError(
      await post(bob, roomId, { body: 'forged', clientMessageId: 'forged-2' }, { ...TIMEOUT, headers: { 'x-csrf-token': 'not-the-token' } }),
      403,
      'csrf_mismatch',
    );
  });

  it('no session: 401 unauthenticated', async () => {
    const stranger = new HearthClient(hearth.url);
    assertError(await stranger.raw('GET', '/api/rooms', undefined, TIMEOUT), 401, 'unauthenticated');
    assertError(await post(stranger, roomId, { body: 'hi', clientMessageId: 'anon' }), 401, 'unauthenticated');
  });

  it('a boost over 16 characters: 400 on content', async () => {
    const response = await bob.raw('POST', `/api/messages/${messageId}/boosts`, { content: 'x'.repeat(17) }, TIMEOUT);
    assertError(response, 400, 'invalid_request', 'content');
    assert.deepEqual((await admin.message(messageId)).boosts, []);
  });

  it('a bad query parameter: 400 on limit', async () => {
    for (const limit of ['abc', '0', '101', '-1']) {
      assertError(await bob.raw('GET', `/api/rooms/${roomId}/messages?limit=${limit}`, undefined, TIMEOUT), 400, 'invalid_request', 'limit');
    }
  });

  it('a WebSocket frame that is not JSON, or not a known frame: error bad_frame and close 4400', async () => {
    for (const bad of ['this is not JSON', JSON.stringify({ type: 'shout', roomId })]) {
      const stream = bob.connectWebSocket();
      await stream.ready;
      stream.send(bad);
      const error = await stream.waitFor((frame) => frame.type === 'error', 5_000, 'the error frame');
      assert.equal(error.type === 'error' && error.code, 'bad_frame');
      assert.equal((await stream.closed).code, CLOSE_CODES.bad_frame);
    }
  });

  it('a realtime stream without a session: 401; a WebSocket from a foreign Origin: 403', async () => {
    const anonymous = connectWebSocket(hearth.url);
    await anonymous.closed;
    assert.equal(anonymous.refused?.status, 401, `refused: ${JSON.stringify(anonymous.refused)}`);
    assert.equal((JSON.parse(anonymous.refused.body) as { error: { code: string } }).error.code, 'unauthenticated');

    const foreign = connectWebSocket(hearth.url, { cookie: bob.cookieHeader(), origin: 'https://evil.example' });
    await foreign.closed;
    assert.equal(foreign.refused?.status, 403, `refused: ${JSON.stringify(foreign.refused)}`);

    const sse = connectSse(hearth.url);
    await sse.closed;
    assert.equal(sse.refused?.status, 401, `refused: ${JSON.stringify(sse.refused)}`);
  });

  it('nothing was stored by any of it, and the server is still ready', async () => {
    assert.deepEqual(await snapshot(), baseline);
    const ready = await fetch(`${hearth.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    assert.equal(ready.status, 200);
  });
});
