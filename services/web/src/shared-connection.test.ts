/// <reference types="node" />
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ClientFrame, ReadyFrame, ServerFrame } from './api-types.ts';
import type { Connection, ConnectionHandlers, ConnectionStatus } from './connection.ts';
import { createSharedConnection, mergeResume, nextSnapshot, type LeaderLock, type TabLink, type TabMessage } from './shared-connection.ts';

/** Lets every message between the tabs arrive, and the answers to them. */
const settle = async (): Promise<void> => {
  for (let k = 0; k < 6; k += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** One browser: a BroadcastChannel (asynchronous, never back to the sender) and a lock granted in turn. */
function fakeBrowser() {
  const links = new Set<{ listener: (message: TabMessage) => void }>();
  const waiting: { onLeader: () => void; released: boolean }[] = [];
  let holder: (typeof waiting)[number] | null = null;
  const grantNext = (): void => {
    holder = waiting.find((w) => !w.released) ?? null;
    if (holder !== null) {
      waiting.splice(waiting.indexOf(holder), 1);
      // Granted asynchronously, as by the browser.
      setImmediate(holder.onLeader);
    }
  };
  const newLink = (): TabLink & { drop(): void } => {
    const me = { listener: (_: TabMessage): void => undefined };
    return {
      post(message) {
        const copy = structuredClone(message);
        for (const other of links) if (other !== me) setImmediate(() => links.has(other) && other.listener(copy));
      },
      listen(listener) {
        me.listener = listener;
        links.add(me);
      },
      close: () => links.delete(me),
      drop: () => links.delete(me),
    };
  };
  const lock: LeaderLock = {
    acquire(onLeader) {
      const entry = { onLeader, released: false };
      waiting.push(entry);
      if (holder === null) grantNext();
      return () => {
        entry.released = true;
        if (holder === entry) grantNext();
      };
    },
  };
  return { newLink, lock };
}

/** The connection a leading tab opens: it records what it is asked, and the test plays the server. */
interface FakeSocket {
  readonly handlers: ConnectionHandlers;
  readonly sent: ClientFrame[];
  readonly hellos: Record<string, number>[];
  resyncs: number;
  stopped: boolean;
  /** The connection (re)opens: hello with the resume map, then the server's ready. */
  open(ready?: Partial<ReadyFrame>): void;
}

const READY: ReadyFrame = { type: 'ready', connectionId: 'c1', userId: 'u1', rooms: {}, online: [] };

function event(roomId: string, seq: number): ServerFrame {
  return { type: 'room.event', event: { v: 1, type: 'message.deleted', roomId, seq, at: '2026-01-01T00:00:00Z', messageId: `m${seq}` } } as ServerFrame;
}

/** A tab: its own views' resume map, what it heard, and its shared connection. */
function openTab(browser: ReturnType<typeof fakeBrowser>, sockets: FakeSocket[], resume: Record<string, number> = {}) {
  const tab = { resume, frames: [] as ServerFrame[], statuses: [] as ConnectionStatus[], unauthenticated: 0, sessionChecks: 0 };
  const link = browser.newLink();
  // What closing the tab lets go of: the lock it asked for.
  let release = (): void => undefined;
  const lock: LeaderLock = {
    acquire(onLeader) {
      release = browser.lock.acquire(onLeader);
      return release;
    },
  };
  const handlers: ConnectionHandlers = {
    resume: () => ({ ...tab.resume }),
    onFrame: (frame) => tab.frames.push(frame),
    onStatus: (status) => tab.statuses.push(status),
    onUnauthenticated: () => (tab.unauthenticated += 1),
    onAbnormalClose: () => (tab.sessionChecks += 1),
  };
  const connection = createSharedConnection(handlers, {
    link,
    lock,
    openConnection(leaderHandlers): Connection {
      const socket: FakeSocket = {
        handlers: leaderHandlers,
        sent: [],
        hellos: [],
        resyncs: 0,
        stopped: false,
        open(ready = {}) {
          socket.hellos.push(leaderHandlers.resume());
          leaderHandlers.onStatus('open');
          leaderHandlers.onFrame({ ...READY, ...ready });
        },
      };
      sockets.push(socket);
      return {
        start: () => leaderHandlers.onStatus('connecting'),
        stop() {
          socket.stopped = true;
          leaderHandlers.onStatus('stopped');
        },
        resync: () => (socket.resyncs += 1),
        send: (frame) => socket.sent.push(frame) > 0,
      };
    },
  });
  connection.start();
  return {
    tab,
    connection,
    /** The tab closes without a word, as a browser tab does. */
    close() {
      link.drop();
      release();
    },
  };
}

test('resume maps merge to the lowest sequence per room', () => {
  assert.deepEqual(mergeResume({ a: 5, b: 9 }, { a: 3, c: 1 }, {}), { a: 3, b: 9, c: 1 });
  assert.deepEqual(mergeResume(), {});
});

test("the leader's last ready follows presence, for a tab that joins later", () => {
  const ready = nextSnapshot(null, { ...READY, online: ['u1', 'u2'] });
  const later = [
    { type: 'presence', userId: 'u3', online: true },
    { type: 'presence', userId: 'u2', online: false },
    event('a', 1),
  ] as const satisfies readonly ServerFrame[];
  assert.deepEqual(later.reduce<ReadyFrame | null>(nextSnapshot, ready)?.online, ['u1', 'u3']);
  assert.equal(nextSnapshot(null, { type: 'presence', userId: 'u3', online: true }), null);
});

test('three tabs: one connection, opened by the first; every frame and status reaches all three', async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  const tabs = [openTab(browser, sockets), openTab(browser, sockets), openTab(browser, sockets)];
  await settle();
  assert.equal(sockets.length, 1);
  sockets[0]!.open({ online: ['u2'] });
  sockets[0]!.handlers.onFrame(event('a', 1));
  await settle();
  for (const { tab } of tabs) {
    assert.deepEqual(
      tab.frames.map((f) => f.type),
      ['ready', 'room.event'],
    );
    assert.equal(tab.statuses.at(-1), 'open');
  }
});

test("a follower's typing goes out on the leader's connection, and only while it is open", async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  openTab(browser, sockets);
  const follower = openTab(browser, sockets);
  await settle();
  assert.equal(follower.connection.send({ type: 'typing', roomId: 'a' }), false, 'not open yet');
  sockets[0]!.open();
  await settle();
  assert.equal(follower.connection.send({ type: 'typing', roomId: 'a' }), true);
  await settle();
  assert.deepEqual(sockets[0]!.sent, [{ type: 'typing', roomId: 'a' }]);
});

test("a reconnect resumes every tab's rooms from the lowest sequence any tab has", async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  const leader = openTab(browser, sockets, { a: 10 });
  openTab(browser, sockets, { a: 7, b: 3 });
  await settle();
  sockets[0]!.open();
  await settle();
  sockets[0]!.handlers.onStatus('reconnecting');
  await settle();
  sockets[0]!.open({ rooms: { a: 7, b: 3 } });
  assert.deepEqual(sockets[0]!.hellos.at(-1), { a: 7, b: 3 });
  // The follower's report was for that connect only.
  leader.tab.resume = { a: 12 };
  sockets[0]!.open({ rooms: { a: 12 } });
  assert.deepEqual(sockets[0]!.hellos.at(-1), { a: 12 });
});

test("a follower's resync reconnects the leader with the follower's map, and it gets its rooms from there", async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  openTab(browser, sockets, { a: 10 });
  await settle();
  sockets[0]!.open({ rooms: { a: 10, b: 8 } });
  // A tab that opened room b (at 5) after the connect: the ready it is welcomed with continues b from 8,
  // so its views ask for a resync (messages.ts).
  const late = openTab(browser, sockets, { b: 5 });
  await settle();
  assert.deepEqual(late.tab.frames.at(-1), { ...READY, rooms: { a: 10, b: 8 } });
  late.connection.resync();
  await settle();
  assert.equal(sockets[0]!.resyncs, 1);
  sockets[0]!.open({ rooms: { a: 10, b: 5 } });
  assert.deepEqual(sockets[0]!.hellos.at(-1), { a: 10, b: 5 });
});

test('a tab that joins later gets the status and the current ready (with presence since) at once', async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  openTab(browser, sockets);
  await settle();
  sockets[0]!.open({ online: ['u1'] });
  sockets[0]!.handlers.onFrame({ type: 'presence', userId: 'u2', online: true });
  const late = openTab(browser, sockets);
  await settle();
  assert.deepEqual(late.tab.statuses, ['connecting', 'open']);
  const ready = late.tab.frames.find((f) => f.type === 'ready');
  assert.deepEqual(ready?.type === 'ready' ? ready.online : null, ['u1', 'u2']);
});

test('the leading tab closes: the next takes the lock and connects with its resume map; the rest follow it', async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  const tabs = [openTab(browser, sockets, { a: 4 }), openTab(browser, sockets, { a: 4 }), openTab(browser, sockets, { a: 4 })];
  await settle();
  sockets[0]!.open();
  await settle();

  tabs[0]!.close();
  await settle();
  assert.equal(sockets.length, 2, 'the second tab connected');
  sockets[1]!.open({ rooms: { a: 4 } });
  assert.deepEqual(sockets[1]!.hellos, [{ a: 4 }]);
  sockets[1]!.handlers.onFrame(event('a', 5));
  await settle();
  assert.ok(tabs[2]!.tab.frames.some((f) => f.type === 'room.event' && f.event.seq === 5));
  assert.ok(!tabs[0]!.tab.frames.some((f) => f.type === 'room.event'), 'the closed tab hears nothing');
});

test('the session gone: every tab hears it; the leader stopping has the followers check the session', async () => {
  const browser = fakeBrowser();
  const sockets: FakeSocket[] = [];
  const leader = openTab(browser, sockets);
  const next = openTab(browser, sockets);
  const follower = openTab(browser, sockets);
  await settle();
  sockets[0]!.handlers.onUnauthenticated();
  await settle();
  assert.deepEqual(
    [leader, next, follower].map((t) => t.tab.unauthenticated),
    [1, 1, 1],
  );

  leader.connection.stop();
  await settle();
  assert.ok(sockets[0]!.stopped);
  assert.equal(follower.tab.sessionChecks, 1);
  assert.ok(!follower.tab.statuses.includes('stopped'), 'another tab will lead');
  assert.equal(sockets.length, 2, 'the next tab does');
});
