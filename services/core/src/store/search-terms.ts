/**
 * What counts as a search term, for both stores, so the same query finds the same
 * messages on SQLite and PostgreSQL: a term starts with a letter or digit and runs over
 * letters, digits and combining marks (like SQLite's unicode61 tokens).
 */
export const TERM = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

/** More words than this in a search box is noise; it only makes the query slower. */
export const MAX_SEARCH_TERMS = 16;

/** Scripts written without spaces between words, where a "word" is really a substring to find. */
const UNSEGMENTED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export function isUnsegmented(term: string): boolean {
  return UNSEGMENTED.test(term);
}

/** The distinct terms of what a person typed, after `fold`, at most MAX_SEARCH_TERMS of them. */
export function queryTerms(query: string, fold: (term: string) => string): string[] {
  return [...new Set((query.normalize('NFC').match(TERM) ?? []).map(fold))].slice(0, MAX_SEARCH_TERMS);
}
