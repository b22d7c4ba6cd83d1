import type { Boost, Message, RoomEvent } from './api-types.ts';

/**
 * What the client holds for one opened room, and the pure rules that change it.
 * `lastSeq` is the last room event applied (protocol §4): it is what the client
 * resumes from, so only applied events move it, never a POST answer.
 */

export type PendingStatus = 'pending' | 'failed';

export interface PendingMessage {
  readonly clientMessageId: string;
  readonly roomId: string;
  readonly authorId: string;
  /** The body as sent, with mentions already encoded as `<@userId>`. */
  readonly body: string;
  readonly createdAt: string;
  readonly status: PendingStatus;
  readonly error: string | null;
}

export interface RoomView {
  readonly roomId: string;
  /** Confirmed messages, oldest first, each id once. */
  readonly messages: readonly Message[];
  /** Sent but not yet confirmed (or failed), in the order they were written. */
  readonly pending: readonly PendingMessage[];
  readonly lastSeq: number;
  readonly hasOlder: boolean;
}

export type ApplyOutcome = 'applied' | 'stale' | 'gap';

export function createRoomView(roomId: string, page: readonly Message[], baseSeq: number, pageSize: number): RoomView {
  const view: RoomView = { roomId, messages: [], pending: [], lastSeq: baseSeq, hasOlder: page.length >= pageSize };
  return upsertMessages(view, page);
}

function bySeq(a: Message, b: Message): number {
  return a.seq - b.seq;
}

/** Adds or replaces messages (by id), keeps them in seq order, and retires the pending copies they confirm. */
export function upsertMessages(view: RoomView, incoming: readonly Message[]): RoomView {
  if (incoming.length === 0) return view;
  const byId = new Map(view.messages.map((m) => [m.id, m]));
  for (const message of incoming) byId.set(message.id, message);
  const confirmed = new Set(incoming.map((m) => `${m.authorId}\n${m.clientMessageId}`));
  return {
    ...view,
    messages: [...byId.values()].sort(bySeq),
    pending: view.pending.filter((p) => !confirmed.has(`${p.authorId}\n${p.clientMessageId}`)),
  };
}

/** Adds an older page in front; `hasOlder` turns false once a short page comes back. */
export function prependOlder(view: RoomView, older: readonly Message[], pageSize: number): RoomView {
  return { ...upsertMessages(view, older), hasOlder: older.length >= pageSize };
}

function mapMessage(view: RoomView, messageId: string, change: (m: Message) => Message): RoomView {
  if (!view.messages.some((m) => m.id === messageId)) return view;
  return { ...view, messages: view.messages.map((m) => (m.id === messageId ? change(m) : m)) };
}

function withBoost(message: Message, boost: Boost): Message {
  if (message.boosts.some((b) => b.id === boost.id)) return message;
  return { ...message, boosts: [...message.boosts, boost] };
}

function applyChange(view: RoomView, event: RoomEvent): RoomView {
  switch (event.type) {
    case 'message.created':
    case 'message.updated':
      return upsertMessages(view, [event.message]);
    case 'message.deleted':
      // A deleted message keeps no file either (the server removes its bytes).
      return mapMessage(view, event.messageId, (m) => ({ ...m, body: '', file: null, deletedAt: m.deletedAt ?? event.at }));
    case 'boost.created':
      return mapMessage(view, event.boost.messageId, (m) => withBoost(m, event.boost));
    case 'boost.deleted':
      return mapMessage(view, event.messageId, (m) => ({ ...m, boosts: m.boosts.filter((b) => b.id !== event.boostId) }));
    case 'room.created':
    case 'room.updated':
    case 'membership.added':
    case 'membership.removed':
      return view;
  }
}

/**
 * Applies the room's next event. Events at or below `lastSeq` were applied already
 * (or are in the page the view was built from) and are dropped; an event further
 * ahead than `lastSeq + 1` means something was missed and the caller must resume.
 */
export function applyRoomEvent(view: RoomView, event: RoomEvent): { view: RoomView; outcome: ApplyOutcome } {
  if (event.seq <= view.lastSeq) return { view, outcome: 'stale' };
  if (event.seq > view.lastSeq + 1) return { view, outcome: 'gap' };
  return { view: { ...applyChange(view, event), lastSeq: event.seq }, outcome: 'applied' };
}

export function addPending(view: RoomView, pending: PendingMessage): RoomView {
  const others = view.pending.filter((p) => p.clientMessageId !== pending.clientMessageId);
  return { ...view, pending: [...others, pending] };
}

export function setPendingStatus(view: RoomView, clientMessageId: string, status: PendingStatus, error: string | null): RoomView {
  return {
    ...view,
    pending: view.pending.map((p) => (p.clientMessageId === clientMessageId ? { ...p, status, error } : p)),
  };
}

export function isConfirmed(view: RoomView, authorId: string, clientMessageId: string): boolean {
  return view.messages.some((m) => m.authorId === authorId && m.clientMessageId === clientMessageId);
}
