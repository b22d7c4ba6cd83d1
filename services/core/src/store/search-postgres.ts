import { messageColumns } from './rows.ts';
import { TERM, isUnsegmented, queryTerms } from './search-terms.ts';
import type { SearchDialect, SearchStatement } from './sql-dialect.ts';

/*
 * Search works on lexemes the store writes beside each message body (messages.search, a
 * tsvector with a GIN index), following the SQLite store's rules:
 * - a term starts with a letter or digit and runs over letters, digits and combining marks;
 *   case and accents are folded, on both sides;
 * - a term in a script written without spaces (CJK, Thai…) is a substring to find; any other
 *   term is a word prefix to find.
 * Words are stored as they are. Runs of unsegmented text are stored as overlapping trigrams
 * marked with GRAM_MARK (so no word prefix can match one), each at its position in the run:
 * a needle of up to three characters is a prefix of the trigram where it starts, and a longer
 * one is a phrase of consecutive trigrams (`<->`), which matches exactly the runs that
 * contain it. The query is a tsquery literal of quoted lexemes, so what a person types is
 * never parsed as tsquery syntax.
 */

/** Words are cut to this many characters in the index and in queries alike; a lexeme may have at most 2 KB. */
const MAX_WORD_CHARS = 100;
/** Needles longer than this are cut: a phrase of a hundred trigrams is already as selective as it gets. */
const MAX_NEEDLE_CHARS = 100;
const GRAM = 3;
const GRAM_MARK = '~';
/** tsvector positions stop at 16383: past that point of a message, a needle longer than three characters matches loosely. */
const MAX_POSITION = 16_383;
/** tsvector keeps at most 256 positions per lexeme. */
const MAX_POSITIONS = 256;
/** A tsvector may not exceed 1 MB; text past this many lexeme bytes is not indexed (bodies are far shorter by default). */
const MAX_VECTOR_BYTES = 512 * 1024;

/** Combining diacritical marks: what unicode61's remove_diacritics takes off Latin, Greek and Cyrillic letters. */
const DIACRITICS = /[\u0300-\u036f]/g;

/** Lower case, without accents, in NFC: how both the index and a query see a term. */
function foldTerm(term: string): string {
  return term.normalize('NFD').replace(DIACRITICS, '').normalize('NFC').toLowerCase();
}

function cut(term: string, chars: number): string {
  const all = [...term];
  return all.length <= chars ? term : all.slice(0, chars).join('');
}

function lexemeLiteral(lexeme: string): string {
  return `'${lexeme.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/** The tsvector literal of a message body's search lexemes. */
export function buildSearchVector(body: string): string {
  const lexemes = new Map<string, number[]>();
  let position = 1;
  for (const [match] of body.normalize('NFC').matchAll(TERM)) {
    const term = foldTerm(match);
    if (!isUnsegmented(term)) {
      lexemes.set(cut(term, MAX_WORD_CHARS), []);
      continue;
    }
    const chars = [...term];
    for (let i = 0; i < chars.length; i++) {
      const gram = GRAM_MARK + chars.slice(i, i + GRAM).join('');
      const positions = lexemes.get(gram) ?? [];
      if (positions.length < MAX_POSITIONS && position <= MAX_POSITION) positions.push(position);
      lexemes.set(gram, positions);
      position++;
    }
    position++; // a gap, so the trigrams of two runs are never consecutive
  }
  return serialiseVector(lexemes);
}

function serialiseVector(lexemes: ReadonlyMap<string, readonly number[]>): string {
  const parts: string[] = [];
  let bytes = 0;
  for (const [lexeme, positions] of lexemes) {
    const part = positions.length === 0 ? lexemeLiteral(lexeme) : `${lexemeLiteral(lexeme)}:${positions.join(',')}`;
    bytes += Buffer.byteLength(part);
    if (bytes > MAX_VECTOR_BYTES) break;
    parts.push(part);
  }
  return parts.join(' ');
}

/**
 * Turns what a person typed into a tsquery literal that cannot fail to parse: every term a
 * quoted lexeme, words as prefixes, needles as trigram prefixes or phrases, all ANDed.
 * Null when nothing searchable is left.
 */
export function buildSearchQuery(query: string): string | null {
  const terms = queryTerms(query, foldTerm);
  if (terms.length === 0) return null;
  return terms.map((term) => (isUnsegmented(term) ? needleQuery(term) : `${lexemeLiteral(cut(term, MAX_WORD_CHARS))}:*`)).join(' & ');
}

function needleQuery(needle: string): string {
  const chars = [...needle].slice(0, MAX_NEEDLE_CHARS);
  if (chars.length <= GRAM) return `${lexemeLiteral(GRAM_MARK + chars.join(''))}:*`;
  const grams = Array.from({ length: chars.length - GRAM + 1 }, (_, i) => lexemeLiteral(GRAM_MARK + chars.slice(i, i + GRAM).join('')));
  return `(${grams.join(' <-> ')})`;
}

function searchStatement(userId: string, query: string, limit: number): SearchStatement | null {
  const tsquery = buildSearchQuery(query);
  if (tsquery === null) return null;
  const sql = `SELECT ${messageColumns('m')}, r.name AS room_name FROM messages m
    JOIN memberships mb ON mb.room_id = m.room_id AND mb.user_id = ?
    JOIN rooms r ON r.id = m.room_id
    WHERE m.search @@ ?::tsquery AND m.deleted_at IS NULL
    ORDER BY m.created_at DESC, m.pk DESC LIMIT ?`;
  return { sql, params: [userId, tsquery, limit] };
}

export const postgresSearch: SearchDialect = { vectorColumn: 'search', buildVector: buildSearchVector, buildSearch: searchStatement };
