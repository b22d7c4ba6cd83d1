import { useState } from 'preact/hooks';
import type { TargetedSubmitEvent } from 'preact';
import type { User } from '../api-types.ts';
import type { Chat, ChatState, SidebarRoom } from '../chat.ts';
import { copyText } from '../clipboard.ts';
import { navigate, onLinkClick, roomPath, SESSIONS_PATH } from '../router.ts';
import { Alerts } from './alerts.tsx';
import { MyPicture } from './my-picture.tsx';
import { RoomIcon } from './room-icon.tsx';
import { badgeText } from '../sidebar-state.ts';

interface SidebarProps {
  readonly chat: Chat;
  readonly state: ChatState;
}

export function PresenceDot(props: { readonly online: boolean }) {
  return (
    <span
      class={props.online ? 'presence online' : 'presence'}
      data-testid="presence-dot"
      data-online={props.online ? 'true' : 'false'}
      title={props.online ? 'online' : 'offline'}
      aria-label={props.online ? 'online' : 'offline'}
    />
  );
}

/** An @ badge for unread mentions, else the unread count, else (a count not known, e.g. after a live event of a deleted message) the dot. */
function RoomBadges({ room }: { readonly room: SidebarRoom }) {
  if (room.mentionCount > 0) {
    const label = `${room.mentionCount} unread ${room.mentionCount === 1 ? 'mention' : 'mentions'}`;
    return (
      <span class="mention-badge" data-testid="mention-badge" aria-label={label} title={label}>
        @{badgeText(room.mentionCount)}
      </span>
    );
  }
  if (room.unreadCount > 0) {
    const label = `${room.unreadCount} unread ${room.unreadCount === 1 ? 'message' : 'messages'}`;
    return (
      <span class="unread-count" data-testid="unread-count" aria-label={label} title={label}>
        {badgeText(room.unreadCount)}
      </span>
    );
  }
  return room.unread ? <span class="unread-dot" data-testid="unread-dot" aria-label="unread" /> : null;
}

function RoomLink(props: { readonly chat: Chat; readonly room: SidebarRoom; readonly current: boolean }) {
  const { room } = props;
  const path = roomPath(room.id);
  return (
    <li>
      <a
        href={path}
        class={`room-link${room.unread ? ' unread' : ''}${props.current ? ' current' : ''}`}
        data-testid="room-link"
        data-room-id={room.id}
        data-room-kind={room.kind}
        data-unread={room.unread ? 'true' : 'false'}
        aria-current={props.current ? 'page' : undefined}
        onClick={(e) => onLinkClick(e, path)}
      >
        <span class="room-prefix">
          <RoomIcon kind={room.kind} />
        </span>
        <span class="room-name">{props.chat.roomName(room)}</span>
        <RoomBadges room={room} />
      </a>
    </li>
  );
}

function RoomList({ chat, state }: SidebarProps) {
  const visible = state.rooms.filter((r) => r.involvement !== 'invisible' || r.id === state.currentRoomId);
  const byName = (a: SidebarRoom, b: SidebarRoom): number => chat.roomName(a).localeCompare(chat.roomName(b));
  const rooms = visible.filter((r) => r.kind !== 'direct').sort(byName);
  const directs = visible.filter((r) => r.kind === 'direct').sort(byName);
  return (
    <nav class="room-list" data-testid="room-list" aria-label="Rooms">
      <h2>Rooms</h2>
      {state.roomsLoaded && rooms.length === 0 && <p class="muted small">No rooms yet.</p>}
      <ul>
        {rooms.map((room) => (
          <RoomLink key={room.id} chat={chat} room={room} current={room.id === state.currentRoomId} />
        ))}
      </ul>
      {directs.length > 0 && <h2>Direct messages</h2>}
      <ul>
        {directs.map((room) => (
          <RoomLink key={room.id} chat={chat} room={room} current={room.id === state.currentRoomId} />
        ))}
      </ul>
    </nav>
  );
}

function NewRoomForm({ chat, state }: SidebarProps) {
  const [kind, setKind] = useState<'open' | 'closed'>('open');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const others = Object.values(state.users).filter((u) => u.id !== state.me.id && u.active && u.role !== 'bot');

  async function onSubmit(event: TargetedSubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const memberIds = data.getAll('memberIds').map(String);
    setBusy(true);
    setError(null);
    try {
      const roomId = await chat.createRoom(kind, name, memberIds);
      form.reset();
      setKind('open');
      navigate(roomPath(roomId));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="new-room" data-testid="new-room-form" onSubmit={(e) => void onSubmit(e)}>
      <h2>New room</h2>
      <label class="field">
        <span>Name</span>
        <input name="name" required maxLength={100} autocomplete="off" placeholder="e.g. Design" />
      </label>
      <label class="field">
        <span>Kind</span>
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value === 'closed' ? 'closed' : 'open')}>
          <option value="open">Open: everyone is in it</option>
          <option value="closed">Closed: only the people you pick</option>
        </select>
      </label>
      {kind === 'closed' && others.length > 0 && (
        <fieldset class="member-picker">
          <legend>Members</legend>
          {others.map((user) => (
            <label key={user.id} class="check">
              <input type="checkbox" name="memberIds" value={user.id} /> {user.name}
            </label>
          ))}
        </fieldset>
      )}
      {error !== null && (
        <p class="form-error" data-testid="form-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy}>
        Create room
      </button>
    </form>
  );
}

function People({ chat, state }: SidebarProps) {
  const [error, setError] = useState<string | null>(null);
  const people = Object.values(state.users)
    .filter((u: User) => u.id !== state.me.id && u.active)
    .sort((a, b) => a.name.localeCompare(b.name));

  async function startDirect(userId: string): Promise<void> {
    setError(null);
    try {
      navigate(roomPath(await chat.openDirect(userId)));
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }

  return (
    <section class="people" data-testid="people-list" aria-label="People">
      <h2>People</h2>
      <ul>
        <li class="person me" data-testid="person" data-user-id={state.me.id} data-online={state.online.has(state.me.id) ? 'true' : 'false'}>
          <PresenceDot online={state.online.has(state.me.id)} />
          <span>{state.me.name} (you)</span>
        </li>
        {people.map((user) => (
          <li key={user.id} class="person" data-testid="person" data-user-id={user.id} data-online={state.online.has(user.id) ? 'true' : 'false'}>
            <PresenceDot online={state.online.has(user.id)} />
            <button
              type="button"
              class="link-button"
              data-testid="start-direct"
              title={`Message ${user.name} directly`}
              onClick={() => void startDirect(user.id)}
            >
              {user.name}
            </button>
          </li>
        ))}
      </ul>
      {error !== null && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function JoinLink({ chat, joinUrl }: { readonly chat: Chat; readonly joinUrl: string }) {
  const [copied, setCopied] = useState(false);
  async function copy(): Promise<void> {
    setCopied(await copyText(joinUrl));
    setTimeout(() => setCopied(false), 2_000);
  }
  return (
    <section class="join" aria-label="Invite people">
      <h2>Invite people</h2>
      <p class="small muted">Anyone with this link can join:</p>
      <a class="join-url" data-testid="join-link" href={joinUrl} onClick={(e) => e.preventDefault()}>
        {joinUrl}
      </a>
      <div class="row">
        <button type="button" data-testid="copy-join-link" onClick={() => void copy()}>
          {copied ? 'Copied!' : 'Copy link'}
        </button>
        <button type="button" data-testid="rotate-join-link" title="The old link stops working" onClick={() => void chat.rotateJoinCode()}>
          New link
        </button>
      </div>
    </section>
  );
}

export function Sidebar({ chat, state }: SidebarProps) {
  return (
    <aside class="sidebar">
      <header class="sidebar-header">
        <div>
          <strong class="account-name">{state.accountName}</strong>
          <div class="small muted" data-testid="current-user">
            {state.me.name}
            {state.me.role === 'administrator' ? ' · admin' : ''}
          </div>
          <a href={SESSIONS_PATH} class="small devices-link" data-testid="devices-link" onClick={(e) => onLinkClick(e, SESSIONS_PATH)}>
            Signed-in devices
          </a>
        </div>
        <button type="button" data-testid="signout" onClick={() => void chat.signOut()}>
          Sign out
        </button>
      </header>
      <MyPicture chat={chat} state={state} />
      {state.connection !== 'open' && (
        <p class="connection small" data-testid="connection-status" data-status={state.connection}>
          {state.connection === 'stopped' ? 'Offline' : 'Connecting…'}
        </p>
      )}
      <RoomList chat={chat} state={state} />
      <Alerts chat={chat} state={state} />
      <NewRoomForm chat={chat} state={state} />
      <People chat={chat} state={state} />
      {state.joinUrl !== null && <JoinLink chat={chat} joinUrl={state.joinUrl} />}
    </aside>
  );
}
