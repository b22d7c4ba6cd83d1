/**
 * Mentions are stored as `<@userId>` (protocol §3) and shown as `@Name`.
 * Pure helpers for rendering a body and for the composer's autocomplete.
 */

export type BodySegment = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'mention'; readonly userId: string; readonly name: string };

const MENTION = /<@([^<>\s]+)>/g;

/** Splits a body into plain text and mentions; the caller renders both as text, never as HTML. */
export function segmentBody(body: string, nameOf: (userId: string) => string | null): BodySegment[] {
  const segments: BodySegment[] = [];
  let at = 0;
  for (const match of body.matchAll(MENTION)) {
    const userId = match[1] ?? '';
    if (match.index > at) segments.push({ kind: 'text', text: body.slice(at, match.index) });
    segments.push({ kind: 'mention', userId, name: nameOf(userId) ?? 'unknown' });
    at = match.index + match[0].length;
  }
  if (at < body.length) segments.push({ kind: 'text', text: body.slice(at) });
  return segments;
}

/** The body as a person reads it, for previews and search results. */
export function plainBody(body: string, nameOf: (userId: string) => string | null): string {
  return segmentBody(body, nameOf)
    .map((s) => (s.kind === 'text' ? s.text : `@${s.name}`))
    .join('');
}

export interface MentionQuery {
  /** Index of the `@`. */
  readonly start: number;
  /** What follows the `@` up to the caret. */
  readonly query: string;
}

/** The `@word` being typed just before the caret, if any (an `@` at the start or after whitespace). */
export function findMentionQuery(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@<>]{0,40})$/u.exec(before);
  if (match === null) return null;
  const query = match[2] ?? '';
  return { start: caret - query.length - 1, query };
}

export interface Mentionable {
  readonly id: string;
  readonly name: string;
}

/** Members whose name, or a word of it, starts with the query; whole-name matches first. */
export function matchMembers<T extends Mentionable>(members: readonly T[], query: string, limit = 8): T[] {
  const q = query.toLowerCase();
  const scored: Array<{ member: T; score: number }> = [];
  for (const member of members) {
    const name = member.name.toLowerCase();
    if (name.startsWith(q)) scored.push({ member, score: 0 });
    else if (name.split(/\s+/).some((word) => word.startsWith(q))) scored.push({ member, score: 1 });
  }
  scored.sort((a, b) => a.score - b.score || a.member.name.localeCompare(b.member.name));
  return scored.slice(0, limit).map((s) => s.member);
}

/** Replaces the chosen member and the `@word` being typed with `@Name `, returning the new text and caret. */
export function insertMention(text: string, mention: MentionQuery, caret: number, name: string): { text: string; caret: number } {
  const inserted = `@${name} `;
  const after = text.slice(caret).replace(/^\s+/, '');
  return { text: text.slice(0, mention.start) + inserted + after, caret: mention.start + inserted.length };
}

/** What a key does while suggestions are shown: move the highlight, pick the highlighted one, or close the list. */
export type SuggestionKey = { readonly kind: 'move'; readonly step: 1 | -1 } | { readonly kind: 'choose' } | { readonly kind: 'dismiss' };

/** The suggestion list's keys; null for any other key, which goes on to the text box. */
export function suggestionKeyOf(key: string): SuggestionKey | null {
  switch (key) {
    case 'ArrowDown':
      return { kind: 'move', step: 1 };
    case 'ArrowUp':
      return { kind: 'move', step: -1 };
    case 'Enter':
    case 'Tab':
      return { kind: 'choose' };
    case 'Escape':
      return { kind: 'dismiss' };
    default:
      return null;
  }
}

/** The highlight after a move, wrapping around the ends of a list of `count`. */
export function movedHighlight(active: number, step: 1 | -1, count: number): number {
  return (active + step + count) % count;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Turns `@Name` into `<@userId>` for the given people (the room's members, the
 * chosen ones first so they win a tie). Longer names are tried first so
 * `@Ada Lovelace` is not read as `@Ada`.
 */
export function encodeMentions(text: string, people: readonly Mentionable[]): string {
  const idByName = new Map<string, string>();
  for (const person of people) if (person.name !== '' && !idByName.has(person.name)) idByName.set(person.name, person.id);
  if (idByName.size === 0) return text;
  const names = [...idByName.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(^|[^\\p{L}\\p{N}_<])@(${names.join('|')})(?=$|[^\\p{L}\\p{N}_])`, 'gu');
  return text.replace(pattern, (_all, lead: string, name: string) => `${lead}<@${idByName.get(name) ?? ''}>`);
}
