import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedKeyboardEvent } from 'preact';
import type { Chat } from '../chat.ts';
import { findMentionQuery, insertMention, matchMembers, type Mentionable, type MentionQuery } from '../mentions.ts';

interface ComposerProps {
  readonly chat: Chat;
  readonly roomId: string;
  readonly roomLabel: string;
  /** People who can be mentioned here (the room's members but you). */
  readonly members: readonly Mentionable[];
}

/** The message box: Enter sends, Shift+Enter breaks the line, `@` offers the room's members. */
export function Composer({ chat, roomId, roomLabel, members }: ComposerProps) {
  const [text, setText] = useState('');
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  const chosen = useRef<Mentionable[]>([]);
  const area = useRef<HTMLTextAreaElement>(null);

  const suggestions = mention === null ? [] : matchMembers(members, mention.query);

  useEffect(() => {
    area.current?.focus();
  }, [roomId]);

  function readMention(el: HTMLTextAreaElement): void {
    const next = el.selectionStart === el.selectionEnd ? findMentionQuery(el.value, el.selectionStart) : null;
    if (next?.start !== mention?.start || next?.query !== mention?.query) setActive(0);
    setMention(next);
  }

  function choose(member: Mentionable): void {
    const el = area.current;
    if (el === null || mention === null) return;
    const result = insertMention(el.value, mention, el.selectionStart, member.name);
    chosen.current = [member, ...chosen.current.filter((m) => m.id !== member.id)];
    // Change the textarea now, not after the next render: keys typed in between must land after the name.
    el.value = result.text;
    el.setSelectionRange(result.caret, result.caret);
    setText(result.text);
    setMention(null);
    el.focus();
  }

  function send(): void {
    // The textarea is the truth: a key may have landed since the last render.
    const value = area.current?.value ?? text;
    if (value.trim() === '') return;
    chat.send(roomId, value, chosen.current);
    chosen.current = [];
    if (area.current !== null) area.current.value = '';
    setText('');
    setMention(null);
  }

  function onKeyDown(event: TargetedKeyboardEvent<HTMLTextAreaElement>): void {
    if (event.isComposing) return;
    if (suggestions.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        const step = event.key === 'ArrowDown' ? 1 : -1;
        setActive((i) => (i + step + suggestions.length) % suggestions.length);
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        const member = suggestions[Math.min(active, suggestions.length - 1)];
        if (member !== undefined) choose(member);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        setMention(null);
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  }

  return (
    <div class="composer-wrap">
      {suggestions.length > 0 && (
        <ul class="mention-suggestions" data-testid="mention-suggestions" role="listbox" aria-label="People to mention">
          {suggestions.map((member, i) => (
            <li
              key={member.id}
              role="option"
              aria-selected={i === active ? 'true' : 'false'}
              class={i === active ? 'active' : ''}
              data-testid="mention-option"
              data-user-id={member.id}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(member);
              }}
            >
              @{member.name}
            </li>
          ))}
        </ul>
      )}
      <form
        class="composer-form"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <textarea
          ref={area}
          class="composer"
          data-testid="composer"
          name="body"
          rows={2}
          placeholder={`Message ${roomLabel}`}
          aria-label={`Message ${roomLabel}`}
          value={text}
          onInput={(e) => {
            const el = e.currentTarget;
            setText(el.value);
            readMention(el);
            if (el.value.trim() !== '') chat.typing(roomId);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') readMention(e.currentTarget);
          }}
          onClick={(e) => readMention(e.currentTarget)}
          onBlur={() => setMention(null)}
        />
        <button type="submit" class="primary" data-testid="send">
          Send
        </button>
      </form>
    </div>
  );
}
