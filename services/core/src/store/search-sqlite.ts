import { messageColumns } from './rows.ts';
import { isUnsegmented, queryTerms } from './search-terms.ts';
import type { Param, SearchDialect, SearchStatement } from './sql-dialect.ts';

/**
 * How one search box query runs against the two indexes (see sqlite-migrations.ts).
 * `words` and `substrings` are FTS5 query strings; `shortNeedles` are 1–2 character
 * terms in unsegmented scripts, which no trigram can find, matched with instr().
 */
export interface SearchPlan {
  readonly words: string | null;
  readonly substrings: string | null;
  readonly shortNeedles: readonly string[];
}

/**
 * Turns what a person typed into FTS5 queries that cannot fail to parse: every term is
 * a quoted string (so AND, NEAR, quotes, brackets and stars are plain text), terms are
 * ANDed, and word terms also match as prefixes. Null when nothing searchable is left.
 */
export function buildSearchPlan(query: string): SearchPlan | null {
  // Lower-cased only to drop repeats: both indexes fold case themselves.
  const terms = queryTerms(query, (term) => term.toLowerCase());
  if (terms.length === 0) return null;
  const words = terms.filter((term) => !isUnsegmented(term));
  const unsegmented = terms.filter(isUnsegmented);
  const long = unsegmented.filter((term) => [...term].length >= 3);
  return {
    words: words.length === 0 ? null : words.map((term) => `${ftsString(term)}*`).join(' AND '),
    substrings: long.length === 0 ? null : long.map(ftsString).join(' AND '),
    shortNeedles: unsegmented.filter((term) => [...term].length < 3),
  };
}

function ftsString(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

function searchSql(plan: SearchPlan): string {
  const sources: string[] = [];
  if (plan.words !== null) sources.push('SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?');
  if (plan.substrings !== null) sources.push('SELECT rowid FROM messages_trigram WHERE messages_trigram MATCH ?');
  // Start from the index matches (CROSS JOIN fixes the order): the planner otherwise tends to
  // walk every message of the member's rooms. Only short needles alone need that walk.
  const from = sources.length === 0 ? 'messages m' : `(${sources.join(' INTERSECT ')}) AS hit CROSS JOIN messages m ON m.pk = hit.rowid`;
  const needles = plan.shortNeedles.length === 0 ? '' : 'AND NOT EXISTS (SELECT 1 FROM json_each(?) WHERE instr(m.body, value) = 0)';
  return `SELECT ${messageColumns('m')}, r.name AS room_name FROM ${from}
    JOIN memberships mb ON mb.room_id = m.room_id AND mb.user_id = ?
    JOIN rooms r ON r.id = m.room_id
    WHERE m.deleted_at IS NULL ${needles}
    ORDER BY m.created_at DESC, m.pk DESC LIMIT ?`;
}

/** In the order searchSql's placeholders appear. */
function searchParams(plan: SearchPlan, userId: string, limit: number): Param[] {
  const params: Param[] = [];
  if (plan.words !== null) params.push(plan.words);
  if (plan.substrings !== null) params.push(plan.substrings);
  params.push(userId);
  if (plan.shortNeedles.length > 0) params.push(JSON.stringify(plan.shortNeedles));
  params.push(limit);
  return params;
}

function searchStatement(userId: string, query: string, limit: number): SearchStatement | null {
  const plan = buildSearchPlan(query);
  return plan === null ? null : { sql: searchSql(plan), params: searchParams(plan, userId, limit) };
}

/** The FTS5 indexes follow messages.body through triggers (sqlite-migrations.ts): the store writes no lexemes. */
export const sqliteSearch: SearchDialect = { vectorColumn: null, buildVector: () => '', buildSearch: searchStatement };
