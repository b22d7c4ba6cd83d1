import { ApiError, type api } from './api.ts';
import type { Room, RoomEvent, RoomForMember } from './api-types.ts';
import { withRoom, type ChatContext, type ChatState, type SidebarRoom } from './chat-state.ts';
import { createReadMarker } from './read-marker.ts';
import { applyEventToSidebar, loadedRoom, readRoom, roomDisplayName } from './sidebar-state.ts';

/**
 * The sidebar's rooms: the list from the server, what each room event does to it
 * (once per event, whether or not the room is open), and the changes the user
 * makes to rooms. What the user has read is told by the read marker.
 */

export type RoomsApi = Pick<typeof api, 'rooms' | 'markRead' | 'createRoom' | 'openDirect' | 'addMember' | 'removeMember' | 'updateRoom'>;

export interface RoomsDeps {
  readonly ctx: ChatContext;
  readonly api: RoomsApi;
  ensureUser(userId: string): void;
  nameOf(userId: string): string;
  /** The session is gone (a 401 while listing rooms). */
  onSignedOut(): void;
  /** The user is no longer a member of the room; `name` is what it was called. */
  onRemoved(roomId: string, name: string): void;
}

export interface Rooms {
  refresh(): Promise<void>;
  /** The stream's `ready` frame: per room, the sequence the server resumed from. */
  noteResumed(rooms: Readonly<Record<string, number>>): void;
  /** Applies the event's sidebar effects if it is new; says whether it was. */
  applyEvent(event: RoomEvent): boolean;
  /** The user opened the room. */
  show(roomId: string): void;
  /** Marks the room read up to the last event applied, soon and at most once per burst. */
  scheduleMarkRead(roomId: string): void;
  /** The room as fetched with its first page. */
  noteLoaded(room: RoomForMember): void;
  create(kind: 'open' | 'closed', name: string, memberIds: string[]): Promise<string>;
  openDirect(userId: string): Promise<string>;
  addMember(roomId: string, userId: string): Promise<void>;
  removeMember(roomId: string, userId: string): Promise<void>;
  rename(roomId: string, name: string): Promise<void>;
  name(room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>): string;
  stop(): void;
}

/** The rooms as listed by the server; the room open in a visible tab is read, whatever the server last heard. */
function withListed(s: ChatState, rooms: readonly RoomForMember[], visible: boolean): ChatState {
  const readingId = visible ? s.currentRoomId : null;
  return { ...s, rooms: rooms.map((r) => (r.id === readingId ? readRoom(r) : r)), roomsLoaded: true };
}

export function createRooms(deps: RoomsDeps): Rooms {
  const { ctx, api } = deps;
  const { store } = ctx;
  /** Per room, the highest sequence whose sidebar effects were applied. */
  const seen = new Map<string, number>();
  const readMarker = createReadMarker(ctx, api);
  let refreshing: Promise<void> | null = null;
  const setRoom = (roomId: string, change: (room: SidebarRoom) => SidebarRoom): void => store.update((s) => withRoom(s, roomId, change));
  const name = (room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>): string => roomDisplayName(room, ctx.me.id, deps.nameOf);

  function listed(rooms: readonly RoomForMember[]): void {
    store.update((s) => withListed(s, rooms, ctx.isVisible()));
    for (const room of rooms) for (const id of room.memberIds) deps.ensureUser(id);
    const current = store.get().currentRoomId;
    if (current !== null) readMarker.schedule(current);
  }

  function refresh(): Promise<void> {
    refreshing ??= api
      .rooms()
      .then(({ rooms }) => listed(rooms))
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) deps.onSignedOut();
        else console.warn('hearth: could not load rooms', error);
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  /** A room the user made: its id, once the list has it. */
  async function listedAfter(creating: Promise<Room>): Promise<string> {
    const room = await creating;
    await refresh();
    return room.id;
  }

  function applyEvent(event: RoomEvent): boolean {
    if (event.seq <= (seen.get(event.roomId) ?? 0)) return false;
    seen.set(event.roomId, event.seq);
    const s = store.get();
    const before = s.rooms.find((r) => r.id === event.roomId);
    const readingRoomId = s.currentRoomId !== null && ctx.isVisible() ? s.currentRoomId : null;
    const change = applyEventToSidebar(s.rooms, event, { meId: ctx.me.id, readingRoomId });
    if (change.rooms !== s.rooms) store.update((st) => ({ ...st, rooms: change.rooms }));
    if (change.refetch) void refresh();
    if (change.removedSelf) {
      seen.delete(event.roomId);
      deps.onRemoved(event.roomId, before === undefined ? 'a room' : name(before));
    }
    return true;
  }

  return {
    refresh,
    noteResumed(rooms) {
      for (const [roomId, seq] of Object.entries(rooms)) seen.set(roomId, Math.max(seen.get(roomId) ?? 0, seq));
    },
    applyEvent,
    show(roomId) {
      // Opening a room reads it; the sidebar marker goes at once, the server hears once the page is in.
      if (ctx.isVisible()) setRoom(roomId, readRoom);
      readMarker.schedule(roomId);
    },
    scheduleMarkRead: readMarker.schedule,
    noteLoaded(room) {
      store.update((s) => withRoom(s, room.id, (r) => loadedRoom(r, room, s.currentRoomId === room.id)));
    },
    create: (kind, roomName, memberIds) => listedAfter(api.createRoom(kind === 'closed' ? { kind, name: roomName, memberIds } : { kind, name: roomName })),
    openDirect: (userId) => listedAfter(api.openDirect([ctx.me.id, userId])),
    async addMember(roomId, userId) {
      await api.addMember(roomId, userId);
      setRoom(roomId, (r) => (r.memberIds.includes(userId) ? r : { ...r, memberIds: [...r.memberIds, userId] }));
    },
    async removeMember(roomId, userId) {
      await api.removeMember(roomId, userId);
      setRoom(roomId, (r) => ({ ...r, memberIds: r.memberIds.filter((id) => id !== userId) }));
    },
    async rename(roomId, newName) {
      const room = await api.updateRoom(roomId, { name: newName });
      setRoom(roomId, (r) => ({ ...r, name: room.name }));
    },
    name,
    stop: readMarker.stop,
  };
}
