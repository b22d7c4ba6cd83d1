/**
 * The Markdown subset a message body may use (bold, italic, code, code blocks, quotes, links,
 * lists), parsed into a tree that the page renders as elements with text children: a body never
 * becomes HTML, so no markup in it can run (the XSS suite in e2e/browser-rich-text.test.ts holds
 * it to that). A link keeps only an http, https or mailto address; anything else stays text.
 * Mentions (`<@id>`, protocol §3) are inline nodes, as in mentions.ts.
 */

export type Inline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'strong' | 'em'; readonly children: readonly Inline[] }
  | { readonly kind: 'link'; readonly href: string; readonly children: readonly Inline[] }
  | { readonly kind: 'mention'; readonly userId: string }
  | { readonly kind: 'break' };

export type Block =
  | { readonly kind: 'paragraph'; readonly children: readonly Inline[] }
  | { readonly kind: 'codeBlock'; readonly text: string }
  | { readonly kind: 'quote'; readonly children: readonly Block[] }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly items: readonly (readonly Inline[])[] };

/** Quotes in quotes beyond this are text: a body of 4,000 `>` must not nest 4,000 elements deep. */
const MAX_QUOTE_DEPTH = 3;
/** Emphasis in emphasis beyond this is text, for the same reason. */
const MAX_INLINE_DEPTH = 4;

const FENCE = /^ {0,3}```/;
const QUOTE = /^ {0,3}> ?/;
const BULLET = /^ {0,3}[-*+] +(.*)$/;
const NUMBERED = /^ {0,3}\d{1,9}[.)] +(.*)$/;

/** The body's blocks, in order. */
export function parseRichText(body: string): Block[] {
  return parseBlocks(body.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function parseBlocks(lines: readonly string[], depth: number): Block[] {
  const blocks: Block[] = [];
  let at = 0;
  while (at < lines.length) {
    const line = lines[at]!;
    if (line.trim() === '') at += 1;
    else {
      const [block, next] = parseBlock(lines, at, depth);
      blocks.push(block);
      at = next;
    }
  }
  return blocks;
}

/** The block starting at `at`, and the index of the line after it. */
function parseBlock(lines: readonly string[], at: number, depth: number): [Block, number] {
  const line = lines[at]!;
  if (FENCE.test(line)) return codeBlock(lines, at);
  if (QUOTE.test(line) && depth < MAX_QUOTE_DEPTH) {
    const end = runEnd(lines, at, (l) => QUOTE.test(l));
    return [
      {
        kind: 'quote',
        children: parseBlocks(
          lines.slice(at, end).map((l) => l.replace(QUOTE, '')),
          depth + 1,
        ),
      },
      end,
    ];
  }
  for (const [pattern, ordered] of [
    [BULLET, false],
    [NUMBERED, true],
  ] as const) {
    if (pattern.test(line)) {
      const end = runEnd(lines, at, (l) => pattern.test(l));
      const items = lines.slice(at, end).map((l) => parseInline(pattern.exec(l)![1]!, 0));
      return [{ kind: 'list', ordered, items }, end];
    }
  }
  const end = runEnd(lines, at, (l) => l.trim() !== '' && !FENCE.test(l) && !QUOTE.test(l) && !BULLET.test(l) && !NUMBERED.test(l));
  // The first line always belongs to the paragraph (a quote too deep is text here).
  const last = Math.max(end, at + 1);
  const children: Inline[] = [];
  lines.slice(at, last).forEach((l, i) => {
    if (i > 0) children.push({ kind: 'break' });
    children.push(...parseInline(l, 0));
  });
  return [{ kind: 'paragraph', children }, last];
}

function runEnd(lines: readonly string[], at: number, belongs: (line: string) => boolean): number {
  let end = at + 1;
  while (end < lines.length && belongs(lines[end]!)) end += 1;
  return end;
}

/** A fenced block: everything up to the closing fence (or the end of the body) verbatim. */
function codeBlock(lines: readonly string[], at: number): [Block, number] {
  let end = at + 1;
  while (end < lines.length && !FENCE.test(lines[end]!)) end += 1;
  return [{ kind: 'codeBlock', text: lines.slice(at + 1, end).join('\n') }, Math.min(end + 1, lines.length)];
}

/**
 * One token of inline syntax at a position: a backslash escape, a code span, a mention, a link,
 * a bare address, or emphasis. Tried in this order; the first that matches wins. Emphasis spans at
 * most 300 characters, so a line of unclosed markers costs a bounded look-ahead at each, not a
 * scan to the end (a 10,000-character body of `*a ` took 57 ms to parse, now a few).
 */
const INLINE =
  /\\([!-/:-@[-`{-~])|(`+)([^`]|[^`][\s\S]*?[^`])\2(?!`)|<@([^<>\s]+)>|\[([^\]\n]{1,500})\]\(([^()\s]{1,2000})\)|\b(https?:\/\/[^\s<>]*[^\s<>.,;:!?'")\]])|(\*\*|__)(?=\S)([\s\S]{0,300}?\S)\8|(\*|_)(?=\S)([\s\S]{0,300}?\S)\10/g;

/** The inline nodes of one line (or a list item): text everywhere no syntax matched. */
export function parseInline(text: string, depth: number): Inline[] {
  const nodes: Inline[] = [];
  let at = 0;
  const pushText = (value: string): void => {
    if (value === '') return;
    const last = nodes.at(-1);
    if (last?.kind === 'text') nodes[nodes.length - 1] = { kind: 'text', text: last.text + value };
    else nodes.push({ kind: 'text', text: value });
  };
  for (const match of text.matchAll(new RegExp(INLINE.source, 'g'))) {
    const node = inlineNode(match, depth);
    if (node === undefined) continue;
    pushText(text.slice(at, match.index));
    if (node.kind === 'text') pushText(node.text);
    else nodes.push(node);
    at = match.index + match[0].length;
  }
  pushText(text.slice(at));
  return nodes;
}

/** The node a match stands for; undefined when it is not syntax after all (`snake_case_name`). */
function inlineNode(match: RegExpMatchArray, depth: number): Inline | undefined {
  const [whole, escaped, , code, mention, label, target, bare] = match;
  if (escaped !== undefined) return { kind: 'text', text: escaped };
  if (code !== undefined) return { kind: 'code', text: trimCode(code) };
  if (mention !== undefined) return { kind: 'mention', userId: mention };
  if (label !== undefined && target !== undefined) return linkNode(whole, safeHref(target), nested(label, depth));
  if (bare !== undefined) return linkNode(bare, safeHref(bare), [{ kind: 'text', text: bare }]);
  return emphasisNode(match, depth);
}

/** A code span's one space of padding on each side is the span's, not the code's (`` ` `x` ` ``). */
function trimCode(code: string): string {
  return code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code;
}

/** A link to `href`, or its source as text when the address may not be a link. */
function linkNode(source: string, href: string | undefined, children: readonly Inline[]): Inline {
  return href === undefined ? { kind: 'text', text: source } : { kind: 'link', href, children };
}

function emphasisNode(match: RegExpMatchArray, depth: number): Inline | undefined {
  const [whole, , , , , , , , strong, strongText, em, emText] = match;
  const [marker, inner, kind] = strong !== undefined ? [strong, strongText, 'strong' as const] : [em, emText, 'em' as const];
  if (marker === undefined || inner === undefined) return undefined;
  if (marker.startsWith('_') && isInsideWord(match.input ?? '', match.index ?? 0, whole.length)) return undefined;
  return { kind, children: nested(inner, depth) };
}

/** Whether the text at `start` of `length` touches a word character on either side: an underscore there is the word's (snake_case), as in CommonMark. */
function isInsideWord(input: string, start: number, length: number): boolean {
  return /\w/.test(input[start - 1] ?? '') || /\w/.test(input[start + length] ?? '');
}

function nested(text: string, depth: number): Inline[] {
  return depth + 1 >= MAX_INLINE_DEPTH ? [{ kind: 'text', text }] : parseInline(text, depth + 1);
}

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The address as a link may carry it, or undefined: only http, https and mailto, judged on the
 * parsed URL (so ` javascript:`, `JaVaScRiPt:`, entities and control characters cannot pass).
 */
export function safeHref(target: string): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  return SAFE_PROTOCOLS.has(url.protocol) ? url.href : undefined;
}
