import { useEffect } from 'preact/hooks';
import type { Chat, ChatState } from '../chat.ts';
import { navigate, parseRoute, roomPath, usePathname, type Route } from '../router.ts';
import { useStore } from '../store.ts';
import { DevicesPage } from './devices-page.tsx';
import { RoomPane } from './room-pane.tsx';
import { SearchBox } from './search-box.tsx';
import { Sidebar } from './sidebar.tsx';

/** What the page's title names before the account: the open room, or the page; null on the home page. */
function placeOf(route: Route, roomName: string | null): string | null {
  return route.name === 'sessions' ? 'Signed-in devices' : roomName;
}

/** The open room, the signed-in devices page, or a word on what to do. */
function MainPane({ chat, state, route }: { readonly chat: Chat; readonly state: ChatState; readonly route: Route }) {
  if (route.name === 'room') return <RoomPane chat={chat} state={state} roomId={route.roomId} />;
  if (route.name === 'sessions') return <DevicesPage chat={chat} />;
  return (
    <section class="room-pane welcome">
      <p class="muted empty">
        {state.roomsLoaded && state.rooms.length === 0 ? 'You are in no rooms yet. Create one on the left.' : 'Pick a room on the left.'}
      </p>
    </section>
  );
}

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
    const place = placeOf(route, current === undefined ? null : chat.roomName(current));
    document.title = `${unreadCount > 0 ? `(${unreadCount}) ` : ''}${place === null ? '' : `${place} · `}${state.accountName}`;
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
        <MainPane chat={chat} state={state} route={route} />
      </main>
    </div>
  );
}
