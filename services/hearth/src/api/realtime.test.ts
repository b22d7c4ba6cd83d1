import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { Message, Room, RoomEvent, RoomForMember } from '@hearth/core';
import {
  PASSWORD,
  SseClient,
  WsClient,
  isEventAt,
  roomEventsOf,
  type SseOptions,
  type WsOptions,
  call,
  joinAs,
  sessionOf,
  setUpAccount,
  type TestSession,
} from '@hearth/testing';
import { startTestServer, type TestServer } from '../test-server.ts';
import type { ServerFrame } from '@hearth/core';

/**
 * The realtime endpoints of a whole Hearth (target `all`) listening on 127.0.0.1:
 * real WebSocket and SSE clients, changes made through the REST API.
 */

const seqs = (events: readonly RoomEvent[]): number[] => events.map((event) => event.seq);
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface World {
  readonly server: TestServer;
  readonly base: string;
  readonly admin: TestSession;
  readonly bob: TestSession;
  readonly carol: TestSession;
  readonly allTalk: string;
}

async function openWorld(env: Readonly<Record<string, string>> = {}): Promise<World> {
  const server = await startTestServer(env);
  const base = await server.listen();
  const admin = await setUpAccount(server.app);
  const bob = await joinAs(server.app, admin, 'Bob');
  const carol = await joinAs(server.app, admin, 'Carol');
  const rooms = (await call(server.app, 'GET', '/api/rooms', { session: admin })).json<{ rooms: RoomForMember[] }>().rooms;
  const allTalk = rooms.find((room) => room.name === 'All Talk')?.id ?? assert.fail('no All Talk');
  return { server, base, admin, bob, carol, allTalk };
}

function ws(t: TestContext, w: World, session: TestSession | null, options: WsOptions = {}): WsClient {
  const client = new WsClient(w.base, { ...(session === null ? {} : { cookie: session.cookie }), ...options });
  t.after(() => client.close());
  return client;
}

function sse(t: TestContext, w: World, options: SseOptions): SseClient {
  const client = new SseClient(w.base, options);
  t.after(() => client.close());
  return client;
}

async function post(w: World, session: TestSession, roomId: string, body: string): Promise<Message> {
  const response = await call(w.server.app, 'POST', `/api/rooms/${roomId}/messages`, { session, body: { body, clientMessageId: `c-${Math.random()}` } });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<Message>();
}

async function lastSeqOf(w: World, roomId: string): Promise<number> {
  return (await call(w.server.app, 'GET', `/api/rooms/${roomId}`, { session: w.admin })).json<RoomForMember>().lastSeq;
}

async function onlineUsers(w: World): Promise<string[]> {
  return (await call(w.server.app, 'GET', '/api/presence', { session: w.admin })).json<{ online: string[] }>().online;
}

/** Polls `condition` until it holds or `timeoutMs` passes; says whether it held. */
async function eventually(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
}

function roomEventFrames(frames: readonly ServerFrame[], roomId: string): ServerFrame[] {
  return frames.filter((frame) => frame.type === 'room.event' && frame.event.roomId === roomId);
}

describe('realtime over WebSocket and SSE', () => {
  let w: World;
  before(async () => {
    w = await openWorld();
  });
  after(async () => {
    await w.server.stop();
  });

  it('hello is answered with ready first (rooms and online), then live events in order', async (t) => {
    const start = await lastSeqOf(w, w.allTalk);
    const bob = ws(t, w, w.bob);
    const ready = await bob.ready();
    assert.equal(bob.frames[0]?.type, 'ready');
    assert.equal(ready.userId, w.bob.user.id);
    assert.deepEqual(ready.rooms, { [w.allTalk]: start });
    assert.ok(ready.online.includes(w.bob.user.id), `online ${JSON.stringify(ready.online)}`);
    assert.equal(typeof ready.connectionId, 'string');

    const posted: Message[] = [];
    for (const i of range(1, 5)) posted.push(await post(w, w.admin, w.allTalk, `live ${i}`));
    const first = posted[0] as Message;
    const edit = await call(w.server.app, 'PATCH', `/api/messages/${first.id}`, { session: w.admin, body: { body: 'live 1 (edited)' } });
    assert.equal(edit.statusCode, 200, edit.body);
    const boost = await call(w.server.app, 'POST', `/api/messages/${first.id}/boosts`, { session: w.carol, body: { content: '👏' } });
    assert.equal(boost.statusCode, 201, boost.body);
    const removed = await call(w.server.app, 'DELETE', `/api/messages/${first.id}`, { session: w.admin });
    assert.equal(removed.statusCode, 200, removed.body);

    await bob.waitFor(isEventAt(w.allTalk, start + 8), `seq ${start + 8}`);
    const events = roomEventsOf(bob.frames, w.allTalk);
    assert.deepEqual(seqs(events), range(start + 1, start + 8));
    assert.deepEqual(
      events.map((e) => e.type),
      [...Array<string>(5).fill('message.created'), 'message.updated', 'boost.created', 'message.deleted'],
    );
    assert.deepEqual(
      events.slice(0, 5).map((e) => (e.type === 'message.created' ? e.message.id : null)),
      posted.map((m) => m.id),
    );
    assert.deepEqual(events, await w.server.backends.store.eventsSince(w.allTalk, start, 100));
    for (const event of events) assert.equal(event.v, 1);
  });

  it('a room you are added to streams from its membership.added; your removal is the last event of it you get', async (t) => {
    const bob = ws(t, w, w.bob);
    await bob.ready();
    const created = await call(w.server.app, 'POST', '/api/rooms', { session: w.admin, body: { kind: 'closed', name: 'Later' } });
    const room = created.json<Room>();
    assert.equal(room.lastSeq, 2);
    assert.equal((await call(w.server.app, 'PUT', `/api/rooms/${room.id}/members/${w.bob.user.id}`, { session: w.admin })).statusCode, 200);
    const hello = await post(w, w.admin, room.id, 'welcome, Bob');
    assert.equal((await call(w.server.app, 'DELETE', `/api/rooms/${room.id}/members/${w.bob.user.id}`, { session: w.admin })).statusCode, 204);
    await post(w, w.admin, room.id, 'he is gone');
    const marker = await post(w, w.admin, w.allTalk, 'marker');
    await bob.waitFor(isEventAt(w.allTalk, marker.seq), 'the marker');
    const events = roomEventsOf(bob.frames, room.id);
    assert.deepEqual(
      events.map((e) => `${e.seq} ${e.type}`),
      ['3 membership.added', `${hello.seq} message.created`, '5 membership.removed'],
    );
  });

  it('resume replays exactly the missed events, then live ones; an unlisted room starts live', async (t) => {
    const first = ws(t, w, w.bob);
    const seen = (await first.ready()).rooms[w.allTalk] ?? assert.fail('no All Talk in ready');
    await first.close();

    for (const i of range(1, 3)) await post(w, w.admin, w.allTalk, `missed ${i}`);
    const renamed = await call(w.server.app, 'PATCH', `/api/rooms/${w.allTalk}`, { session: w.admin, body: { name: 'All Talk' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    const missed = await w.server.backends.store.eventsSince(w.allTalk, seen, 100);
    assert.deepEqual(seqs(missed), range(seen + 1, seen + 4));

    const resumed = ws(t, w, w.bob, { hello: { [w.allTalk]: seen } });
    assert.deepEqual((await resumed.ready()).rooms, { [w.allTalk]: seen });
    await resumed.waitFor(isEventAt(w.allTalk, seen + 4), `seq ${seen + 4}`);
    const live = await post(w, w.carol, w.allTalk, 'live again');
    assert.equal(live.seq, seen + 5);
    await resumed.waitFor(isEventAt(w.allTalk, live.seq), 'the live event');
    const events = roomEventsOf(resumed.frames, w.allTalk);
    assert.deepEqual(events.slice(0, 4), missed);
    assert.deepEqual(seqs(events), range(seen + 1, seen + 5));

    const fromZero = ws(t, w, w.bob, { hello: { [w.allTalk]: 0 } });
    assert.equal((await fromZero.ready()).rooms[w.allTalk], 0);
    await fromZero.waitFor(isEventAt(w.allTalk, live.seq), 'the whole history');
    assert.deepEqual(roomEventsOf(fromZero.frames, w.allTalk), await w.server.backends.store.eventsSince(w.allTalk, 0, 1_000));

    const ahead = ws(t, w, w.bob, { hello: { [w.allTalk]: 1_000_000, 'not-my-room': 3 } });
    assert.deepEqual((await ahead.ready()).rooms, { [w.allTalk]: live.seq }, 'clamped to the room, unknown rooms ignored');
    const unlisted = ws(t, w, w.bob, { hello: {} });
    assert.deepEqual((await unlisted.ready()).rooms, { [w.allTalk]: live.seq });
    const next = await post(w, w.carol, w.allTalk, 'after both');
    await ahead.waitFor(isEventAt(w.allTalk, next.seq), 'next on the clamped stream');
    await unlisted.waitFor(isEventAt(w.allTalk, next.seq), 'next on the unlisted stream');
    assert.deepEqual(seqs(roomEventsOf(ahead.frames, w.allTalk)), [next.seq]);
    assert.deepEqual(seqs(roomEventsOf(unlisted.frames, w.allTalk)), [next.seq]);
  });

  it('a bad frame is answered with bad_frame and close 4400', async (t) => {
    const frames = ['not json', '[1, 2]', '{"type":"shout"}', '{"type":"typing"}', '{"type":"hello","resume":{"r":-1}}', '{"type":"hello","resume":[]}'];
    for (const text of frames) {
      const client = ws(t, w, w.bob, { hello: false });
      await client.opened;
      client.send(text);
      const closed = await client.closed;
      assert.equal(closed.code, 4400, `close code after ${text}`);
      const error = client.frames.find((frame) => frame.type === 'error');
      assert.equal(error?.type === 'error' ? error.code : null, 'bad_frame', `error frame after ${text}`);
    }
    const afterHello = ws(t, w, w.bob);
    await afterHello.ready();
    afterHello.send('{"type":"ping"');
    assert.equal((await afterHello.closed).code, 4400);
  });

  it('ping is answered with pong', async (t) => {
    const bob = ws(t, w, w.bob);
    await bob.ready();
    bob.send({ type: 'ping' });
    await bob.waitFor((frame) => frame.type === 'pong', 'pong');
  });

  it('typing reaches the other members of the room but not the sender', async (t) => {
    const bob = ws(t, w, w.bob);
    const carol = ws(t, w, w.carol);
    const admin = ws(t, w, w.admin);
    await Promise.all([bob.ready(), carol.ready(), admin.ready()]);
    const closed = (
      await call(w.server.app, 'POST', '/api/rooms', { session: w.admin, body: { kind: 'closed', name: 'No Bob', memberIds: [w.carol.user.id] } })
    ).json<Room>();
    await Promise.all([admin.waitFor(isEventAt(closed.id, 3), 'the new room at the admin'), carol.waitFor(isEventAt(closed.id, 3), 'the new room at carol')]);

    bob.send({ type: 'typing', roomId: w.allTalk });
    bob.send({ type: 'typing', roomId: closed.id });
    const typing = await carol.waitFor((frame) => frame.type === 'typing', 'typing');
    assert.deepEqual(typing, { type: 'typing', roomId: w.allTalk, userId: w.bob.user.id });
    await admin.waitFor((frame) => frame.type === 'typing' && frame.userId === w.bob.user.id, 'typing at the admin');

    const viaRest = await call(w.server.app, 'POST', `/api/rooms/${closed.id}/typing`, { session: w.carol });
    assert.equal(viaRest.statusCode, 204);
    await admin.waitFor((frame) => frame.type === 'typing' && frame.userId === w.carol.user.id, 'REST typing at the admin');
    // Everything sent to bob before this pong has arrived before it.
    bob.send({ type: 'ping' });
    await bob.waitFor((frame) => frame.type === 'pong', 'pong');
    await sleep(50);
    assert.deepEqual(
      bob.frames.filter((frame) => frame.type === 'typing'),
      [],
      'not the sender, nor a non-member',
    );
    assert.deepEqual(
      carol.frames.filter((frame) => frame.type === 'typing'),
      [typing],
      'once; not to the typist herself',
    );
    assert.deepEqual(
      admin.frames.filter((frame) => frame.type === 'typing'),
      [typing, { type: 'typing', roomId: closed.id, userId: w.carol.user.id }],
      'a typing frame for a room bob is not in goes nowhere',
    );
  });

  it('presence: others hear a user come online and go offline', async (t) => {
    const admin = ws(t, w, w.admin);
    await admin.ready();
    const dave = await joinAs(w.server.app, w.admin, 'Dave');
    const daveWs = ws(t, w, dave);
    const ready = await daveWs.ready();
    assert.ok(ready.online.includes(w.admin.user.id) && ready.online.includes(dave.user.id));
    await admin.waitFor((frame) => frame.type === 'presence' && frame.userId === dave.user.id && frame.online, 'dave online');
    await daveWs.close();
    await admin.waitFor((frame) => frame.type === 'presence' && frame.userId === dave.user.id && !frame.online, 'dave offline');
    const online = (await call(w.server.app, 'GET', '/api/presence', { session: w.admin })).json<{ online: string[] }>().online;
    assert.ok(!online.includes(dave.user.id));
  });

  it('deactivating a user closes their WebSocket with 4001 and ends their SSE stream', async (t) => {
    const erin = await joinAs(w.server.app, w.admin, 'Erin');
    const socket = ws(t, w, erin);
    const stream = sse(t, w, { cookie: erin.cookie });
    await Promise.all([socket.ready(), stream.waitFor((frame) => frame.type === 'ready', 'SSE ready')]);
    const other = ws(t, w, w.bob);
    await other.ready();

    const patched = await call(w.server.app, 'PATCH', `/api/users/${erin.user.id}`, { session: w.admin, body: { active: false } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal((await socket.closed).code, 4001);
    assert.deepEqual(socket.frames.at(-1), { type: 'error', code: 'unauthenticated', message: 'your session ended' });
    await stream.closed;
    assert.deepEqual(stream.frames.at(-1), { type: 'error', code: 'unauthenticated', message: 'your session ended' });

    const marker = await post(w, w.admin, w.allTalk, 'bob is still connected');
    await other.waitFor(isEventAt(w.allTalk, marker.seq), "the marker on the other user's socket");
  });

  it('two hello frames back to back open one stream: one ready, each event once, and closing detaches it', async (t) => {
    const gina = await joinAs(w.server.app, w.admin, 'Gina');
    const client = ws(t, w, gina, { hello: false });
    await client.opened;
    // Both frames leave in the same tick, so the server reads the second before it has answered the first.
    client.send({ type: 'hello', resume: {} });
    client.send({ type: 'hello', resume: {} });
    const start = (await client.ready()).rooms[w.allTalk] ?? assert.fail('no All Talk in ready');
    for (const i of range(1, 3)) await post(w, w.admin, w.allTalk, `once ${i}`);
    await client.waitFor(isEventAt(w.allTalk, start + 3), `seq ${start + 3}`);
    // Everything sent to the socket before this pong has arrived before it.
    client.send({ type: 'ping' });
    await client.waitFor((frame) => frame.type === 'pong', 'pong');
    await sleep(50);
    assert.equal(client.frames.filter((frame) => frame.type === 'ready').length, 1, 'exactly one ready');
    assert.deepEqual(seqs(roomEventsOf(client.frames, w.allTalk)), range(start + 1, start + 3), 'each event once');
    assert.ok((await onlineUsers(w)).includes(gina.user.id));

    await client.close();
    const offline = await eventually(async () => !(await onlineUsers(w)).includes(gina.user.id), 2_000);
    assert.ok(offline, 'GET /api/presence still lists the user 2 s after their only socket closed');
  });

  it("a deactivated user's cookie is refused at once: the next request is 401 and a new WebSocket is refused 401", async (t) => {
    const hana = await joinAs(w.server.app, w.admin, 'Hana');
    const socket = ws(t, w, hana);
    await socket.ready();
    // The upgrade and this request have just looked the session up.
    assert.equal((await call(w.server.app, 'GET', '/api/session', { session: hana })).statusCode, 200);

    const patched = await call(w.server.app, 'PATCH', `/api/users/${hana.user.id}`, { session: w.admin, body: { active: false } });
    assert.equal(patched.statusCode, 200, patched.body);
    const next = await call(w.server.app, 'GET', '/api/session', { session: hana });
    assert.equal(next.statusCode, 401, next.body);
    assert.equal(next.json<{ error: { code: string } }>().error.code, 'unauthenticated');
    const again = ws(t, w, hana);
    await again.closed;
    assert.equal(again.refused?.status, 401, 'the upgrade was not refused');
    assert.equal((JSON.parse(again.refused?.body ?? '{}') as { error?: { code?: string } }).error?.code, 'unauthenticated');
    assert.deepEqual(again.frames, []);
    assert.equal((await socket.closed).code, 4001);
  });

  it("signing out closes the streams of that session with 4001, not those of the same user's other session", async (t) => {
    const frank = await joinAs(w.server.app, w.admin, 'Frank');
    const signIn = await call(w.server.app, 'POST', '/api/session', { body: { email: 'frank@example.com', password: PASSWORD } });
    const other = sessionOf(signIn);
    const ending = ws(t, w, frank);
    const endingSse = sse(t, w, { cookie: frank.cookie });
    const staying = ws(t, w, other);
    await Promise.all([ending.ready(), staying.ready(), endingSse.waitFor((frame) => frame.type === 'ready', 'SSE ready')]);

    assert.equal((await call(w.server.app, 'DELETE', '/api/session', { session: frank })).statusCode, 204);
    assert.equal((await ending.closed).code, 4001);
    assert.deepEqual(ending.frames.at(-1), { type: 'error', code: 'unauthenticated', message: 'you signed out' });
    await endingSse.closed;
    assert.equal(endingSse.frames.at(-1)?.type, 'error');
    const marker = await post(w, w.admin, w.allTalk, 'frank is still here on his other session');
    await staying.waitFor(isEventAt(w.allTalk, marker.seq), 'the marker on the other session');
    const again = ws(t, w, frank);
    await again.closed;
    assert.equal(again.refused?.status, 401, 'the ended session cannot open a new stream');
  });

  it('SSE carries the same events as the WebSocket, with id <room>:<seq>; Last-Event-ID resumes that room', async (t) => {
    const socket = ws(t, w, w.bob);
    const stream = sse(t, w, { cookie: w.bob.cookie });
    const [wsReady, sseReady] = await Promise.all([socket.ready(), stream.waitFor((frame) => frame.type === 'ready', 'SSE ready')]);
    assert.equal(stream.status, 200);
    assert.equal(stream.messages[0]?.event, 'ready');
    assert.equal(stream.messages[0]?.id, null);
    assert.ok(sseReady.type === 'ready');
    assert.deepEqual(sseReady.rooms, wsReady.rooms);
    const start = wsReady.rooms[w.allTalk] ?? assert.fail('no All Talk');

    for (const i of range(1, 3)) await post(w, w.admin, w.allTalk, `sse ${i}`);
    const last = start + 3;
    await Promise.all([socket.waitFor(isEventAt(w.allTalk, last), 'ws last'), stream.waitFor(isEventAt(w.allTalk, last), 'sse last')]);
    assert.deepEqual(roomEventFrames(stream.frames, w.allTalk), roomEventFrames(socket.frames, w.allTalk));
    const sent = stream.messages.filter((m) => m.event === 'room.event');
    assert.deepEqual(
      sent.map((m) => m.id),
      range(start + 1, last).map((seq) => `${w.allTalk}:${seq}`),
    );

    const resumed = sse(t, w, { cookie: w.bob.cookie, lastEventId: `${w.allTalk}:${last - 2}` });
    const ready = await resumed.waitFor((frame) => frame.type === 'ready', 'resumed ready');
    assert.ok(ready.type === 'ready');
    assert.deepEqual(ready.rooms, { [w.allTalk]: last - 2 });
    await resumed.waitFor(isEventAt(w.allTalk, last), 'resumed last');
    const live = await post(w, w.carol, w.allTalk, 'sse live');
    await resumed.waitFor(isEventAt(w.allTalk, live.seq), 'resumed live');
    assert.deepEqual(
      resumed.messages.filter((m) => m.event === 'room.event').map((m) => m.id),
      [last - 1, last, live.seq].map((seq) => `${w.allTalk}:${seq}`),
    );

    // The header wins over an older resume value for its room.
    const both = sse(t, w, { cookie: w.bob.cookie, resume: { [w.allTalk]: 1 }, lastEventId: `${w.allTalk}:${live.seq - 1}` });
    await both.waitFor(isEventAt(w.allTalk, live.seq), 'resumed from the header');
    assert.deepEqual(seqs(roomEventsOf(both.frames, w.allTalk)), [live.seq]);
  });

  it('refuses a stream without a session (401) or, for WebSocket, from a foreign Origin (403)', async (t) => {
    const anonymous = ws(t, w, null);
    await anonymous.closed;
    assert.equal(anonymous.refused?.status, 401);
    assert.equal((JSON.parse(anonymous.refused?.body ?? '{}') as { error?: { code?: string } }).error?.code, 'unauthenticated');
    const foreign = ws(t, w, w.bob, { origin: 'https://evil.example' });
    await foreign.closed;
    assert.equal(foreign.refused?.status, 403);
    const same = ws(t, w, w.bob, { origin: w.base });
    await same.ready();
    const stream = sse(t, w, { cookie: 'hearth_session=nope' });
    await stream.closed;
    assert.equal(stream.status, 401);
  });
});

describe('a client that stops reading', () => {
  it('is closed while a normal client receives everything, and resumes without loss', async (t) => {
    const w = await openWorld({ HEARTH_CONNECTION_BUFFER_BYTES: '65536', HEARTH_MAX_MESSAGE_CHARS: '60000' });
    t.after(() => w.server.stop());
    const slow = ws(t, w, w.bob);
    const normal = ws(t, w, w.carol);
    const [slowReady] = await Promise.all([slow.ready(), normal.ready()]);
    const start = slowReady.rooms[w.allTalk] ?? assert.fail('no All Talk');
    slow.pauseReading();

    // ~7.5 MB: past what the kernel buffers for a socket on loopback, then past the limit.
    // Posted over HTTP so the event loop turns (and the normal client reads) between posts.
    const count = 150;
    const filler = 'x'.repeat(50_000);
    for (const i of range(1, count)) {
      const response = await fetch(`${w.base}/api/rooms/${w.allTalk}/messages`, {
        method: 'POST',
        headers: { cookie: w.admin.cookie, 'x-csrf-token': w.admin.csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify({ body: `${i} ${filler}`, clientMessageId: `big-${i}` }),
      });
      assert.equal(response.status, 201);
      await response.arrayBuffer();
    }
    const last = start + count;
    await normal.waitFor(isEventAt(w.allTalk, last), 'everything at the normal client', 10_000);
    assert.deepEqual(seqs(roomEventsOf(normal.frames, w.allTalk)), range(start + 1, last));

    slow.resumeReading();
    const closed = await Promise.race([slow.closed, delay(5_000, null, { ref: false })]);
    assert.ok(closed !== null, 'the slow client was not closed');
    assert.ok(closed.code === 4429 || closed.code === 1006, `close code ${closed.code}`);
    const got = roomEventsOf(slow.frames, w.allTalk);
    assert.ok(got.length < count, `the slow client received all ${got.length} events`);
    assert.deepEqual(seqs(got), range(start + 1, start + got.length), 'what it did get was in order');
    for (const frame of slow.frames) if (frame.type === 'error') assert.equal(frame.code, 'too_slow');

    // Counted as what it is: one slow-consumer close, and at least the frame that tripped it dropped.
    const { metrics } = w.server.backends;
    const closes = (await metrics.slowConsumerCloses.get()).values.find((v) => v.labels.transport === 'websocket')?.value;
    assert.equal(closes, 1);
    const drops = (await metrics.fanoutDrops.get()).values[0]?.value ?? 0;
    assert.ok(drops >= 1 && drops <= count - got.length, `${drops} frames dropped, ${count - got.length} not received`);

    const resumed = ws(t, w, w.bob, { hello: { [w.allTalk]: start + got.length } });
    await resumed.waitFor(isEventAt(w.allTalk, last), 'the rest after resuming', 10_000);
    assert.deepEqual(seqs(roomEventsOf(resumed.frames, w.allTalk)), range(start + got.length + 1, last));
  });
});
