import type { PendingMessage } from './room-state.ts';

/**
 * The person's posts not yet stored, kept in this browser (localStorage, per user) until the
 * server has them, so a reload or a closed tab while the connection is down loses none: the next
 * page of this person in this browser sends them, in the order typed, with their clientMessageId
 * (a post that did reach the server is answered with the message it made, not made twice). A post
 * the server refused is dropped from here: it stays in the page, marked failed, for its retry.
 */
export interface UnsentPosts {
  /** The posts kept, oldest first. */
  all(): PendingMessage[];
  keep(post: PendingMessage): void;
  drop(clientMessageId: string): void;
}

const keyOf = (userId: string): string => `hearth.unsent.${userId}`;

export function createUnsentPosts(storage: Storage | null, userId: string): UnsentPosts {
  const key = keyOf(userId);
  // Read and written whole at each change: another tab of the same person may have changed it since.
  const read = (): PendingMessage[] => parsePosts(storage?.getItem(key) ?? null, userId);
  const write = (posts: readonly PendingMessage[]): void => {
    try {
      if (posts.length === 0) storage?.removeItem(key);
      else storage?.setItem(key, JSON.stringify(posts));
    } catch {
      // Storage full or refused: the post still goes from this page; only a reload would lose it.
    }
  };
  return {
    all: read,
    keep(post) {
      write([...read().filter((p) => p.clientMessageId !== post.clientMessageId), { ...post, status: 'pending', error: null }]);
    },
    drop(clientMessageId) {
      const posts = read();
      const rest = posts.filter((p) => p.clientMessageId !== clientMessageId);
      if (rest.length !== posts.length) write(rest);
    },
  };
}

/** What was kept, read defensively: a value another version of the page wrote, or that was edited, yields what is whole in it. */
export function parsePosts(text: string | null, userId: string): PendingMessage[] {
  if (text === null) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value.filter((p: unknown): p is PendingMessage => isPost(p) && p.authorId === userId);
}

function isPost(value: unknown): value is PendingMessage {
  if (typeof value !== 'object' || value === null) return false;
  const post = value as Record<string, unknown>;
  return ['clientMessageId', 'roomId', 'authorId', 'body', 'createdAt'].every((field) => typeof post[field] === 'string');
}
