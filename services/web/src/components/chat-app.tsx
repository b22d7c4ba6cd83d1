import { useEffect } from 'preact/hooks';
import type { Chat } from '../chat.ts';
import { navigate, parseRoute, roomPath, usePathname } from '../router.ts';
import { useStore } from '../store.ts';
import { RoomPane } from './room-pane.tsx';
import { SearchBox } from './search-box.tsx';
import { Sidebar } from './sidebar.tsx';

/** The signed-in layout: sidebar, search, and the open room. */
export function ChatApp({ chat }: { readonly chat: Chat }) {
  const state = useStore(chat.store);
  const route = parseRoute(usePathname());
  const roomId = route.name === 'room' ? route.roomId : null;

  useEffect(() => {
    if (route.name === 'join') navigate('/', { replace: true });
    chat.showRoom(roomId);
  }, [roomId, route.name]);

  // The home page is the first room, as in Campfire; with no rooms it explains what to do.
  const firstRoom = state.rooms.find((r) => r.kind !== 'direct' && r.involvement !== 'invisible') ?? state.rooms[0];
  useEffect(() => {
    if (route.name === 'home' && firstRoom !== undefined && state.notice === null) navigate(roomPath(firstRoom.id), { replace: true });
  }, [route.name, firstRoom?.id, state.notice]);

  const unreadCount = state.rooms.filter((r) => r.unread).length;
  const current = state.rooms.find((r) => r.id === roomId);
  useEffect(() => {
    const place = current === undefined ? state.accountName : `${chat.roomName(current)} · ${state.accountName}`;
    document.title = `${unreadCount > 0 ? `(${unreadCount}) ` : ''}${place}`;
  });

  return (
    <div class="app" data-testid="chat">
      <Sidebar chat={chat} state={state} />
      <main class="main">
        <div class="topbar">
          <SearchBox chat={chat} />
        </div>
        {state.notice !== null && (
          <p class="notice" data-testid="notice" role="status">
            {state.notice}
          </p>
        )}
        {roomId !== null ? (
          <RoomPane chat={chat} state={state} roomId={roomId} />
        ) : (
          <section class="room-pane welcome">
            <p class="muted empty">
              {state.roomsLoaded && state.rooms.length === 0 ? 'You are in no rooms yet. Create one on the left.' : 'Pick a room on the left.'}
            </p>
          </section>
        )}
      </main>
    </div>
  );
}
