import type { api } from './api.ts';
import { ApiError } from './api.ts';
import type { Message } from './api-types.ts';
import { errorText, withView, type ChatContext } from './chat-state.ts';
import { addPending, setPendingStatus, upsertMessages, type PendingMessage, type RoomView } from './room-state.ts';
import { createSendQueue, type RetryPolicy } from './send-queue.ts';

/**
 * The person's own posts: shown at once as pending, sent through the send queue so
 * they are stored in the order typed, then replaced by the stored message, or
 * marked failed with a retry.
 */

/** Five tries over about seven seconds: a short network blip passes unseen, a longer one shows "failed" with a retry. */
export const POST_RETRY: RetryPolicy = { attempts: 5, backoff: { firstMs: 500, maxMs: 4_000 } };

export type OutboxApi = Pick<typeof api, 'postMessage'>;

export interface OutboxDeps {
  readonly ctx: ChatContext;
  readonly api: OutboxApi;
  ensureUser(userId: string): void;
  newClientMessageId(): string;
  readonly retry?: RetryPolicy;
  /** Injected so tests need not wait out the back-off. */
  wait?(ms: number): Promise<void>;
}

export interface Outbox {
  /** `body` has its mentions encoded already. */
  send(roomId: string, body: string): void;
  /** Sends a failed post again, after any still queued in its room. */
  retry(roomId: string, clientMessageId: string): void;
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

export function createOutbox(deps: OutboxDeps): Outbox {
  const { ctx } = deps;
  const setView = (roomId: string, change: (view: RoomView) => RoomView): void => ctx.store.update((s) => withView(s, roomId, change));

  const queue = createSendQueue<PendingMessage, Message>({
    laneOf: (pending) => pending.roomId,
    send: (pending) => deps.api.postMessage(pending.roomId, pending.body, pending.clientMessageId),
    onSent(pending, message) {
      deps.ensureUser(message.authorId);
      setView(pending.roomId, (v) => upsertMessages(v, [message]));
    },
    onFailed: (pending, error) => setView(pending.roomId, (v) => setPendingStatus(v, pending.clientMessageId, 'failed', errorText(error))),
    isRetryable: isRetryablePostError,
    pausedFor,
    onWaiting: (pending, error) => setView(pending.roomId, (v) => setPendingStatus(v, pending.clientMessageId, 'pending', errorText(error))),
    retry: deps.retry ?? POST_RETRY,
    ...(deps.wait === undefined ? {} : { wait: deps.wait }),
  });

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
      setView(roomId, (v) => addPending(v, pending));
      queue.enqueue(pending);
    },
    retry(roomId, clientMessageId) {
      const pending = ctx.store.get().views[roomId]?.pending.find((p) => p.clientMessageId === clientMessageId);
      if (pending?.status !== 'failed') return;
      setView(roomId, (v) => setPendingStatus(v, clientMessageId, 'pending', null));
      queue.enqueue(pending);
    },
    stop: () => queue.stop(),
  };
}
