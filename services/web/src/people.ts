import type { api } from './api.ts';
import type { RoomEvent, User } from './api-types.ts';
import { without, type ChatContext, type ChatState } from './chat-state.ts';

/**
 * The people around: the directory of users (fetched again when an unknown id shows
 * up, or someone changed), who is online, and who is typing where.
 */

const TYPING_SHOWN_MS = 5_000;

export type PeopleApi = Pick<typeof api, 'users'>;

export interface People {
  refresh(): Promise<void>;
  /** Fetches the directory again if this user is not in it. */
  ensure(userId: string): void;
  nameOf(userId: string): string;
  /** The version of the user's picture (User.avatar); null when they have none, or are not known yet. */
  avatarOf(userId: string): string | null;
  /** Someone's name or picture changed (a user.updated frame): the directory is fetched again, after any fetch under way. */
  userChanged(): void;
  /** The person's own record, as the server answered a change to it. */
  setMe(user: User): void;
  setOnline(userIds: readonly string[]): void;
  setPresence(userId: string, online: boolean): void;
  /** Someone else is typing in the room: show it for a few seconds. */
  typing(roomId: string, userId: string, now: number): void;
  /** Hides typing markers whose time is up. */
  sweepTyping(now: number): void;
  /** A room event's effect on people: its author stops typing; someone new is looked up. */
  applyEvent(event: RoomEvent): void;
}

/** The typing markers still showing at `now`; the same object when none expired. */
export function expireTyping(typing: ChatState['typing'], now: number): ChatState['typing'] {
  let changed = false;
  const kept: Record<string, Record<string, number>> = {};
  for (const [roomId, who] of Object.entries(typing)) {
    const live = Object.fromEntries(Object.entries(who).filter(([, until]) => until > now));
    if (Object.keys(live).length !== Object.keys(who).length) changed = true;
    kept[roomId] = live;
  }
  return changed ? kept : typing;
}

export function createPeople(ctx: ChatContext, peopleApi: PeopleApi): People {
  const { store, me } = ctx;
  let refreshing: Promise<void> | null = null;

  function refresh(): Promise<void> {
    refreshing ??= peopleApi
      .users()
      .then(({ users }) => {
        const byId: Record<string, User> = { [me.id]: me };
        for (const user of users) byId[user.id] = user;
        store.update((s) => ({ ...s, users: byId, me: byId[me.id] ?? s.me }));
      })
      .catch((error: unknown) => console.warn('hearth: could not load users', error))
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  function ensure(userId: string): void {
    if (store.get().users[userId] === undefined) void refresh();
  }

  function stopTyping(roomId: string, userId: string): void {
    store.update((s) => {
      const typing = s.typing[roomId];
      if (typing?.[userId] === undefined) return s;
      return { ...s, typing: { ...s.typing, [roomId]: without(typing, userId) } };
    });
  }

  return {
    refresh,
    ensure,
    nameOf: (userId) => store.get().users[userId]?.name ?? 'Someone',
    avatarOf: (userId) => store.get().users[userId]?.avatar ?? null,
    userChanged() {
      // A fetch under way may have been answered before the change: one more after it.
      void (refreshing ?? Promise.resolve()).then(refresh);
    },
    setMe: (user) => store.update((s) => ({ ...s, me: user, users: { ...s.users, [user.id]: user } })),
    setOnline: (userIds) => store.update((s) => ({ ...s, online: new Set(userIds) })),
    setPresence(userId, online) {
      store.update((s) => {
        const next = new Set(s.online);
        if (online) next.add(userId);
        else next.delete(userId);
        return { ...s, online: next };
      });
    },
    typing(roomId, userId, now) {
      if (userId === me.id) return;
      ensure(userId);
      const until = now + TYPING_SHOWN_MS;
      store.update((s) => ({ ...s, typing: { ...s.typing, [roomId]: { ...s.typing[roomId], [userId]: until } } }));
    },
    sweepTyping(now) {
      store.update((s) => {
        const typing = expireTyping(s.typing, now);
        return typing === s.typing ? s : { ...s, typing };
      });
    },
    applyEvent(event) {
      if (event.type === 'message.created') {
        ensure(event.message.authorId);
        stopTyping(event.roomId, event.message.authorId);
      }
      if (event.type === 'membership.added') ensure(event.membership.userId);
    },
  };
}
