import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren, TargetedKeyboardEvent, TargetedSubmitEvent } from 'preact';
import type { Boost, Message } from '../api-types.ts';
import type { Chat } from '../chat.ts';
import { plainBody } from '../mentions.ts';
import { Avatar } from './avatar.tsx';
import { MessageFileView } from './message-file.tsx';
import { RichText } from './rich-text.tsx';
import type { PendingMessage } from '../room-state.ts';

const BOOST_MAX_CHARS = 16;

export function formatTime(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/** The body as its Markdown subset and mention chips; user text never goes through innerHTML (RichText). */
export function MessageBody(props: {
  readonly body: string;
  readonly sound: string | null;
  readonly nameOf: (id: string) => string | null;
  readonly meId: string;
}) {
  if (props.sound !== null) {
    return (
      <div class="body sound" data-testid="message-body">
        🔊 played {props.sound}
      </div>
    );
  }
  return (
    <div class="body rich" data-testid="message-body">
      <RichText body={props.body} nameOf={props.nameOf} meId={props.meId} />
    </div>
  );
}

interface BoostGroup {
  readonly content: string;
  readonly boosts: readonly Boost[];
}

function groupBoosts(boosts: readonly Boost[]): BoostGroup[] {
  const groups = new Map<string, Boost[]>();
  for (const boost of boosts) {
    const group = groups.get(boost.content);
    if (group === undefined) groups.set(boost.content, [boost]);
    else group.push(boost);
  }
  return [...groups].map(([content, list]) => ({ content, boosts: list }));
}

/** Adds a boost to a message; shared by the boost chips (same content) and the small form (new content). */
function useBoost(chat: Chat, message: Message): { add: (content: string) => Promise<boolean>; error: string | null } {
  const [error, setError] = useState<string | null>(null);
  async function add(content: string): Promise<boolean> {
    const trimmed = content.trim();
    if (trimmed === '') return false;
    if ([...trimmed].length > BOOST_MAX_CHARS) {
      setError(`A boost is at most ${BOOST_MAX_CHARS} characters.`);
      return false;
    }
    setError(null);
    try {
      await chat.boost(message.id, message.roomId, trimmed);
      return true;
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
      return false;
    }
  }
  return { add, error };
}

function BoostList(props: { readonly chat: Chat; readonly message: Message; readonly meId: string; readonly add: (content: string) => Promise<boolean> }) {
  const { chat, message } = props;
  if (message.boosts.length === 0) return null;
  return (
    <div class="boosts" data-testid="boosts">
      {groupBoosts(message.boosts).map((group) => {
        const mine = group.boosts.find((b) => b.authorId === props.meId);
        const who = group.boosts.map((b) => chat.userName(b.authorId)).join(', ');
        return (
          <span key={group.content} class={mine === undefined ? 'boost-group' : 'boost-group mine'}>
            <button
              type="button"
              class="boost"
              data-testid="boost"
              data-content={group.content}
              data-count={String(group.boosts.length)}
              title={`${who} · click to boost too`}
              onClick={() => void props.add(group.content)}
            >
              <span class="boost-content">{group.content}</span>{' '}
              <span class="boost-count" data-testid="boost-count">
                {group.boosts.length}
              </span>
            </button>
            {mine !== undefined && (
              <button
                type="button"
                class="unboost"
                data-testid="unboost"
                title="Remove your boost"
                aria-label="Remove your boost"
                onClick={() => void chat.unboost(mine.id)}
              >
                ×
              </button>
            )}
          </span>
        );
      })}
    </div>
  );
}

function BoostForm(props: { readonly add: (content: string) => Promise<boolean> }) {
  async function onSubmit(event: TargetedSubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const form = event.currentTarget;
    const input = form.elements.namedItem('boost');
    if (!(input instanceof HTMLInputElement)) return;
    if (await props.add(input.value)) form.reset();
  }
  return (
    <form class="boost-form" data-testid="boost-form" onSubmit={(e) => void onSubmit(e)}>
      <input name="boost" data-testid="boost-input" maxLength={BOOST_MAX_CHARS} placeholder="Boost" aria-label="Add a boost" autocomplete="off" />
      <button type="submit" data-testid="boost-submit" aria-label="Add boost">
        +
      </button>
    </form>
  );
}

function EditForm(props: { readonly chat: Chat; readonly message: Message; readonly onDone: () => void }) {
  const { chat, message } = props;
  const [text, setText] = useState(() => plainBody(message.body, (id) => chat.userName(id)));
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => input.current?.focus(), []);

  async function save(): Promise<void> {
    try {
      await chat.edit(message.id, message.roomId, text);
      props.onDone();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }

  function onKeyDown(event: TargetedKeyboardEvent<HTMLTextAreaElement>): void {
    if (event.key === 'Escape') props.onDone();
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      void save();
    }
  }

  return (
    <form
      class="edit-form"
      data-testid="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <textarea data-testid="edit-input" value={text} rows={2} onInput={(e) => setText(e.currentTarget.value)} onKeyDown={onKeyDown} ref={input} />
      {error !== null && (
        <p class="form-error small" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary" data-testid="edit-save">
          Save
        </button>
        <button type="button" data-testid="edit-cancel" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function MessageMeta(props: { readonly chat: Chat; readonly message: Message; readonly authorOnline: boolean; readonly children: ComponentChildren }) {
  const { message } = props;
  return (
    <div class="meta">
      <Avatar userId={message.authorId} name={props.chat.userName(message.authorId)} avatar={props.chat.userAvatar(message.authorId)} />
      <span class={props.authorOnline ? 'author online' : 'author'} data-testid="message-author">
        {props.chat.userName(message.authorId)}
      </span>
      <time dateTime={message.createdAt} title={new Date(message.createdAt).toLocaleString()}>
        {formatTime(message.createdAt)}
      </time>
      {message.editedAt !== null && message.deletedAt === null && (
        <span class="edited muted" data-testid="message-edited" title={new Date(message.editedAt).toLocaleString()}>
          (edited)
        </span>
      )}
      {props.children}
    </div>
  );
}

interface MessageActionsProps {
  readonly add: (content: string) => Promise<boolean>;
  readonly mayChange: boolean;
  readonly onEdit: () => void;
  readonly onDelete: () => void;
}

/** Shown on hover or focus (opacity only, so they stay in the accessibility tree and clickable). */
function MessageActions(props: MessageActionsProps) {
  return (
    <span class="actions">
      <BoostForm add={props.add} />
      {props.mayChange && (
        <button type="button" class="link-button" data-testid="message-edit" onClick={props.onEdit}>
          Edit
        </button>
      )}
      {props.mayChange && (
        <button type="button" class="link-button danger" data-testid="message-delete" onClick={props.onDelete}>
          Delete
        </button>
      )}
    </span>
  );
}

function MessageContent(props: { readonly message: Message; readonly nameOf: (id: string) => string | null; readonly meId: string }) {
  if (props.message.deletedAt !== null) {
    return (
      <div class="body muted" data-testid="message-body">
        <em>This message was deleted.</em>
      </div>
    );
  }
  return <MessageBody body={props.message.body} sound={props.message.sound} nameOf={props.nameOf} meId={props.meId} />;
}

interface MessageItemProps {
  readonly chat: Chat;
  readonly message: Message;
  readonly meId: string;
  readonly canModerate: boolean;
  readonly authorOnline: boolean;
}

/** Deletes a message; the failure, if any, to show under it. */
function useRemove(chat: Chat, message: Message): { remove: () => Promise<void>; error: string | null } {
  const [error, setError] = useState<string | null>(null);
  async function remove(): Promise<void> {
    setError(null);
    try {
      await chat.remove(message.id, message.roomId);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }
  return { remove, error };
}

/** Its author and moderators may edit or delete a message, until it is deleted. */
function mayChangeMessage(message: Message, meId: string, canModerate: boolean): boolean {
  return message.deletedAt === null && (message.authorId === meId || canModerate);
}

function messageClass(message: Message, meId: string): string {
  return `message${message.deletedAt !== null ? ' deleted' : ''}${message.authorId === meId ? ' own' : ''}`;
}

export function MessageItem({ chat, message, meId, canModerate, authorOnline }: MessageItemProps) {
  const [editing, setEditing] = useState(false);
  const removal = useRemove(chat, message);
  const boost = useBoost(chat, message);
  const deleted = message.deletedAt !== null;
  const nameOf = (id: string): string => chat.userName(id);
  const error = removal.error ?? boost.error;

  return (
    <li
      class={messageClass(message, meId)}
      id={`message-${message.id}`}
      data-testid="message"
      data-message-id={message.id}
      data-seq={String(message.seq)}
      data-client-message-id={message.clientMessageId}
      data-author-id={message.authorId}
      data-pending="false"
      data-deleted={deleted ? 'true' : 'false'}
    >
      <MessageMeta chat={chat} message={message} authorOnline={authorOnline}>
        {!deleted && !editing && (
          <MessageActions
            add={boost.add}
            mayChange={mayChangeMessage(message, meId, canModerate)}
            onEdit={() => setEditing(true)}
            onDelete={() => void removal.remove()}
          />
        )}
      </MessageMeta>
      {editing && !deleted ? (
        <EditForm chat={chat} message={message} onDone={() => setEditing(false)} />
      ) : (
        <MessageContent message={message} nameOf={nameOf} meId={meId} />
      )}
      <MessageFileView message={message} />
      {!deleted && <BoostList chat={chat} message={message} meId={meId} add={boost.add} />}
      {error !== null && (
        <p class="form-error small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function PendingItem(props: { readonly chat: Chat; readonly pending: PendingMessage }) {
  const { chat, pending } = props;
  const failed = pending.status === 'failed';
  const sound = /^\/play\s+(\S+)\s*$/.exec(pending.body)?.[1] ?? null;
  return (
    <li
      class={`message own pending${failed ? ' failed' : ''}`}
      data-testid="message"
      data-client-message-id={pending.clientMessageId}
      data-author-id={pending.authorId}
      data-pending="true"
      data-failed={failed ? 'true' : 'false'}
    >
      <div class="meta">
        <Avatar userId={pending.authorId} name={chat.userName(pending.authorId)} avatar={chat.userAvatar(pending.authorId)} />
        <span class="author" data-testid="message-author">
          {chat.userName(pending.authorId)}
        </span>
        <time dateTime={pending.createdAt}>{formatTime(pending.createdAt)}</time>
        <span class="muted small">{failed ? 'not sent' : 'sending…'}</span>
      </div>
      <MessageBody body={pending.body} sound={sound} nameOf={(id) => chat.userName(id)} meId={pending.authorId} />
      {!failed && pending.error !== null && (
        <p class="muted small" role="status" data-testid="waiting">
          {pending.error}
        </p>
      )}
      {failed && (
        <p class="form-error small" role="alert">
          {pending.error ?? 'Could not send.'}{' '}
          <button type="button" data-testid="retry" onClick={() => chat.retry(pending.roomId, pending.clientMessageId)}>
            Retry
          </button>
        </p>
      )}
    </li>
  );
}
