import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedKeyboardEvent } from 'preact';
import type { Chat } from '../chat.ts';
import type { Mentionable } from '../mentions.ts';
import type { Upload } from '../uploads.ts';
import { AttachButton, filesPasted, StagedFiles, type Attachments } from './attachments.tsx';
import { MentionSuggestions, useMentionPicker } from './mention-picker.tsx';
import { UploadList } from './upload-list.tsx';

interface ComposerProps {
  readonly chat: Chat;
  readonly roomId: string;
  readonly roomLabel: string;
  /** People who can be mentioned here (the room's members but you). */
  readonly members: readonly Mentionable[];
  /** Files chosen for the next send (the room pane holds them: files dropped on it land here). */
  readonly attachments: Attachments;
  /** Your uploads to this room on their way, or refused. */
  readonly uploads: readonly Upload[];
}

/** Keys that move the caret without typing: it may have moved into or out of an `@word`. */
const CARET_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'Home', 'End']);

/**
 * The message box: Enter sends, Shift+Enter breaks the line, `@` offers the room's members.
 * Files chosen with the paperclip, pasted or dropped wait above it and go with the next send,
 * the text as the first one's caption.
 */
export function Composer({ chat, roomId, roomLabel, members, attachments, uploads }: ComposerProps) {
  const [text, setText] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);
  const mentions = useMentionPicker(members, area, setText);

  useEffect(() => {
    area.current?.focus();
  }, [roomId]);

  function send(): void {
    // The textarea is the truth: a key may have landed since the last render.
    const value = area.current?.value ?? text;
    const files = attachments.staged;
    if (value.trim() === '' && files.length === 0) return;
    if (files.length > 0) chat.upload(roomId, files, value, mentions.chosen());
    else chat.send(roomId, value, mentions.chosen());
    attachments.clear();
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
      <UploadList chat={chat} uploads={uploads} />
      <StagedFiles attachments={attachments} />
      <form
        class="composer-form"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <AttachButton onFiles={attachments.add} />
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
          onPaste={(e) => {
            const files = filesPasted(e);
            if (files.length === 0) return;
            e.preventDefault();
            attachments.add(files);
          }}
        />
        <button type="submit" class="primary" data-testid="send">
          Send
        </button>
      </form>
    </div>
  );
}
