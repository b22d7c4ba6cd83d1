import { api, ApiError, setUnauthenticatedHandler } from './api.ts';
import type { Message, ReadyFrame, RoomEvent, RoomForMember, SearchHit, ServerFrame, User } from './api-types.ts';
import { encodeMentions, type Mentionable } from './mentions.ts';
import { createRealtime, type ConnectionStatus } from './realtime.ts';
import {
  addPending,
  applyRoomEvent,
  createRoomView,
  prependOlder,
  setPendingStatus,
  upsertMessages,
  type PendingMessage,
  type RoomView,
} from './room-state.ts';
import { navigate } from './router.ts';
import { applyEventToSidebar, roomDisplayName } from './sidebar-state.ts';
import { createStore, type Store } from './store.ts';
import { newClientMessageId } from './ids.ts';

/**
 * The signed-in client: what it knows (a store the components render) and what it
 * does (REST calls and the realtime stream). Components only call these actions.
 */

export const PAGE_SIZE = 40;
const TYPING_SHOWN_MS = 5_000;
const TYPING_SENT_EVERY_MS = 3_000;

export type SidebarRoom = RoomForMember;

export interface ChatState {
  readonly me: User;
  readonly users: Readonly<Record<string, User>>;
  readonly rooms: readonly SidebarRoom[];
  readonly roomsLoaded: boolean;
  readonly online: ReadonlySet<string>;
  readonly views: Readonly<Record<string, RoomView>>;
  /** Why a room could not be opened (not a member, no such room…). */
  readonly roomErrors: Readonly<Record<string, string>>;
  readonly loadingOlder: Readonly<Record<string, boolean>>;
  /** Per room, who is typing and until when (ms since epoch). */
  readonly typing: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly connection: ConnectionStatus;
  readonly accountName: string;
  readonly joinUrl: string | null;
  readonly currentRoomId: string | null;
  /** A short notice shown above the room (e.g. "you were removed from #x"). */
  readonly notice: string | null;
}

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

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

function pageVisible(): boolean {
  return document.visibilityState === 'visible';
}

export function createChat(me: User, accountName: string, onSignedOut: () => void): Chat {
  const store = createStore<ChatState>({
    me,
    users: { [me.id]: me },
    rooms: [],
    roomsLoaded: false,
    online: new Set(),
    views: {},
    roomErrors: {},
    loadingOlder: {},
    typing: {},
    connection: 'connecting',
    accountName,
    joinUrl: null,
    currentRoomId: null,
    notice: null,
  });

  /** Rooms whose first page is being fetched, with the events that arrived meanwhile. */
  const loading = new Map<string, RoomEvent[]>();
  /** Per room, the highest sequence whose sidebar effects (unread, names, members) were applied. */
  const seen = new Map<string, number>();
  const readTimers = new Map<string, ReturnType<typeof setTimeout>>();
  const lastTypingSent = new Map<string, number>();
  let typingSweep: ReturnType<typeof setInterval> | null = null;
  let stopped = false;

  const state = (): ChatState => store.get();
  const update = (change: (s: ChatState) => ChatState): void => store.update(change);

  function setView(roomId: string, change: (view: RoomView) => RoomView): void {
    update((s) => {
      const view = s.views[roomId];
      if (view === undefined) return s;
      const next = change(view);
      return next === view ? s : { ...s, views: { ...s.views, [roomId]: next } };
    });
  }

  function setRoom(roomId: string, change: (room: SidebarRoom) => SidebarRoom): void {
    update((s) => {
      if (!s.rooms.some((r) => r.id === roomId)) return s;
      return { ...s, rooms: s.rooms.map((r) => (r.id === roomId ? change(r) : r)) };
    });
  }

  // --- directory -------------------------------------------------------------

  let usersRefresh: Promise<void> | null = null;
  function refreshUsers(): Promise<void> {
    usersRefresh ??= api
      .users()
      .then(({ users }) => {
        const byId: Record<string, User> = { [me.id]: me };
        for (const user of users) byId[user.id] = user;
        update((s) => ({ ...s, users: byId, me: byId[me.id] ?? s.me }));
      })
      .catch((error: unknown) => console.warn('hearth: could not load users', error))
      .finally(() => {
        usersRefresh = null;
      });
    return usersRefresh;
  }

  function ensureUser(userId: string): void {
    if (state().users[userId] === undefined) void refreshUsers();
  }

  let roomsRefresh: Promise<void> | null = null;
  function refreshRooms(): Promise<void> {
    roomsRefresh ??= api
      .rooms()
      .then(({ rooms }) => {
        update((s) => {
          // The open room is being read right now, whatever the server last heard.
          const visibleId = pageVisible() ? s.currentRoomId : null;
          const next = rooms.map((r) => (r.id === visibleId ? { ...r, unread: false } : r));
          return { ...s, rooms: next, roomsLoaded: true };
        });
        for (const room of rooms) for (const id of room.memberIds) ensureUser(id);
        const current = state().currentRoomId;
        if (current !== null) scheduleMarkRead(current);
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) signedOut();
        else console.warn('hearth: could not load rooms', error);
      })
      .finally(() => {
        roomsRefresh = null;
      });
    return roomsRefresh;
  }

  async function refreshAccount(): Promise<void> {
    try {
      const account = await api.account();
      update((s) => ({ ...s, accountName: account.name, joinUrl: account.joinUrl ?? null }));
    } catch (error) {
      console.warn('hearth: could not load the account', error);
    }
  }

  // --- reading ---------------------------------------------------------------

  /** Marks the room read up to the last event the client applied, soon and at most once per burst. */
  function scheduleMarkRead(roomId: string): void {
    if (!pageVisible() || state().currentRoomId !== roomId) return;
    const existing = readTimers.get(roomId);
    if (existing !== undefined) clearTimeout(existing);
    readTimers.set(
      roomId,
      setTimeout(() => {
        readTimers.delete(roomId);
        markRead(roomId);
      }, 150),
    );
  }

  function markRead(roomId: string): void {
    const s = state();
    const room = s.rooms.find((r) => r.id === roomId);
    const view = s.views[roomId];
    if (room === undefined || view === undefined) return;
    const readSeq = Math.max(view.lastSeq, room.readSeq);
    if (readSeq <= room.readSeq && !room.unread) return;
    setRoom(roomId, (r) => ({ ...r, unread: false, readSeq }));
    api.markRead(roomId, readSeq).catch((error: unknown) => console.warn('hearth: could not mark read', error));
  }

  function onVisibility(): void {
    if (!pageVisible()) return;
    const current = state().currentRoomId;
    if (current !== null) scheduleMarkRead(current);
    // A tab that slept may have been signed out elsewhere; a 401 here leads back to sign-in.
    api.session().catch(() => undefined);
  }

  async function loadRoom(roomId: string): Promise<void> {
    if (loading.has(roomId) || state().views[roomId] !== undefined) return;
    loading.set(roomId, []);
    update((s) => ({ ...s, roomErrors: without(s.roomErrors, roomId) }));
    try {
      // The room's sequence is read before the page, so every event after it is
      // either in the page already or still to come; applying them is idempotent.
      const room = await api.room(roomId);
      const { messages } = await api.messages(roomId, { limit: PAGE_SIZE });
      let view = createRoomView(roomId, messages, room.lastSeq, PAGE_SIZE);
      let gap = false;
      for (const event of loading.get(roomId) ?? []) {
        const result = applyRoomEvent(view, event);
        view = result.view;
        if (result.outcome === 'gap') gap = true;
      }
      update((s) => ({
        ...s,
        views: { ...s.views, [roomId]: view },
        rooms: s.rooms.some((r) => r.id === roomId)
          ? s.rooms.map((r) => (r.id === roomId ? { ...room, unread: r.unread && s.currentRoomId !== roomId } : r))
          : s.rooms,
      }));
      for (const message of messages) ensureUser(message.authorId);
      for (const id of room.memberIds) ensureUser(id);
      if (gap) realtime.resync();
      scheduleMarkRead(roomId);
    } catch (error) {
      update((s) => ({ ...s, roomErrors: { ...s.roomErrors, [roomId]: errorText(error) } }));
    } finally {
      loading.delete(roomId);
    }
  }

  // --- the realtime stream ---------------------------------------------------

  function onReady(frame: ReadyFrame): void {
    for (const [roomId, seq] of Object.entries(frame.rooms)) {
      seen.set(roomId, Math.max(seen.get(roomId) ?? 0, seq));
    }
    update((s) => ({ ...s, online: new Set(frame.online) }));
    // Unread markers of rooms that were not resumed changed while we were away.
    void refreshRooms();
  }

  function onRemovedFromRoom(roomId: string, name: string): void {
    seen.delete(roomId);
    update((s) => ({ ...s, views: without(s.views, roomId) }));
    if (state().currentRoomId === roomId) {
      update((s) => ({ ...s, notice: `You are no longer a member of ${name}.` }));
      navigate('/', { replace: true });
    }
  }

  function clearTyping(roomId: string, userId: string): void {
    update((s) => {
      const typing = s.typing[roomId];
      if (typing?.[userId] === undefined) return s;
      return { ...s, typing: { ...s.typing, [roomId]: without(typing, userId) } };
    });
  }

  /** Sidebar effects: once per event, whether or not the room's messages are loaded. */
  function applySidebarEffects(event: RoomEvent): void {
    const s = state();
    const before = s.rooms.find((r) => r.id === event.roomId);
    const readingRoomId = s.currentRoomId !== null && pageVisible() ? s.currentRoomId : null;
    const change = applyEventToSidebar(s.rooms, event, { meId: me.id, readingRoomId });
    if (change.rooms !== s.rooms) update((st) => ({ ...st, rooms: change.rooms }));
    if (change.refetch) void refreshRooms();
    if (change.removedSelf) onRemovedFromRoom(event.roomId, before === undefined ? 'a room' : roomName(before));
    if (event.type === 'message.created') {
      ensureUser(event.message.authorId);
      clearTyping(event.roomId, event.message.authorId);
    }
    if (event.type === 'membership.added') ensureUser(event.membership.userId);
  }

  function onRoomEvent(event: RoomEvent): void {
    if (event.seq > (seen.get(event.roomId) ?? 0)) {
      seen.set(event.roomId, event.seq);
      applySidebarEffects(event);
    }
    const buffer = loading.get(event.roomId);
    if (buffer !== undefined) {
      buffer.push(event);
      return;
    }
    const view = state().views[event.roomId];
    if (view === undefined) return;
    const result = applyRoomEvent(view, event);
    if (result.outcome === 'gap') {
      // A healthy stream has no gaps: something was missed, so resume from what we have.
      realtime.resync();
      return;
    }
    if (result.outcome === 'applied') {
      setView(event.roomId, () => result.view);
      scheduleMarkRead(event.roomId);
    }
  }

  function onTypingFrame(roomId: string, userId: string): void {
    if (userId === me.id) return;
    ensureUser(userId);
    const until = Date.now() + TYPING_SHOWN_MS;
    update((s) => ({ ...s, typing: { ...s.typing, [roomId]: { ...s.typing[roomId], [userId]: until } } }));
  }

  function sweepTyping(): void {
    const now = Date.now();
    update((s) => {
      let changed = false;
      const typing: Record<string, Record<string, number>> = {};
      for (const [roomId, who] of Object.entries(s.typing)) {
        const kept = Object.fromEntries(Object.entries(who).filter(([, until]) => until > now));
        if (Object.keys(kept).length !== Object.keys(who).length) changed = true;
        typing[roomId] = kept;
      }
      return changed ? { ...s, typing } : s;
    });
  }

  function onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'ready':
        onReady(frame);
        return;
      case 'room.event':
        onRoomEvent(frame.event);
        return;
      case 'typing':
        onTypingFrame(frame.roomId, frame.userId);
        return;
      case 'presence':
        update((s) => {
          const online = new Set(s.online);
          if (frame.online) online.add(frame.userId);
          else online.delete(frame.userId);
          return { ...s, online };
        });
        return;
      case 'pong':
        return;
      case 'error':
        // The close that follows says what to do; 'unauthenticated' is an ordinary sign-out.
        if (frame.code !== 'unauthenticated') console.warn(`hearth: realtime error ${frame.code}: ${frame.message}`);
        return;
    }
  }

  const realtime = createRealtime({
    resume() {
      const resume: Record<string, number> = {};
      for (const [roomId, view] of Object.entries(state().views)) resume[roomId] = view.lastSeq;
      return resume;
    },
    onFrame,
    onStatus: (connection) => update((s) => ({ ...s, connection })),
    onUnauthenticated: signedOut,
    onAbnormalClose() {
      // A refused upgrade looks like a network error; ask whether the session is still there.
      api.session().catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) signedOut();
      });
    },
  });

  function signedOut(): void {
    if (stopped) return;
    stop();
    onSignedOut();
  }

  // --- writing ---------------------------------------------------------------

  function post(pending: PendingMessage): void {
    api
      .postMessage(pending.roomId, pending.body, pending.clientMessageId)
      .then((message) => {
        ensureUser(message.authorId);
        setView(pending.roomId, (v) => upsertMessages(v, [message]));
      })
      .catch((error: unknown) => {
        setView(pending.roomId, (v) => setPendingStatus(v, pending.clientMessageId, 'failed', errorText(error)));
      });
  }

  function roomMembers(roomId: string): Mentionable[] {
    const s = state();
    const room = s.rooms.find((r) => r.id === roomId);
    const ids = room?.memberIds ?? Object.keys(s.users);
    return ids.map((id) => s.users[id]).filter((u): u is User => u !== undefined);
  }

  function send(roomId: string, text: string, chosen: readonly Mentionable[]): void {
    const body = encodeMentions(text.trim(), [...chosen, ...roomMembers(roomId)]);
    if (body === '') return;
    const pending: PendingMessage = {
      clientMessageId: newClientMessageId(),
      roomId,
      authorId: me.id,
      body,
      createdAt: new Date().toISOString(),
      status: 'pending',
      error: null,
    };
    setView(roomId, (v) => addPending(v, pending));
    lastTypingSent.delete(roomId);
    post(pending);
  }

  function retry(roomId: string, clientMessageId: string): void {
    const pending = state().views[roomId]?.pending.find((p) => p.clientMessageId === clientMessageId);
    if (pending === undefined) return;
    setView(roomId, (v) => setPendingStatus(v, clientMessageId, 'pending', null));
    post(pending);
  }

  function mergeMessage(roomId: string, message: Message): void {
    setView(roomId, (v) => (v.messages.some((m) => m.id === message.id) ? upsertMessages(v, [message]) : v));
  }

  async function edit(messageId: string, roomId: string, text: string): Promise<void> {
    const body = encodeMentions(text.trim(), roomMembers(roomId));
    mergeMessage(roomId, await api.editMessage(messageId, body));
  }

  async function remove(messageId: string, roomId: string): Promise<void> {
    mergeMessage(roomId, await api.deleteMessage(messageId));
  }

  async function boost(messageId: string, roomId: string, content: string): Promise<void> {
    const created = await api.addBoost(messageId, content);
    setView(roomId, (v) => ({
      ...v,
      messages: v.messages.map((m) => (m.id === messageId && !m.boosts.some((b) => b.id === created.id) ? { ...m, boosts: [...m.boosts, created] } : m)),
    }));
  }

  async function unboost(boostId: string): Promise<void> {
    await api.deleteBoost(boostId);
    update((s) => {
      const views: Record<string, RoomView> = {};
      for (const [id, v] of Object.entries(s.views)) {
        views[id] = {
          ...v,
          messages: v.messages.map((m) => (m.boosts.some((b) => b.id === boostId) ? { ...m, boosts: m.boosts.filter((b) => b.id !== boostId) } : m)),
        };
      }
      return { ...s, views };
    });
  }

  async function loadOlder(roomId: string): Promise<void> {
    const s = state();
    const view = s.views[roomId];
    const first = view?.messages[0];
    if (view === undefined || first === undefined || s.loadingOlder[roomId] === true) return;
    update((st) => ({ ...st, loadingOlder: { ...st.loadingOlder, [roomId]: true } }));
    try {
      const { messages } = await api.messages(roomId, { before: first.seq, limit: PAGE_SIZE });
      for (const message of messages) ensureUser(message.authorId);
      setView(roomId, (v) => prependOlder(v, messages, PAGE_SIZE));
    } finally {
      update((st) => ({ ...st, loadingOlder: { ...st.loadingOlder, [roomId]: false } }));
    }
  }

  async function createRoom(kind: 'open' | 'closed', name: string, memberIds: string[]): Promise<string> {
    const room = await api.createRoom(kind === 'closed' ? { kind, name, memberIds } : { kind, name });
    await refreshRooms();
    return room.id;
  }

  async function openDirect(userId: string): Promise<string> {
    const room = await api.openDirect([me.id, userId]);
    await refreshRooms();
    return room.id;
  }

  function typing(roomId: string): void {
    const now = Date.now();
    if (now - (lastTypingSent.get(roomId) ?? 0) < TYPING_SENT_EVERY_MS) return;
    if (realtime.send({ type: 'typing', roomId })) lastTypingSent.set(roomId, now);
  }

  function showRoom(roomId: string | null): void {
    update((s) => (s.currentRoomId === roomId ? s : { ...s, currentRoomId: roomId, notice: roomId === null ? s.notice : null }));
    if (roomId === null) return;
    void loadRoom(roomId);
    // Opening a room reads it; the sidebar marker goes at once, the server hears once the page is in.
    if (pageVisible()) setRoom(roomId, (r) => (r.unread ? { ...r, unread: false } : r));
    scheduleMarkRead(roomId);
  }

  function userName(userId: string): string {
    return state().users[userId]?.name ?? 'Someone';
  }

  function roomName(room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>): string {
    return roomDisplayName(room, me.id, userName);
  }

  function start(): void {
    setUnauthenticatedHandler(signedOut);
    document.addEventListener('visibilitychange', onVisibility);
    typingSweep = setInterval(sweepTyping, 1_000);
    void refreshUsers();
    void refreshRooms();
    if (me.role === 'administrator') void refreshAccount();
    else update((s) => ({ ...s, joinUrl: null }));
    realtime.start();
  }

  function stop(): void {
    stopped = true;
    setUnauthenticatedHandler(null);
    document.removeEventListener('visibilitychange', onVisibility);
    if (typingSweep !== null) clearInterval(typingSweep);
    for (const timer of readTimers.values()) clearTimeout(timer);
    readTimers.clear();
    realtime.stop();
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
    loadOlder,
    send,
    retry,
    edit,
    remove,
    boost,
    unboost,
    createRoom,
    openDirect,
    async addMember(roomId, userId) {
      await api.addMember(roomId, userId);
      setRoom(roomId, (r) => (r.memberIds.includes(userId) ? r : { ...r, memberIds: [...r.memberIds, userId] }));
    },
    async removeMember(roomId, userId) {
      await api.removeMember(roomId, userId);
      setRoom(roomId, (r) => ({ ...r, memberIds: r.memberIds.filter((id) => id !== userId) }));
    },
    async renameRoom(roomId, name) {
      const room = await api.updateRoom(roomId, { name });
      setRoom(roomId, (r) => ({ ...r, name: room.name }));
    },
    typing,
    search: async (q) => (await api.search(q)).hits,
    async rotateJoinCode() {
      const account = await api.rotateJoinCode();
      if (account.joinUrl !== undefined) update((s) => ({ ...s, joinUrl: account.joinUrl ?? null }));
      else await refreshAccount();
    },
    userName,
    roomName,
  };
}
