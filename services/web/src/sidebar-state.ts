import type { RoomEvent, RoomForMember } from './api-types.ts';

/**
 * The pure rules for the sidebar's rooms: what one room event does to the list
 * (unread markers, names, members) and how a room is named.
 */

export interface SidebarContext {
  readonly meId: string;
  /** The room the user is looking at right now (open and the tab visible), if any. */
  readonly readingRoomId: string | null;
}

export interface SidebarChange {
  readonly rooms: readonly RoomForMember[];
  /** The user joined a room (or one appeared): the list must be fetched again. */
  readonly refetch: boolean;
  /** The user left this room: its last event. */
  readonly removedSelf: boolean;
}

function mapRoom(rooms: readonly RoomForMember[], roomId: string, change: (room: RoomForMember) => RoomForMember): readonly RoomForMember[] {
  return rooms.some((r) => r.id === roomId) ? rooms.map((r) => (r.id === roomId ? change(r) : r)) : rooms;
}

/** The most the server counts (UNREAD_COUNT_CAP): the badge shows "99+" from it. */
export const UNREAD_COUNT_CAP = 100;

/** A message from someone else marks the room unread, and counts, unless the user is reading it (or has hidden it). */
function onMessage(room: RoomForMember, event: Extract<RoomEvent, { type: 'message.created' }>, ctx: SidebarContext): RoomForMember {
  const counts = !(ctx.readingRoomId === room.id) && event.message.authorId !== ctx.meId && room.involvement !== 'invisible' && event.seq > room.readSeq;
  const mentioned = counts && event.message.mentions.includes(ctx.meId);
  return {
    ...room,
    lastSeq: Math.max(room.lastSeq, event.seq),
    lastMessageSeq: Math.max(room.lastMessageSeq, event.seq),
    unread: room.unread || counts,
    unreadCount: counts ? Math.min(UNREAD_COUNT_CAP, room.unreadCount + 1) : room.unreadCount,
    mentionCount: mentioned ? Math.min(UNREAD_COUNT_CAP, room.mentionCount + 1) : room.mentionCount,
  };
}

/** A room read: no marker, no counts. */
export function readRoom(room: RoomForMember): RoomForMember {
  return room.unread || room.unreadCount > 0 || room.mentionCount > 0 ? { ...room, unread: false, unreadCount: 0, mentionCount: 0 } : room;
}

/** The server's room as loaded, read as far as the page already knows; the room on screen is read, whatever it counted. */
export function loadedRoom(known: RoomForMember, loaded: RoomForMember, onScreen: boolean): RoomForMember {
  const room = { ...loaded, readSeq: Math.max(known.readSeq, loaded.readSeq) };
  return onScreen ? readRoom(room) : { ...room, unread: known.unread };
}

/** A badge's text: the count, or "99+" at the cap. */
export function badgeText(count: number): string {
  return count >= UNREAD_COUNT_CAP ? '99+' : String(count);
}

export function applyEventToSidebar(rooms: readonly RoomForMember[], event: RoomEvent, ctx: SidebarContext): SidebarChange {
  const unchanged: SidebarChange = { rooms, refetch: false, removedSelf: false };
  switch (event.type) {
    case 'message.created':
      return { ...unchanged, rooms: mapRoom(rooms, event.roomId, (r) => onMessage(r, event, ctx)) };
    case 'room.updated':
      return { ...unchanged, rooms: mapRoom(rooms, event.roomId, (r) => ({ ...r, name: event.room.name, kind: event.room.kind })) };
    case 'membership.added':
      return onMemberAdded(rooms, event, ctx);
    case 'membership.removed':
      return onMemberRemoved(rooms, event, ctx);
    case 'room.created':
      return { ...unchanged, refetch: !rooms.some((r) => r.id === event.roomId) };
    case 'message.updated':
    case 'message.deleted':
    case 'boost.created':
    case 'boost.deleted':
      return unchanged;
  }
}

/** The user joining a room means fetching the list again; someone else joining adds them to its members. */
function onMemberAdded(rooms: readonly RoomForMember[], event: Extract<RoomEvent, { type: 'membership.added' }>, ctx: SidebarContext): SidebarChange {
  const { userId } = event.membership;
  if (userId === ctx.meId) return { rooms, refetch: true, removedSelf: false };
  return {
    rooms: mapRoom(rooms, event.roomId, (r) => (r.memberIds.includes(userId) ? r : { ...r, memberIds: [...r.memberIds, userId] })),
    refetch: false,
    removedSelf: false,
  };
}

/** The user leaving a room takes it off the list; someone else leaving takes them off its members. */
function onMemberRemoved(rooms: readonly RoomForMember[], event: Extract<RoomEvent, { type: 'membership.removed' }>, ctx: SidebarContext): SidebarChange {
  if (event.userId === ctx.meId) return { rooms: rooms.filter((r) => r.id !== event.roomId), refetch: false, removedSelf: true };
  return {
    rooms: mapRoom(rooms, event.roomId, (r) => ({ ...r, memberIds: r.memberIds.filter((id) => id !== event.userId) })),
    refetch: false,
    removedSelf: false,
  };
}

/** Open and closed rooms have names; a direct room is named after the other people in it. */
export function roomDisplayName(room: Pick<RoomForMember, 'kind' | 'name' | 'memberIds'>, meId: string, nameOf: (userId: string) => string): string {
  if (room.kind !== 'direct' && room.name !== null) return room.name;
  const others = room.memberIds.filter((id) => id !== meId).map(nameOf);
  if (others.length === 0) return room.name ?? nameOf(meId);
  return others.sort((a, b) => a.localeCompare(b)).join(', ');
}
