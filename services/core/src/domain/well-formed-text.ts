import { invalid, type HearthError } from '../errors.ts';

/*
 * The text rule every tier applies at its edge, to every string a client sends (a JSON body, a
 * query, a path, a realtime frame): well-formed Unicode (no lone UTF-16 surrogate, which a JSON
 * `\ud800` escape makes out of valid UTF-8) and no NUL. PostgreSQL cannot store either, SQLite
 * would, so without one rule at the edge the tiers would disagree on the same request.
 */

/** What is wrong with a string, or null when it is well-formed text. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (!text.isWellFormed()) return 'must be well-formed Unicode text (it holds a lone UTF-16 surrogate)';
  return null;
}

/**
 * The first string in a parsed JSON value (or a query or params object) that breaks the text
 * rule, as an error naming its field (`name`, `boost.content`, `resume.<key>`; `root` for a bare
 * string), or null. Object keys count as text too. Walked with an explicit stack: a deeply nested
 * body must not overflow the call stack (a 500) on its way to being refused.
 */
export function illFormedTextError(value: unknown, root = 'body'): HearthError | null {
  const pending: Entry[] = [{ value, path: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const refusal = refusalAt(next, root, pending);
    if (refusal !== null) return refusal;
  }
  return null;
}

interface Entry {
  readonly value: unknown;
  readonly path: string;
}

/** The refusal of one string, or of an object's property names; an object's values go onto `pending`. */
function refusalAt(entry: Entry, root: string, pending: Entry[]): HearthError | null {
  const field = entry.path === '' ? root : entry.path;
  if (typeof entry.value === 'string') {
    const problem = textProblem(entry.value);
    return problem === null ? null : invalid(field, `${field} ${problem}`);
  }
  if (typeof entry.value !== 'object' || entry.value === null) return null;
  for (const [key, child] of Object.entries(entry.value)) {
    const problem = textProblem(key);
    if (problem !== null) return invalid(field, `${field}: a property name ${problem}`);
    pending.push({ value: child, path: entry.path === '' ? key : `${entry.path}.${key}` });
  }
  return null;
}
