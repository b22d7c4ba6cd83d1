import { useRef, useState } from 'preact/hooks';
import type { RefObject, TargetedKeyboardEvent } from 'preact';
import { findMentionQuery, insertMention, matchMembers, movedHighlight, suggestionKeyOf, type Mentionable, type MentionQuery } from '../mentions.ts';

/** The `@` suggestions of a text box: what is being typed, who matches, and who was picked since the last send. */
export interface MentionPicker {
  readonly suggestions: readonly Mentionable[];
  /** The highlighted suggestion's index. */
  readonly active: number;
  /** Reads the `@word` at the caret; none while text is selected. */
  read(el: HTMLTextAreaElement): void;
  choose(member: Mentionable): void;
  /** Handles a key meant for the suggestion list; true when it was one (the text box must not act on it). */
  onKey(event: TargetedKeyboardEvent<HTMLTextAreaElement>): boolean;
  dismiss(): void;
  /** The people picked since the last send, the latest first: they win a tie when names are encoded. */
  chosen(): Mentionable[];
  /** After a send: nothing picked, nothing offered. */
  reset(): void;
}

/**
 * `area` is the text box the picker reads and writes; `setText` keeps its owner's copy of
 * the text in step when a pick rewrites it.
 */
export function useMentionPicker(members: readonly Mentionable[], area: RefObject<HTMLTextAreaElement | null>, setText: (text: string) => void): MentionPicker {
  const [mention, setMention] = useState<MentionQuery | null>(null);
  const [active, setActive] = useState(0);
  const chosen = useRef<Mentionable[]>([]);
  const suggestions = mention === null ? [] : matchMembers(members, mention.query);

  function read(el: HTMLTextAreaElement): void {
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

  function onKey(event: TargetedKeyboardEvent<HTMLTextAreaElement>): boolean {
    const action = suggestions.length === 0 ? null : suggestionKeyOf(event.key);
    if (action === null) return false;
    event.preventDefault();
    if (action.kind === 'move') {
      setActive((i) => movedHighlight(i, action.step, suggestions.length));
    } else if (action.kind === 'choose') {
      const member = suggestions[Math.min(active, suggestions.length - 1)];
      if (member !== undefined) choose(member);
    } else {
      setMention(null);
    }
    return true;
  }

  return {
    suggestions,
    active,
    read,
    choose,
    onKey,
    dismiss: () => setMention(null),
    chosen: () => chosen.current,
    reset: () => {
      chosen.current = [];
      setMention(null);
    },
  };
}

/** The list under the text box; a pick by mouse keeps the focus in the text box. */
export function MentionSuggestions({ picker }: { readonly picker: MentionPicker }) {
  if (picker.suggestions.length === 0) return null;
  return (
    <ul class="mention-suggestions" data-testid="mention-suggestions" role="listbox" aria-label="People to mention">
      {picker.suggestions.map((member, i) => (
        <li
          key={member.id}
          role="option"
          aria-selected={i === picker.active ? 'true' : 'false'}
          class={i === picker.active ? 'active' : ''}
          data-testid="mention-option"
          data-user-id={member.id}
          onMouseDown={(e) => {
            e.preventDefault();
            picker.choose(member);
          }}
        >
          @{member.name}
        </li>
      ))}
    </ul>
  );
}
