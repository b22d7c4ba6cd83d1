/**
 * A person's avatar: the picture they uploaded, or by default the initials of their name on a
 * colour that their id decides, so everyone sees the same colour for the same person in every
 * room and on every device, and two people called Ada do not look alike.
 */

/** Up to two initials: the first character of the first and the last word (one for a single word). */
export function initialsOf(name: string): string {
  const words = name
    .trim()
    .split(/\s+/u)
    .filter((word) => word !== '');
  if (words.length === 0) return '?';
  const first = firstCharacter(words[0]!);
  const last = words.length > 1 ? firstCharacter(words.at(-1)!) : '';
  return (first + last).toLocaleUpperCase();
}

/** The first character as a person sees it: a whole emoji or a letter with its accents, not half a surrogate pair. */
function firstCharacter(word: string): string {
  const [first] = new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(word);
  return first?.segment ?? '';
}

/** How many hues the colours are spread over: different enough to tell apart at a glance. */
export const HUES = 24;
export const SATURATION = 55;
/** Dark enough for the lightest hue (yellow) to keep 4.5:1 against white (avatar.test.ts computes it for each hue). */
export const LIGHTNESS = 30;

/**
 * The avatar's background for an id: one of HUES hues, at a saturation and lightness where white
 * initials keep a contrast of at least 4.5:1 (WCAG AA) on every hue.
 */
export function avatarColourOf(id: string): string {
  return `hsl(${hueIndexOf(id) * (360 / HUES)} ${SATURATION}% ${LIGHTNESS}%)`;
}

/** FNV-1a over the id's UTF-16 units, folded onto the hues. */
export function hueIndexOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % HUES;
}

/**
 * Where a person's uploaded picture is, with its version in the query so that a browser keeps it
 * until it changes and fetches the new one at once (protocol §3); null when they have none.
 */
export function avatarUrlOf(userId: string, avatar: string | null): string | null {
  if (avatar === null || avatar === '') return null;
  return `/api/users/${encodeURIComponent(userId)}/avatar?v=${encodeURIComponent(avatar)}`;
}
