import type { RoomForMember, User } from './api-types.ts';
import type { ConnectionStatus } from './connection.ts';
import type { Alert } from './notifications.ts';
import type { PushState } from './push-subscription.ts';
import type { DesktopPermission } from './notifier.ts';
import type { RoomView } from './room-state.ts';
import type { Store } from './store.ts';
import type { Upload } from './uploads.ts';

/**
 * What the signed-in client knows, in one store the components render, and the small
 * pure edits the chat's modules (rooms, messages, people) share.
 */

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
  /** `/play` sounds are muted in this browser for this user (sound-player.ts). */
  readonly soundsMuted: boolean;
  /** New messages the person is told of in the page (notifications.ts), oldest first. */
  readonly alerts: readonly Alert[];
  /** Whether the browser may show notifications while the tab is hidden. */
  readonly desktopNotifications: DesktopPermission;
  /** Whether a closed tab is told too, through Web Push (push-subscription.ts). */
  readonly pushNotifications: PushState;
  /** The person's files on their way to rooms (uploader.ts), in the order chosen. */
  readonly uploads: readonly Upload[];
}

export function initialChatState(me: User, accountName: string): ChatState {
  return {
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
    soundsMuted: false,
    alerts: [],
    desktopNotifications: 'unsupported',
    pushNotifications: 'unsupported',
    uploads: [],
  };
}

/** What every chat module is given: who is signed in, the store, and whether the user can see the page. */
export interface ChatContext {
  readonly me: User;
  readonly store: Store<ChatState>;
  /** The tab is visible: only then is the open room being read. */
  isVisible(): boolean;
}

export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Changes one opened room's view; a room not opened, or a change that changes nothing, leaves the state as it is. */
export function withView(s: ChatState, roomId: string, change: (view: RoomView) => RoomView): ChatState {
  const view = s.views[roomId];
  if (view === undefined) return s;
  const next = change(view);
  return next === view ? s : { ...s, views: { ...s.views, [roomId]: next } };
}

/** Changes one sidebar room; a room not in the list leaves the state as it is. */
export function withRoom(s: ChatState, roomId: string, change: (room: SidebarRoom) => SidebarRoom): ChatState {
  if (!s.rooms.some((r) => r.id === roomId)) return s;
  return { ...s, rooms: s.rooms.map((r) => (r.id === roomId ? change(r) : r)) };
}
