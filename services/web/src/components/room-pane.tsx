import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChild } from 'preact';
import type { Message, User } from '../api-types.ts';
import type { Chat, ChatState, SidebarRoom } from '../chat.ts';
import type { RoomView } from '../room-state.ts';
import { useAttachments } from './attachments.tsx';
import { Composer } from './composer.tsx';
import { DropTarget, useFileDrop } from './file-drop.tsx';
import { MessageItem, PendingItem } from './message-item.tsx';
import { PresenceDot } from './sidebar.tsx';
import { RoomIcon } from './room-icon.tsx';

interface RoomPaneProps {
  readonly chat: Chat;
  readonly state: ChatState;
  readonly roomId: string;
}

function typingText(names: readonly string[]): string {
  if (names.length === 1) return `${names[0] ?? ''} is typing…`;
  if (names.length === 2) return `${names[0] ?? ''} and ${names[1] ?? ''} are typing…`;
  return `${names.length} people are typing…`;
}

function TypingIndicator({ chat, state, roomId }: RoomPaneProps) {
  const now = Date.now();
  const who = Object.entries(state.typing[roomId] ?? {})
    .filter(([userId, until]) => until > now && userId !== state.me.id)
    .map(([userId]) => chat.userName(userId));
  if (who.length === 0) return <div class="typing-indicator" aria-live="polite" />;
  return (
    <div class="typing-indicator" data-testid="typing-indicator" aria-live="polite">
      {typingText(who)}
    </div>
  );
}

function dayOf(iso: string): string {
  return new Date(iso).toLocaleDateString([], { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

function MessageList({ chat, state, view }: { readonly chat: Chat; readonly state: ChatState; readonly view: RoomView }) {
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const canModerate = state.me.role === 'administrator';
  const lastPending = view.pending[view.pending.length - 1]?.clientMessageId;

  // Keep the newest message in sight unless the reader scrolled up; keep the place when older ones arrive.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el === null) return;
    if (anchor.current !== null) {
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  useEffect(() => {
    // Your own new message always brings you to the bottom.
    if (lastPending !== undefined) atBottom.current = true;
  }, [lastPending]);

  function onScroll(): void {
    const el = scroller.current;
    if (el !== null) atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
  }

  function loadOlder(): void {
    const el = scroller.current;
    if (el !== null) anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    chat.loadOlder(view.roomId).catch(() => {
      anchor.current = null;
    });
  }

  const items: ComponentChild[] = [];
  let lastDay = '';
  view.messages.forEach((message: Message) => {
    const day = dayOf(message.createdAt);
    if (day !== lastDay) {
      items.push(
        <li key={`day-${day}`} class="day-separator" aria-hidden="true">
          <span>{day}</span>
        </li>,
      );
      lastDay = day;
    }
    items.push(
      <MessageItem
        key={message.id}
        chat={chat}
        message={message}
        meId={state.me.id}
        canModerate={canModerate}
        authorOnline={state.online.has(message.authorId)}
      />,
    );
  });

  return (
    <div class="messages-scroller" ref={scroller} onScroll={onScroll}>
      {view.hasOlder && (
        <button type="button" class="load-older" data-testid="load-older" disabled={state.loadingOlder[view.roomId] === true} onClick={loadOlder}>
          {state.loadingOlder[view.roomId] === true ? 'Loading…' : 'Load older messages'}
        </button>
      )}
      {view.messages.length === 0 && view.pending.length === 0 && <p class="muted empty">No messages yet. Say hello!</p>}
      <ol class="message-list" data-testid="message-list">
        {items}
        {view.pending.map((pending) => (
          <PendingItem key={`pending-${pending.clientMessageId}`} chat={chat} pending={pending} />
        ))}
      </ol>
    </div>
  );
}

function MembersPanel({ chat, state, room }: { readonly chat: Chat; readonly state: ChatState; readonly room: SidebarRoom }) {
  const [error, setError] = useState<string | null>(null);
  const canManage = state.me.role === 'administrator' || room.createdBy === state.me.id || room.kind === 'direct';
  const members = room.memberIds.map((id) => state.users[id]).filter((u): u is User => u !== undefined);
  const others = Object.values(state.users).filter((u) => u.active && !room.memberIds.includes(u.id));

  async function run(action: () => Promise<void>): Promise<void> {
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }

  return (
    <section class="members-panel" data-testid="members-panel">
      {canManage && room.kind !== 'direct' && (
        <form
          class="rename-form row"
          data-testid="rename-room-form"
          onSubmit={(e) => {
            e.preventDefault();
            const name = String(new FormData(e.currentTarget).get('name') ?? '').trim();
            if (name !== '') void run(() => chat.renameRoom(room.id, name));
          }}
        >
          <input name="name" aria-label="Room name" defaultValue={room.name ?? ''} maxLength={100} />
          <button type="submit">Rename</button>
        </form>
      )}
      <ul>
        {members.map((user) => (
          <li key={user.id} data-testid="member" data-user-id={user.id}>
            <PresenceDot online={state.online.has(user.id)} /> {user.name}
            {canManage && room.kind === 'closed' && user.id !== state.me.id && (
              <button
                type="button"
                class="link-button danger small"
                aria-label={`Remove ${user.name} from the room`}
                onClick={() => void run(() => chat.removeMember(room.id, user.id))}
              >
                remove
              </button>
            )}
          </li>
        ))}
      </ul>
      {canManage && room.kind === 'closed' && others.length > 0 && (
        <select
          data-testid="add-member"
          aria-label="Add a member"
          value=""
          onChange={(e) => {
            const userId = e.currentTarget.value;
            if (userId !== '') void run(() => chat.addMember(room.id, userId));
          }}
        >
          <option value="">Add someone…</option>
          {others.map((user) => (
            <option key={user.id} value={user.id}>
              {user.name}
            </option>
          ))}
        </select>
      )}
      {error !== null && (
        <p class="form-error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** People the composer offers to mention: the room's active members but you. */
function mentionableMembers(room: SidebarRoom | undefined, state: ChatState): User[] {
  return (room?.memberIds ?? [])
    .filter((id) => id !== state.me.id)
    .map((id) => state.users[id])
    .filter((u): u is User => u !== undefined && u.active);
}

function RoomHeader({
  room,
  label,
  onToggleMembers,
  soundsMuted,
  onToggleSounds,
}: {
  readonly room: SidebarRoom | undefined;
  readonly label: string;
  readonly onToggleMembers: () => void;
  readonly soundsMuted: boolean;
  readonly onToggleSounds: () => void;
}) {
  return (
    <header class="room-header">
      <h1 data-testid="room-title">
        <span class="muted">
          <RoomIcon kind={room?.kind} />
        </span>
        {label}
      </h1>
      {room !== undefined && (
        <button type="button" class="link-button" data-testid="members-toggle" onClick={onToggleMembers}>
          {room.memberIds.length} {room.memberIds.length === 1 ? 'member' : 'members'}
        </button>
      )}
      <button
        type="button"
        class="link-button"
        data-testid="sounds-toggle"
        aria-pressed={soundsMuted}
        title="/play sounds in this browser"
        onClick={onToggleSounds}
      >
        {soundsMuted ? '🔇 Sounds off' : '🔊 Sounds on'}
      </button>
    </header>
  );
}

export function RoomPane({ chat, state, roomId }: RoomPaneProps) {
  const [showMembers, setShowMembers] = useState(false);
  const attachments = useAttachments(roomId);
  const drop = useFileDrop(attachments.add);
  const view = state.views[roomId];
  const room = state.rooms.find((r) => r.id === roomId);
  const error = state.roomErrors[roomId];
  useEffect(() => setShowMembers(false), [roomId]);

  if (error !== undefined && view === undefined) {
    return (
      <section class="room-pane">
        <p class="form-error" data-testid="room-error" role="alert">
          This room cannot be opened: {error}
        </p>
      </section>
    );
  }
  if (view === undefined) {
    return (
      <section class="room-pane">
        <p class="muted empty">Loading…</p>
      </section>
    );
  }
  const label = room === undefined ? 'this room' : chat.roomName(room);

  return (
    <section class="room-pane" data-testid="room" data-room-id={roomId} {...drop.handlers}>
      <RoomHeader
        room={room}
        label={label}
        onToggleMembers={() => setShowMembers(!showMembers)}
        soundsMuted={state.soundsMuted}
        onToggleSounds={() => chat.setSoundsMuted(!state.soundsMuted)}
      />
      {showMembers && room !== undefined && <MembersPanel chat={chat} state={state} room={room} />}
      <MessageList chat={chat} state={state} view={view} />
      <TypingIndicator chat={chat} state={state} roomId={roomId} />
      <Composer
        key={roomId}
        chat={chat}
        roomId={roomId}
        roomLabel={label}
        members={mentionableMembers(room, state)}
        attachments={attachments}
        uploads={state.uploads.filter((u) => u.roomId === roomId)}
      />
      {drop.dragging && <DropTarget label={label} />}
    </section>
  );
}
