import { api, ApiError, setUnauthenticatedHandler } from './api.ts';
import type { ClientFrame, RoomEvent, RoomForMember, SearchHit, ServerFrame, User } from './api-types.ts';
import { createAccount } from './account.ts';
import { createAttention } from './attention.ts';
import { createDevices, type Devices } from './devices.ts';
import { initialChatState, type ChatContext, type ChatState } from './chat-state.ts';
import type { Connection } from './connection.ts';
import { newClientMessageId } from './ids.ts';
import { encodeMentions, type Mentionable } from './mentions.ts';
import { createMessages, type Messages } from './messages.ts';
import { createMyPicture, type MyPicture } from './my-picture.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { createPeople, type People } from './people.ts';
import { createRooms, type Rooms } from './rooms.ts';
import { navigate } from './router.ts';
import { connectAcrossTabs } from './shared-connection.ts';
import { createStore, type Store } from './store.ts';
import { createUploadStarter } from './upload-client.ts';
import { createUploader, type Uploader } from './uploader.ts';
import type { StagedFile } from './uploads.ts';

/**
 * The signed-in client: what it knows (a store the components render) and what it
 * does. It wires the modules that each own a part (people, rooms, messages, the
 * outbox with its send queue, the realtime connection) and routes the stream's
 * frames to them. Components only call these actions.
 */

export type { ChatState, SidebarRoom } from './chat-state.ts';

const TYPING_SENT_EVERY_MS = 3_000;
const TYPING_SWEEP_EVERY_MS = 1_000;

/** Why the chat ended: the person signed out here, or the session ended elsewhere (another device signed it out, it expired, deactivation). */
export type SignedOutReason = 'signed-out' | 'session-ended';

export interface Chat extends Devices, MyPicture {
  readonly store: Store<ChatState>;
  start(): void;
  stop(): void;
  signOut(): Promise<void>;
  showRoom(roomId: string | null): void;
  loadOlder(roomId: string): Promise<void>;
  send(roomId: string, text: string, chosen: readonly Mentionable[]): void;
  retry(roomId: string, clientMessageId: string): void;
  /** One upload per file, in order; the caption (mentions as in `send`) goes with the first. */
  upload(roomId: string, files: readonly StagedFile[], caption: string, chosen: readonly Mentionable[]): void;
  cancelUpload(id: string): void;
  retryUpload(id: string): void;
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
  setSoundsMuted(muted: boolean): void;
  dismissAlert(id: string): void;
  enableDesktopNotifications(): Promise<void>;
  userName(userId: string): string;
  /** The version of the user's picture, for their Avatar; null: their initials. */
  userAvatar(userId: string): string | null;
  roomName(room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>): string;
}

function pageVisible(): boolean {
  return document.visibilityState === 'visible';
}

interface FrameTargets {
  readonly people: People;
  readonly rooms: Rooms;
  readonly messages: Messages;
  /** A new room event, once: it may play a sound or tell the person of it (attention.ts). */
  readonly hear: (event: RoomEvent) => void;
}

function routeFrame(frame: ServerFrame, { people, rooms, messages, hear }: FrameTargets): void {
  switch (frame.type) {
    case 'ready':
      rooms.noteResumed(frame.rooms);
      messages.noteReady(frame.rooms);
      people.setOnline(frame.online);
      // Unread markers of rooms that were not resumed changed while we were away.
      void rooms.refresh();
      return;
    case 'room.event':
      // Sidebar and people effects once per event; the open room's view dedups by its own seq.
      if (rooms.applyEvent(frame.event)) {
        people.applyEvent(frame.event);
        hear(frame.event);
      }
      messages.applyEvent(frame.event);
      return;
    case 'typing':
      people.typing(frame.roomId, frame.userId, Date.now());
      return;
    case 'presence':
      people.setPresence(frame.userId, frame.online);
      return;
    case 'user.updated':
      // A new name or picture: the directory again, so every avatar and name shows it.
      people.userChanged();
      return;
    case 'pong':
      return;
    case 'error':
      // The close that follows says what to do; 'unauthenticated' is an ordinary sign-out.
      if (frame.code !== 'unauthenticated') console.warn(`hearth: realtime error ${frame.code}: ${frame.message}`);
      return;
  }
}

/** Says "typing" at most every few seconds per room; a sent message lets the next keystroke say it again. */
function createTypingNotice(send: (frame: ClientFrame) => boolean): { typing(roomId: string): void; sent(roomId: string): void } {
  const lastSent = new Map<string, number>();
  return {
    typing(roomId) {
      const now = Date.now();
      if (now - (lastSent.get(roomId) ?? 0) < TYPING_SENT_EVERY_MS) return;
      if (send({ type: 'typing', roomId })) lastSent.set(roomId, now);
    },
    sent: (roomId) => lastSent.delete(roomId),
  };
}

/** A body as sent: `@Name`s the person picked, or that name a member of the room, become mentions. */
function encodeFor(state: ChatState, roomId: string, text: string, chosen: readonly Mentionable[] = []): string {
  return encodeMentions(text.trim(), [...chosen, ...roomMembers(state, roomId)]);
}

interface Senders {
  readonly store: Store<ChatState>;
  readonly outbox: Outbox;
  readonly uploader: Uploader;
  readonly typingNotice: { sent(roomId: string): void };
}

/** What the composer sends: a post, and files with their caption; an empty post is none. */
function createSending({ store, outbox, uploader, typingNotice }: Senders): Pick<Chat, 'send' | 'upload' | 'cancelUpload' | 'retryUpload'> {
  return {
    send(roomId, text, chosen) {
      const body = encodeFor(store.get(), roomId, text, chosen);
      if (body === '') return;
      typingNotice.sent(roomId);
      outbox.send(roomId, body);
    },
    upload(roomId, files, caption, chosen) {
      if (files.length === 0) return;
      typingNotice.sent(roomId);
      uploader.upload(roomId, files, encodeFor(store.get(), roomId, caption, chosen));
    },
    cancelUpload: uploader.cancel,
    retryUpload: uploader.retry,
  };
}

/** Who can be mentioned in the room: its members, or everyone known while the room list loads. */
function roomMembers(s: ChatState, roomId: string): Mentionable[] {
  const ids = s.rooms.find((r) => r.id === roomId)?.memberIds ?? Object.keys(s.users);
  return ids.map((id) => s.users[id]).filter((u): u is User => u !== undefined);
}

/** The stream, shared by the browser's tabs (shared-connection.ts), with a refused upgrade (which looks like a network error) checked against the session. */
function connectStream(ctx: ChatContext, messages: Messages, onFrame: (frame: ServerFrame) => void, signedOut: () => void): Connection {
  return connectAcrossTabs(
    {
      resume: messages.resumeMap,
      onFrame,
      onStatus: (status) => ctx.store.update((s) => ({ ...s, connection: status })),
      onUnauthenticated: signedOut,
      onAbnormalClose() {
        api.session().catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) signedOut();
        });
      },
    },
    ctx.me.id,
  );
}

/** The user was removed from the room: its messages go, and if they were looking at it, they are told and taken home. */
function leaveRoom(ctx: ChatContext, messages: Messages, roomId: string, name: string): void {
  messages.forget(roomId);
  if (ctx.store.get().currentRoomId !== roomId) return;
  ctx.store.update((s) => ({ ...s, notice: `You are no longer a member of ${name}.` }));
  navigate('/', { replace: true });
}

/** The tab became visible: the open room is being read now. */
function onPageShown(ctx: ChatContext, rooms: Rooms): void {
  if (!ctx.isVisible()) return;
  const current = ctx.store.get().currentRoomId;
  if (current !== null) rooms.scheduleMarkRead(current);
  // A tab that slept may have been signed out elsewhere; a 401 here leads back to sign-in.
  api.session().catch(() => undefined);
}

function showRoom(ctx: ChatContext, { rooms, messages }: Pick<FrameTargets, 'rooms' | 'messages'>, roomId: string | null): void {
  ctx.store.update((s) => (s.currentRoomId === roomId ? s : { ...s, currentRoomId: roomId, notice: roomId === null ? s.notice : null }));
  if (roomId === null) return;
  void messages.load(roomId);
  rooms.show(roomId);
}

export function createChat(me: User, accountName: string, onSignedOut: (reason: SignedOutReason) => void): Chat {
  const store = createStore<ChatState>(initialChatState(me, accountName));
  const ctx: ChatContext = { me, store, isVisible: pageVisible };
  let typingSweep: ReturnType<typeof setInterval> | null = null;
  let stopped = false;

  const people = createPeople(ctx, api);
  const account = createAccount(ctx, api);
  const onRemoved = (roomId: string, name: string): void => leaveRoom(ctx, messages, roomId, name);
  const rooms = createRooms({ ctx, api, ensureUser: people.ensure, nameOf: people.nameOf, onSignedOut: signedOut, onRemoved });
  const onVisibility = (): void => onPageShown(ctx, rooms);
  const messages = createMessages({
    ctx,
    api,
    resync: () => connection.resync(),
    onViewChanged: rooms.scheduleMarkRead,
    onRoomLoaded: rooms.noteLoaded,
    ensureUser: people.ensure,
  });
  const outbox = createOutbox({ ctx, api, ensureUser: people.ensure, newClientMessageId });
  const uploader = createUploader({ ctx, start: createUploadStarter(), ensureUser: people.ensure, newClientMessageId });
  const { hear, ...attention } = createAttention({ ctx, nameOf: people.nameOf, roomName: rooms.name });
  const connection = connectStream(ctx, messages, (frame) => routeFrame(frame, { people, rooms, messages, hear }), signedOut);
  const typingNotice = createTypingNotice(connection.send);
  const sending = createSending({ store, outbox, uploader, typingNotice });

  function start(): void {
    setUnauthenticatedHandler(signedOut);
    document.addEventListener('visibilitychange', onVisibility);
    typingSweep = setInterval(() => people.sweepTyping(Date.now()), TYPING_SWEEP_EVERY_MS);
    for (const part of [people, rooms, account]) void part.refresh();
    connection.start();
  }

  function stop(): void {
    stopped = true;
    setUnauthenticatedHandler(null);
    document.removeEventListener('visibilitychange', onVisibility);
    if (typingSweep !== null) clearInterval(typingSweep);
    rooms.stop();
    outbox.stop();
    uploader.stop();
    connection.stop();
  }

  function signedOut(reason: SignedOutReason = 'session-ended'): void {
    if (stopped) return;
    stop();
    onSignedOut(reason);
  }

  return {
    store,
    start,
    stop,
    signOut: () => signOutEverywhere(connection, signedOut),
    showRoom: (roomId) => showRoom(ctx, { rooms, messages }, roomId),
    loadOlder: messages.loadOlder,
    ...sending,
    retry: outbox.retry,
    edit: (messageId, roomId, text) => messages.edit(messageId, roomId, encodeFor(store.get(), roomId, text)),
    remove: messages.remove,
    boost: messages.boost,
    unboost: messages.unboost,
    createRoom: rooms.create,
    openDirect: rooms.openDirect,
    addMember: rooms.addMember,
    removeMember: rooms.removeMember,
    renameRoom: rooms.rename,
    typing: typingNotice.typing,
    search: async (q) => (await api.search(q)).hits,
    rotateJoinCode: account.rotateJoinCode,
    ...createDevices(api),
    ...createMyPicture(people.setMe),
    ...attention,
    userName: people.nameOf,
    userAvatar: people.avatarOf,
    roomName: rooms.name,
  };
}

/**
 * Ends the session here and, when it came through SSO, at the provider too, or the next visit signs
 * straight back in. The stream and any 401 are not listened to meanwhile: the server closes this
 * session's stream before it answers, and that is this person's own doing, not a session ended elsewhere.
 */
async function signOutEverywhere(connection: Pick<Connection, 'stop'>, signedOut: (reason: SignedOutReason) => void): Promise<void> {
  setUnauthenticatedHandler(null);
  connection.stop();
  let logoutUrl: string | null = null;
  try {
    logoutUrl = (await api.signOut())?.logoutUrl ?? null;
  } finally {
    signedOut('signed-out');
  }
  if (logoutUrl !== null) window.location.assign(logoutUrl);
}
