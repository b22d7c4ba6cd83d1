import type { api } from './api.ts';
import { ApiError } from './api.ts';
import type { Message } from './api-types.ts';
import { errorText, withView, type ChatContext } from './chat-state.ts';
import { watchConnectionBack } from './connection-back.ts';
import { addPending, setPendingStatus, upsertMessages, type PendingMessage, type RoomView } from './room-state.ts';
import { safeStorage } from './local-storage.ts';
import { createSendQueue, type RetryPolicy } from './send-queue.ts';
import { createUnsentPosts, type UnsentPosts } from './unsent-posts.ts';

/**
 * The person's own posts: shown at once as pending, sent through the send queue so
 * they are stored in the order typed, then replaced by the stored message, or
 * marked failed with a retry. Without a connection (the browser offline, the network
 * failing) a post is never given up: it and those after it show that they wait for the
 * connection, and go in order, each with its clientMessageId, once it is back. A post
 * whose request reached the server but whose answer was lost is then answered with the
 * message it made (the server's idempotency), so it shows once. Posts not yet stored are kept in
 * the browser too (unsent-posts.ts): the next page after a reload sends them.
 */

/** Five tries over about seven seconds: a short network blip passes unseen, a longer one shows "failed" with a retry. */
export const POST_RETRY: RetryPolicy = { attempts: 5, backoff: { firstMs: 500, maxMs: 4_000 } };

/** What a post says while it waits for the connection. */
export const WAITING_FOR_CONNECTION = 'Waiting for the connection…';

export type OutboxApi = Pick<typeof api, 'postMessage'>;

export interface OutboxDeps {
  readonly ctx: ChatContext;
  readonly api: OutboxApi;
  ensureUser(userId: string): void;
  newClientMessageId(): string;
  readonly retry?: RetryPolicy;
  /** Injected so tests need not wait out the back-off. */
  wait?(ms: number): Promise<void>;
  /** Whether the browser believes it is online: `navigator.onLine` by default. */
  isOnline?(): boolean;
  /** Calls `listener` whenever the connection may be back; returns the unsubscribe. By default connection-back.ts on the window and the store. */
  watchConnectionBack?(listener: () => void): () => void;
  /** Where posts wait across reloads: localStorage by default. */
  readonly unsent?: UnsentPosts;
}

export interface Outbox {
  /** `body` has its mentions encoded already. */
  send(roomId: string, body: string): void;
  /** Sends a failed post again, after any still queued in its room. */
  retry(roomId: string, clientMessageId: string): void;
  /** The connection is back: posts waiting for it go now. */
  resume(): void;
  stop(): void;
}

/** A post may pass on a later try when the network or the server failed, not when the server refused it. */
export function isRetryablePostError(error: unknown): boolean {
  if (!(error instanceof ApiError)) return false;
  return error.code === 'network' || error.status === 408 || error.status === 429 || error.status >= 500;
}

/**
 * While writes are paused (Hearth moving to new servers: 503 `migrating`), a post waits for as
 * long as the pause lasts, as the server asks, rather than spending its tries and showing "failed".
 */
export function pausedFor(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || error.code !== 'migrating') return undefined;
  return (error.retryAfter ?? 10) * 1000;
}

export function isNetworkError(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'network';
}

/** Every post of the room still on its way (not failed) says it waits for the connection. */
export function noteWaiting(view: RoomView): RoomView {
  const waits = (p: PendingMessage): boolean => p.status === 'pending' && p.error !== WAITING_FOR_CONNECTION;
  if (!view.pending.some(waits)) return view;
  return { ...view, pending: view.pending.map((p) => (waits(p) ? { ...p, error: WAITING_FOR_CONNECTION } : p)) };
}

/** The posts that waited for the connection are being sent again. */
export function clearWaiting(view: RoomView): RoomView {
  const waited = (p: PendingMessage): boolean => p.status === 'pending' && p.error === WAITING_FOR_CONNECTION;
  if (!view.pending.some(waited)) return view;
  return { ...view, pending: view.pending.map((p) => (waited(p) ? { ...p, error: null } : p)) };
}

export function createOutbox(deps: OutboxDeps): Outbox {
  const { ctx } = deps;
  const unsent = deps.unsent ?? createUnsentPosts(safeStorage(), ctx.me.id);
  const setView = (roomId: string, change: (view: RoomView) => RoomView): void => ctx.store.update((s) => withView(s, roomId, change));
  const isOnline = deps.isOnline ?? (() => navigator.onLine);
  // A failure that may pass later, while the browser says it is offline, is the connection too.
  const isOffline = (error: unknown): boolean => isNetworkError(error) || (!isOnline() && isRetryablePostError(error));

  const queue = createSendQueue<PendingMessage, Message>({
    laneOf: (pending) => pending.roomId,
    send: (pending) => deps.api.postMessage(pending.roomId, pending.body, pending.clientMessageId),
    onSent(pending, message) {
      unsent.drop(pending.clientMessageId);
      deps.ensureUser(message.authorId);
      setView(pending.roomId, (v) => upsertMessages(v, [message]));
    },
    onFailed(pending, error) {
      unsent.drop(pending.clientMessageId);
      setView(pending.roomId, (v) => setPendingStatus(v, pending.clientMessageId, 'failed', errorText(error)));
    },
    isRetryable: isRetryablePostError,
    pausedFor,
    onWaiting: (pending, error) => setView(pending.roomId, (v) => setPendingStatus(v, pending.clientMessageId, 'pending', errorText(error))),
    isOffline,
    onHeld: (pending) => setView(pending.roomId, noteWaiting),
    retry: deps.retry ?? POST_RETRY,
    ...(deps.wait === undefined ? {} : { wait: deps.wait }),
  });

  function resume(): void {
    for (const roomId of Object.keys(ctx.store.get().views)) setView(roomId, clearWaiting);
    queue.resume();
  }
  const stopWatching = (deps.watchConnectionBack ?? ((listener) => watchConnectionBack(ctx.store, window, listener)))(resume);

  function enqueue(pending: PendingMessage): void {
    unsent.keep(pending);
    setView(pending.roomId, (v) => addPending(v, pending));
    queue.enqueue(pending);
    if (queue.isHeld(pending.roomId)) setView(pending.roomId, noteWaiting);
  }

  // What an earlier page left unsent goes first, and shows in its room once the room is open.
  const restored = unsent.all();
  for (const pending of restored) enqueue(pending);
  const stopShowing = showWhenOpened(ctx, restored);

  return {
    send(roomId, body) {
      const pending: PendingMessage = {
        clientMessageId: deps.newClientMessageId(),
        roomId,
        authorId: ctx.me.id,
        body,
        createdAt: new Date().toISOString(),
        status: 'pending',
        error: null,
      };
      enqueue(pending);
    },
    retry(roomId, clientMessageId) {
      const pending = ctx.store.get().views[roomId]?.pending.find((p) => p.clientMessageId === clientMessageId);
      if (pending?.status !== 'failed') return;
      enqueue({ ...pending, status: 'pending', error: null });
    },
    resume,
    stop() {
      stopWatching();
      stopShowing();
      queue.stop();
    },
  };
}

/** Adds each restored post to its room's view when that view is made (the room opened), unless the server's copy is there already. */
function showWhenOpened(ctx: ChatContext, restored: readonly PendingMessage[]): () => void {
  let waiting = restored.filter((p) => ctx.store.get().views[p.roomId] === undefined);
  if (waiting.length === 0) return () => undefined;
  const unsubscribe = ctx.store.subscribe(() => {
    const { views } = ctx.store.get();
    const opened = waiting.filter((p) => views[p.roomId] !== undefined);
    if (opened.length === 0) return;
    waiting = waiting.filter((p) => views[p.roomId] === undefined);
    if (waiting.length === 0) unsubscribe();
    for (const pending of opened) ctx.store.update((s) => withView(s, pending.roomId, (v) => (isStored(v, pending) ? v : addPending(v, pending))));
  });
  return unsubscribe;
}

function isStored(view: RoomView, pending: PendingMessage): boolean {
  return view.messages.some((m) => m.authorId === pending.authorId && m.clientMessageId === pending.clientMessageId);
}
