import type { api } from './api.ts';
import { withRoom, type ChatContext } from './chat-state.ts';
import { readRoom } from './sidebar-state.ts';

/**
 * Tells the server how far the user has read the room they are looking at: soon
 * after the last event they saw, and at most once per burst of events.
 */

const MARK_READ_AFTER_MS = 150;

export type ReadMarkerApi = Pick<typeof api, 'markRead'>;

export interface ReadMarker {
  /** Marks the room read up to the last event applied, if the user is looking at it. */
  schedule(roomId: string): void;
  stop(): void;
}

export function createReadMarker(ctx: ChatContext, markerApi: ReadMarkerApi): ReadMarker {
  const { store } = ctx;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  /** Up to the last event applied while the user still looks at the room; else up to what was on screen when it was scheduled. */
  function markRead(roomId: string, seenSeq: number): void {
    const s = store.get();
    const room = s.rooms.find((r) => r.id === roomId);
    const view = s.views[roomId];
    if (room === undefined || view === undefined) return;
    const looking = ctx.isVisible() && s.currentRoomId === roomId;
    const readSeq = Math.max(looking ? view.lastSeq : seenSeq, room.readSeq);
    if (readSeq <= room.readSeq && !room.unread) return;
    // A room left before the mark went may have had messages since: they stay unread, and counted.
    const caughtUp = looking || readSeq >= room.lastMessageSeq;
    store.update((st) => withRoom(st, roomId, (r) => (caughtUp ? { ...readRoom(r), readSeq } : { ...r, readSeq })));
    markerApi.markRead(roomId, readSeq).catch((error: unknown) => console.warn('hearth: could not mark read', error));
  }

  return {
    schedule(roomId) {
      if (!ctx.isVisible() || store.get().currentRoomId !== roomId) return;
      clearTimeout(timers.get(roomId));
      const seenSeq = store.get().views[roomId]?.lastSeq ?? 0;
      const timer = setTimeout(() => {
        timers.delete(roomId);
        markRead(roomId, seenSeq);
      }, MARK_READ_AFTER_MS);
      timers.set(roomId, timer);
    },
    stop() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
