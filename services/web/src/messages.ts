import type { api } from './api.ts';
import type { Boost, Message, RoomEvent, RoomForMember } from './api-types.ts';
import { errorText, without, withView, type ChatContext, type ChatState } from './chat-state.ts';
import { applyRoomEvent, createRoomView, prependOlder, upsertMessages, type RoomView } from './room-state.ts';

/**
 * The opened rooms' messages: the first page with the events that arrive while it
 * loads, live events in seq order (a gap asks for a resync), older pages, and the
 * answers to edits, deletions and boosts. The person's own posts go through the
 * outbox (outbox.ts).
 */

export const PAGE_SIZE = 40;

export type MessagesApi = Pick<typeof api, 'room' | 'messages' | 'editMessage' | 'deleteMessage' | 'addBoost' | 'deleteBoost'>;

export interface MessagesDeps {
  readonly ctx: ChatContext;
  readonly api: MessagesApi;
  /** Something was missed: reconnect and resume from what the views hold. */
  resync(): void;
  /** A room's view was opened or moved on: it may be read now. */
  onViewChanged(roomId: string): void;
  /** The room as the server had it when its page was fetched. */
  onRoomLoaded(room: RoomForMember): void;
  ensureUser(userId: string): void;
}

export interface Messages {
  load(roomId: string): Promise<void>;
  applyEvent(event: RoomEvent): void;
  loadOlder(roomId: string): Promise<void>;
  edit(messageId: string, roomId: string, body: string): Promise<void>;
  remove(messageId: string, roomId: string): Promise<void>;
  boost(messageId: string, roomId: string, content: string): Promise<void>;
  unboost(boostId: string): Promise<void>;
  /** The user left the room: its view goes. */
  forget(roomId: string): void;
  /** Per opened room, the last sequence applied: where the stream resumes. */
  resumeMap(): Record<string, number>;
  /** The stream's `ready`: where it continues each room from. A view it continues past asks for a resync. */
  noteReady(starts: Readonly<Record<string, number>>): void;
}

/** Applies events that arrived while a room's first page was fetched; says whether one was missed. */
function applyBuffered(view: RoomView, events: readonly RoomEvent[]): { view: RoomView; gap: boolean } {
  let gap = false;
  for (const event of events) {
    const result = applyRoomEvent(view, event);
    view = result.view;
    if (result.outcome === 'gap') gap = true;
  }
  return { view, gap };
}

function addBoost(view: RoomView, messageId: string, boost: Boost): RoomView {
  return {
    ...view,
    messages: view.messages.map((m) => (m.id === messageId && !m.boosts.some((b) => b.id === boost.id) ? { ...m, boosts: [...m.boosts, boost] } : m)),
  };
}

/** Whether a `ready` continues one of the rooms after the last event applied to it: what lies between was missed. */
export function isBehind(ready: Readonly<Record<string, number>>, resume: Readonly<Record<string, number>>): boolean {
  return Object.entries(resume).some(([roomId, seq]) => (ready[roomId] ?? seq) > seq);
}

/** Per opened room, the last sequence applied. */
function resumeMapOf(views: ChatState['views']): Record<string, number> {
  return Object.fromEntries(Object.entries(views).map(([roomId, view]) => [roomId, view.lastSeq]));
}

/** An answer about a message already shown replaces it; one not shown waits for its event. */
function withAnswer(view: RoomView, message: Message): RoomView {
  return view.messages.some((m) => m.id === message.id) ? upsertMessages(view, [message]) : view;
}

function removeBoost(s: ChatState, boostId: string): ChatState {
  const views: Record<string, RoomView> = {};
  for (const [id, v] of Object.entries(s.views)) {
    views[id] = {
      ...v,
      messages: v.messages.map((m) => (m.boosts.some((b) => b.id === boostId) ? { ...m, boosts: m.boosts.filter((b) => b.id !== boostId) } : m)),
    };
  }
  return { ...s, views };
}

/** A boost shows on its message once the server has it; unboosting takes it off every view. */
function boosting(
  api: MessagesApi,
  store: ChatContext['store'],
  setView: (roomId: string, change: (view: RoomView) => RoomView) => void,
): Pick<Messages, 'boost' | 'unboost'> {
  return {
    async boost(messageId, roomId, content) {
      const created = await api.addBoost(messageId, content);
      setView(roomId, (v) => addBoost(v, messageId, created));
    },
    async unboost(boostId) {
      await api.deleteBoost(boostId);
      store.update((s) => removeBoost(s, boostId));
    },
  };
}

export function createMessages(deps: MessagesDeps): Messages {
  const { ctx, api } = deps;
  const { store } = ctx;
  /** Rooms whose first page is being fetched, with the events that arrived meanwhile. */
  const loading = new Map<string, RoomEvent[]>();
  // The last `ready`'s starts: a page read after the hello named the open rooms, and before the stream
  // read where the room continues, lacks what was posted in between; such a view resumes from what it holds.
  let streamStarts: Readonly<Record<string, number>> = {};
  const setView = (roomId: string, change: (view: RoomView) => RoomView): void => store.update((s) => withView(s, roomId, change));
  const answered = (roomId: string, message: Message): void => setView(roomId, (v) => withAnswer(v, message));

  async function fetchFirstPage(roomId: string): Promise<void> {
    // The room's sequence is read before the page, so every event after it is
    // either in the page already or still to come; applying them is idempotent.
    const room = await api.room(roomId);
    const { messages } = await api.messages(roomId, { limit: PAGE_SIZE });
    const { view, gap } = applyBuffered(createRoomView(roomId, messages, room.lastSeq, PAGE_SIZE), loading.get(roomId) ?? []);
    store.update((s) => ({ ...s, views: { ...s.views, [roomId]: view } }));
    deps.onRoomLoaded(room);
    for (const message of messages) deps.ensureUser(message.authorId);
    for (const id of room.memberIds) deps.ensureUser(id);
    if (gap || isBehind(streamStarts, { [roomId]: view.lastSeq })) deps.resync();
    deps.onViewChanged(roomId);
  }

  async function load(roomId: string): Promise<void> {
    if (loading.has(roomId) || store.get().views[roomId] !== undefined) return;
    loading.set(roomId, []);
    store.update((s) => (s.roomErrors[roomId] === undefined ? s : { ...s, roomErrors: without(s.roomErrors, roomId) }));
    try {
      await fetchFirstPage(roomId);
    } catch (error) {
      store.update((s) => ({ ...s, roomErrors: { ...s.roomErrors, [roomId]: errorText(error) } }));
    } finally {
      loading.delete(roomId);
    }
  }

  function applyEvent(event: RoomEvent): void {
    const buffer = loading.get(event.roomId);
    if (buffer !== undefined) {
      buffer.push(event);
      return;
    }
    const view = store.get().views[event.roomId];
    if (view === undefined) return;
    const result = applyRoomEvent(view, event);
    if (result.outcome === 'gap') {
      // A healthy stream has no gaps: something was missed, so resume from what we have.
      deps.resync();
      return;
    }
    if (result.outcome === 'applied') {
      setView(event.roomId, () => result.view);
      deps.onViewChanged(event.roomId);
    }
  }

  async function loadOlder(roomId: string): Promise<void> {
    const s = store.get();
    const first = s.views[roomId]?.messages[0];
    if (first === undefined || s.loadingOlder[roomId] === true) return;
    store.update((st) => ({ ...st, loadingOlder: { ...st.loadingOlder, [roomId]: true } }));
    try {
      const { messages } = await api.messages(roomId, { before: first.seq, limit: PAGE_SIZE });
      for (const message of messages) deps.ensureUser(message.authorId);
      setView(roomId, (v) => prependOlder(v, messages, PAGE_SIZE));
    } finally {
      store.update((st) => ({ ...st, loadingOlder: { ...st.loadingOlder, [roomId]: false } }));
    }
  }

  return {
    load,
    applyEvent,
    loadOlder,
    edit: async (messageId, roomId, body) => answered(roomId, await api.editMessage(messageId, body)),
    remove: async (messageId, roomId) => answered(roomId, await api.deleteMessage(messageId)),
    ...boosting(api, store, setView),
    forget: (roomId) => store.update((s) => (s.views[roomId] === undefined ? s : { ...s, views: without(s.views, roomId) })),
    resumeMap: () => resumeMapOf(store.get().views),
    noteReady(starts) {
      streamStarts = starts;
      if (isBehind(starts, resumeMapOf(store.get().views))) deps.resync();
    },
  };
}
