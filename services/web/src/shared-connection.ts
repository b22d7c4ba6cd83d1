import type { ClientFrame, ReadyFrame, ServerFrame } from './api-types.ts';
import { browserConnectionDeps, createConnection, type Connection, type ConnectionHandlers, type ConnectionStatus } from './connection.ts';

/**
 * One realtime connection for all the tabs of a browser. The tab that holds a lock (the Web
 * Locks API, held for the tab's life) leads: it opens the connection (connection.ts) and relays
 * every frame and status change to the other tabs over a BroadcastChannel; the others follow,
 * and send their client frames (typing) through it. When the leading tab closes, the browser
 * hands the lock to another, which connects with a resume map.
 *
 * Each tab still applies events by its own views' sequences and drops those it has. A resume
 * map covers every tab's open rooms, each from the lowest sequence any tab has: followers report
 * theirs whenever the connection is (re)opening, and a follower the stream continues past (its
 * `ready` starts a room after what it holds, messages.ts) asks for a resync with its map.
 */

/** What the tabs say to each other. */
export type TabMessage =
  /** Leader → followers: a frame from the server. */
  | { readonly kind: 'frame'; readonly frame: ServerFrame }
  /** Leader → followers: the connection's status. */
  | { readonly kind: 'status'; readonly status: ConnectionStatus }
  /** Leader → followers: the session is gone (close code 4001). */
  | { readonly kind: 'unauthenticated' }
  /** Leader → a follower that joined: the status now, and the `ready` it would have had, kept current with presence. */
  | { readonly kind: 'welcome'; readonly status: ConnectionStatus; readonly ready: ReadyFrame | null }
  /** Follower → leader: it opened; the leader answers with a welcome. */
  | { readonly kind: 'join' }
  /** Follower → leader: a client frame to send. */
  | { readonly kind: 'send'; readonly frame: ClientFrame }
  /** Follower → leader: its resume map, for the next connect; with `resync`, reconnect now. */
  | { readonly kind: 'resume'; readonly resume: Readonly<Record<string, number>>; readonly resync: boolean };

/** A channel to the browser's other tabs of this session; a tab does not hear its own messages. */
export interface TabLink {
  post(message: TabMessage): void;
  listen(listener: (message: TabMessage) => void): void;
  close(): void;
}

export interface LeaderLock {
  /** Calls `onLeader` once this tab holds the lock: at once, or when the tab holding it goes. Returns the release. */
  acquire(onLeader: () => void): () => void;
}

export interface SharedConnectionDeps {
  readonly link: TabLink;
  readonly lock: LeaderLock;
  /** The real connection, opened once this tab leads. */
  openConnection(handlers: ConnectionHandlers): Connection;
}

/** Per room, the lowest sequence of the maps: each tab gets what it lacks, and drops what it has. */
export function mergeResume(...maps: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const map of maps) {
    for (const [roomId, seq] of Object.entries(map)) merged[roomId] = Math.min(merged[roomId] ?? seq, seq);
  }
  return merged;
}

/** The leader's last `ready`, kept current: what a tab that joins later starts from. */
export function nextSnapshot(snapshot: ReadyFrame | null, frame: ServerFrame): ReadyFrame | null {
  if (frame.type === 'ready') return frame;
  if (frame.type !== 'presence' || snapshot === null) return snapshot;
  const others = snapshot.online.filter((id) => id !== frame.userId);
  return { ...snapshot, online: frame.online ? [...others, frame.userId] : others };
}

interface Role {
  send(frame: ClientFrame): boolean;
  resync(): void;
  hear(message: TabMessage): void;
  stop(): void;
}

/** This tab holds the connection: it relays what it hears, and answers the followers. */
function lead(handlers: ConnectionHandlers, deps: SharedConnectionDeps): Role {
  const { link } = deps;
  let othersResume: Record<string, number> = {};
  let snapshot: ReadyFrame | null = null;
  let status: ConnectionStatus = 'connecting';
  const connection = deps.openConnection({
    resume() {
      const merged = mergeResume(handlers.resume(), othersResume);
      othersResume = {};
      return merged;
    },
    onFrame(frame) {
      // Reports that came after the hello are of no use now: a follower left behind asks for a resync.
      if (frame.type === 'ready') othersResume = {};
      snapshot = nextSnapshot(snapshot, frame);
      handlers.onFrame(frame);
      link.post({ kind: 'frame', frame });
    },
    onStatus(next) {
      status = next;
      handlers.onStatus(next);
      link.post({ kind: 'status', status: next });
    },
    onUnauthenticated() {
      link.post({ kind: 'unauthenticated' });
      handlers.onUnauthenticated();
    },
    onAbnormalClose: () => handlers.onAbnormalClose?.(),
  });
  connection.start();
  return {
    send: connection.send,
    resync: connection.resync,
    hear(message) {
      if (message.kind === 'send') connection.send(message.frame);
      else if (message.kind === 'join') link.post({ kind: 'welcome', status, ready: snapshot });
      else if (message.kind === 'resume') {
        othersResume = mergeResume(othersResume, message.resume);
        if (message.resync) connection.resync();
      }
      // What a leader says ('frame', 'status'…) may still come from the tab that led before: not for this one.
    },
    stop: connection.stop,
  };
}

/** Another tab holds the connection: this one hears it through the channel. */
function follow(handlers: ConnectionHandlers, link: TabLink): Role {
  let status: ConnectionStatus = 'connecting';
  const report = (resync: boolean): void => link.post({ kind: 'resume', resume: handlers.resume(), resync });

  function setStatus(next: ConnectionStatus): void {
    // The leader stopped (signed out, or its tab is going): another tab will lead; is the session still there?
    if (next === 'stopped') handlers.onAbnormalClose?.();
    status = next === 'stopped' ? 'reconnecting' : next;
    handlers.onStatus(status);
    if (status === 'connecting' || status === 'reconnecting') report(false);
  }

  return {
    send(frame) {
      if (status !== 'open') return false;
      link.post({ kind: 'send', frame });
      return true;
    },
    resync: () => report(true),
    hear(message) {
      switch (message.kind) {
        case 'frame':
          return handlers.onFrame(message.frame);
        case 'status':
          return setStatus(message.status);
        case 'welcome':
          if (message.ready !== null) handlers.onFrame(message.ready);
          return setStatus(message.status);
        case 'unauthenticated':
          return handlers.onUnauthenticated();
        case 'join':
        case 'send':
        case 'resume':
          return;
      }
    },
    stop: () => undefined,
  };
}

/** Like connection.ts's, except that once stopped it stays stopped: its channel is closed. */
export function createSharedConnection(handlers: ConnectionHandlers, deps: SharedConnectionDeps): Connection {
  let role: Role | null = null;
  let release: (() => void) | null = null;
  let started = false;
  let stopped = false;

  return {
    start() {
      if (started) return;
      started = true;
      handlers.onStatus('connecting');
      role = follow(handlers, deps.link);
      deps.link.listen((message) => role?.hear(message));
      deps.link.post({ kind: 'join' });
      release = deps.lock.acquire(() => {
        if (!stopped) role = lead(handlers, deps);
      });
    },
    stop() {
      if (!started || stopped) return;
      stopped = true;
      role?.stop();
      role = null;
      release?.();
      deps.link.close();
      handlers.onStatus('stopped');
    },
    resync: () => role?.resync(),
    send: (frame) => role?.send(frame) ?? false,
  };
}

function isTabMessage(data: unknown): data is TabMessage {
  return typeof data === 'object' && data !== null && typeof (data as { kind?: unknown }).kind === 'string';
}

function browserTabLink(name: string): TabLink {
  const channel = new BroadcastChannel(name);
  return {
    post: (message) => channel.postMessage(message),
    listen(listener) {
      channel.onmessage = (event: MessageEvent) => {
        if (isTabMessage(event.data)) listener(event.data);
      };
    },
    close: () => channel.close(),
  };
}

function browserLeaderLock(locks: LockManager, name: string): LeaderLock {
  return {
    acquire(onLeader) {
      const abandon = new AbortController();
      let letGo = (): void => undefined;
      // Held until released: the tab's life, unless the chat stops first.
      const held = new Promise<void>((resolve) => {
        letGo = resolve;
      });
      locks
        .request(name, { signal: abandon.signal }, () => {
          onLeader();
          return held;
        })
        .catch(() => undefined); // Abandoned before it was granted.
      return () => {
        abandon.abort();
        letGo();
      };
    },
  };
}

/**
 * The realtime connection of this tab: shared with the browser's other tabs of the same user
 * where the browser has Web Locks and BroadcastChannel (secure contexts), else the tab's own.
 */
export function connectAcrossTabs(handlers: ConnectionHandlers, userId: string): Connection {
  const locks = typeof navigator === 'object' ? (navigator as Partial<Navigator>).locks : undefined;
  if (locks === undefined || typeof BroadcastChannel === 'undefined') return createConnection(handlers, browserConnectionDeps());
  const name = `hearth-connection:${userId}`;
  return createSharedConnection(handlers, {
    link: browserTabLink(name),
    lock: browserLeaderLock(locks, name),
    openConnection: (leaderHandlers) => createConnection(leaderHandlers, browserConnectionDeps()),
  });
}
