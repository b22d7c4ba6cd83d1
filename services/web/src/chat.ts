import { api, ApiError, setUnauthenticatedHandler } from './api.ts';
import type { RoomForMember, SearchHit, ServerFrame, User } from './api-types.ts';
import { initialChatState, type ChatContext, type ChatState } from './chat-state.ts';
import { browserConnectionDeps, createConnection } from './connection.ts';
import { newClientMessageId } from './ids.ts';
import { encodeMentions, type Mentionable } from './mentions.ts';
import { createMessages } from './messages.ts';
import { createPeople } from './people.ts';
import { createRooms } from './rooms.ts';
import { navigate } from './router.ts';
import { createStore, type Store } from './store.ts';

/**
 * The signed-in client: what it knows (a store the components render) and what it
 * does. It wires the modules that each own a part (people, rooms, messages with the
 * send queue, the realtime connection) and routes the stream's frames to them.
 * Components only call these actions.
 */

export type { ChatState, SidebarRoom } from './chat-state.ts';

const TYPING_SENT_EVERY_MS = 3_000;
const TYPING_SWEEP_EVERY_MS = 1_000;

export interface Chat {
  readonly store: Store<ChatState>;
  start(): void;
  stop(): void;
  signOut(): Promise<void>;
  showRoom(roomId: string | null): void;
  loadOlder(roomId: string): Promise<void>;
  send(roomId: string, text: string, chosen: readonly Mentionable[]): void;
  retry(roomId: string, clientMessageId: string): void;
  edit(messageId: string, roomId: string, text: string): Promise<void>;
  remove(messageId: string, roomId: string): Promise<void>;
  boost(messageId: string, roomId: string, content: string): Promise<void>;
  unboost(boostId: string): Promise<void>;
  createRoom(kind: 'open' | 'closed', name: string, memberIds: string[]): Promise<string>;
  openDirect(userId: string): Promise<string>;
  addMember(roomId: string, userId: string): Promise<void>;
  removeMember(roomId: string, userId: string): Promise<void>;
  renameRoom(roomId: string, name: string): Promise<void>;
  typing(roomId: string): void;
  search(q: string): Promise<SearchHit[]>;
  rotateJoinCode(): Promise<void>;
  userName(userId: string): string;
  roomName(room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>): string;
}

function pageVisible(): boolean {
  return document.visibilityState === 'visible';
}

export function createChat(me: User, accountName: string, onSignedOut: () => void): Chat {
  const store = createStore<ChatState>(initialChatState(me, accountName));
  const ctx: ChatContext = { me, store, isVisible: pageVisible };
  const lastTypingSent = new Map<string, number>();
  let typingSweep: ReturnType<typeof setInterval> | null = null;
  let stopped = false;

  const people = createPeople(ctx, api);
  const rooms = createRooms({
    ctx,
    api,
    ensureUser: people.ensure,
    nameOf: people.nameOf,
    onSignedOut: signedOut,
    onRemoved(roomId, name) {
      messages.forget(roomId);
      if (store.get().currentRoomId !== roomId) return;
      store.update((s) => ({ ...s, notice: `You are no longer a member of ${name}.` }));
      navigate('/', { replace: true });
    },
  });
  const messages = createMessages({
    ctx,
    api,
    resync: () => connection.resync(),
    onViewChanged: rooms.scheduleMarkRead,
    onRoomLoaded: rooms.noteLoaded,
    ensureUser: people.ensure,
    newClientMessageId,
  });
  const connection = createConnection(
    {
      resume: messages.resumeMap,
      onFrame,
      onStatus: (status) => store.update((s) => ({ ...s, connection: status })),
      onUnauthenticated: signedOut,
      onAbnormalClose() {
        // A refused upgrade looks like a network error; ask whether the session is still there.
        api.session().catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) signedOut();
        });
      },
    },
    browserConnectionDeps(),
  );

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        rooms.noteResumed(frame.rooms);
        people.setOnline(frame.online);
        // Unread markers of rooms that were not resumed changed while we were away.
        void rooms.refresh();
        return;
      case 'room.event':
        // Sidebar and people effects once per event; the open room's view dedups by its own seq.
        if (rooms.applyEvent(frame.event)) people.applyEvent(frame.event);
        messages.applyEvent(frame.event);
        return;
      case 'typing':
        people.typing(frame.roomId, frame.userId, Date.now());
        return;
      case 'presence':
        people.setPresence(frame.userId, frame.online);
        return;
      case 'pong':
        return;
      case 'error':
        // The close that follows says what to do; 'unauthenticated' is an ordinary sign-out.
        if (frame.code !== 'unauthenticated') console.warn(`hearth: realtime error ${frame.code}: ${frame.message}`);
        return;
    }
  }

  function onVisibility(): void {
    if (!pageVisible()) return;
    const current = store.get().currentRoomId;
    if (current !== null) rooms.scheduleMarkRead(current);
    // A tab that slept may have been signed out elsewhere; a 401 here leads back to sign-in.
    api.session().catch(() => undefined);
  }

  async function refreshAccount(): Promise<void> {
    try {
      const account = await api.account();
      store.update((s) => ({ ...s, accountName: account.name, joinUrl: account.joinUrl ?? null }));
    } catch (error) {
      console.warn('hearth: could not load the account', error);
    }
  }

  /** Who can be mentioned in the room: its members, or everyone known while the room list loads. */
  function roomMembers(roomId: string): Mentionable[] {
    const s = store.get();
    const ids = s.rooms.find((r) => r.id === roomId)?.memberIds ?? Object.keys(s.users);
    return ids.map((id) => s.users[id]).filter((u): u is User => u !== undefined);
  }

  function send(roomId: string, text: string, chosen: readonly Mentionable[]): void {
    const body = encodeMentions(text.trim(), [...chosen, ...roomMembers(roomId)]);
    if (body === '') return;
    lastTypingSent.delete(roomId);
    messages.send(roomId, body);
  }

  function typing(roomId: string): void {
    const now = Date.now();
    if (now - (lastTypingSent.get(roomId) ?? 0) < TYPING_SENT_EVERY_MS) return;
    if (connection.send({ type: 'typing', roomId })) lastTypingSent.set(roomId, now);
  }

  function showRoom(roomId: string | null): void {
    store.update((s) => (s.currentRoomId === roomId ? s : { ...s, currentRoomId: roomId, notice: roomId === null ? s.notice : null }));
    if (roomId === null) return;
    void messages.load(roomId);
    rooms.show(roomId);
  }

  function start(): void {
    setUnauthenticatedHandler(signedOut);
    document.addEventListener('visibilitychange', onVisibility);
    typingSweep = setInterval(() => people.sweepTyping(Date.now()), TYPING_SWEEP_EVERY_MS);
    void people.refresh();
    void rooms.refresh();
    if (me.role === 'administrator') void refreshAccount();
    else store.update((s) => ({ ...s, joinUrl: null }));
    connection.start();
  }

  function stop(): void {
    stopped = true;
    setUnauthenticatedHandler(null);
    document.removeEventListener('visibilitychange', onVisibility);
    if (typingSweep !== null) clearInterval(typingSweep);
    rooms.stop();
    messages.stop();
    connection.stop();
  }

  function signedOut(): void {
    if (stopped) return;
    stop();
    onSignedOut();
  }

  async function signOut(): Promise<void> {
    let logoutUrl: string | null = null;
    try {
      logoutUrl = (await api.signOut())?.logoutUrl ?? null;
    } finally {
      signedOut();
    }
    // Signed in through SSO: sign out at the provider too, or the next visit signs straight back in.
    if (logoutUrl !== null) window.location.assign(logoutUrl);
  }

  return {
    store,
    start,
    stop,
    signOut,
    showRoom,
    loadOlder: messages.loadOlder,
    send,
    retry: messages.retry,
    edit: (messageId, roomId, text) => messages.edit(messageId, roomId, encodeMentions(text.trim(), roomMembers(roomId))),
    remove: messages.remove,
    boost: messages.boost,
    unboost: messages.unboost,
    createRoom: rooms.create,
    openDirect: rooms.openDirect,
    addMember: rooms.addMember,
    removeMember: rooms.removeMember,
    renameRoom: rooms.rename,
    typing,
    search: async (q) => (await api.search(q)).hits,
    async rotateJoinCode() {
      const account = await api.rotateJoinCode();
      if (account.joinUrl !== undefined) store.update((s) => ({ ...s, joinUrl: account.joinUrl ?? null }));
      else await refreshAccount();
    },
    userName: people.nameOf,
    roomName: rooms.name,
  };
}
