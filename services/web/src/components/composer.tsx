import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedKeyboardEvent } from 'preact';
import type { Chat } from '../chat.ts';
import type { Mentionable } from '../mentions.ts';
import { MentionSuggestions, useMentionPicker } from './mention-picker.tsx';

interface ComposerProps {
  readonly chat: Chat;
  readonly roomId: string;
  readonly roomLabel: string;
  /** People who can be mentioned here (the room's members but you). */
  readonly members: readonly Mentionable[];
}

/** Keys that move the caret without typing: it may have moved into or out of an `@word`. */
const CARET_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'Home', 'End']);

/** The message box: Enter sends, Shift+Enter breaks the line, `@` offers the room's members. */
export function Composer({ chat, roomId, roomLabel, members }: ComposerProps) {
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  const mentions = useMentionPicker(members, area, setText);

  useEffect(() => {
    area.current?.focus();
  }, [roomId]);

  function send(): void {
    // The textarea is the truth: a key may have landed since the last render.
    const value = area.current?.value ?? text;
    if (value.trim() === '') return;
    chat.send(roomId, value, mentions.chosen());
    mentions.reset();
    if (area.current !== null) area.current.value = '';
    setText('');
  }

  function onKeyDown(event: TargetedKeyboardEvent<HTMLTextAreaElement>): void {
    if (event.isComposing || mentions.onKey(event)) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      send();
    }
  }

  return (
    <div class="composer-wrap">
      <MentionSuggestions picker={mentions} />
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
            mentions.read(el);
            if (el.value.trim() !== '') chat.typing(roomId);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            if (CARET_KEYS.has(e.key)) mentions.read(e.currentTarget);
          }}
          onClick={(e) => mentions.read(e.currentTarget)}
          onBlur={mentions.dismiss}
        />
        <button type="submit" class="primary" data-testid="send">
          Send
        </button>
      </form>
    </div>
  );
}
