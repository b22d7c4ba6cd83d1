import { createHash, type Hash } from 'node:crypto';

/**
 * What a record stream holds, in a form two stores can be compared by: the rows and a SHA-256
 * of the lines of each table, and the last sequence of each room. Both dialects write the same
 * line for the same record (record-stream.ts), so a store exported after an import has the same
 * summary as the stream it was loaded from, whichever dialects the two are.
 */
export interface RecordSummary {
  readonly tables: Readonly<Record<string, TableSummary>>;
  /** Room id → the room's last sequence (rooms.last_seq). */
  readonly lastSeq: Readonly<Record<string, number>>;
}

export interface TableSummary {
  readonly rows: number;
  /** Hex SHA-256 over the table's lines in stream order, each followed by "\n". */
  readonly sha256: string;
}

/** Builds a summary from the lines of a stream as they pass, in stream order. */
export class SummaryBuilder {
  readonly #tables = new Map<string, { rows: number; hash: Hash }>();
  readonly #lastSeq: Record<string, number> = {};

  add(table: string, line: string, row: Readonly<Record<string, unknown>>): void {
    let entry = this.#tables.get(table);
    if (entry === undefined) {
      entry = { rows: 0, hash: createHash('sha256') };
      this.#tables.set(table, entry);
    }
    entry.rows++;
    entry.hash.update(line).update('\n');
    if (table === 'rooms' && typeof row['id'] === 'string' && typeof row['last_seq'] === 'number') this.#lastSeq[row['id']] = row['last_seq'];
  }

  /** The summary of what was added; `tableNames` lists tables to report even when they had no row. */
  result(tableNames: readonly string[]): RecordSummary {
    const tables: Record<string, TableSummary> = {};
    for (const name of tableNames) {
      const entry = this.#tables.get(name);
      tables[name] = { rows: entry?.rows ?? 0, sha256: (entry?.hash ?? createHash('sha256')).copy().digest('hex') };
    }
    return { tables, lastSeq: { ...this.#lastSeq } };
  }
}

/** Each way `actual` differs from `expected`, in words; empty when they are the same. */
export function summaryDifferences(expected: RecordSummary, actual: RecordSummary): string[] {
  const tables = unionOfKeys(expected.tables, actual.tables).flatMap((name) => tableDifference(name, expected.tables[name], actual.tables[name]) ?? []);
  const rooms = unionOfKeys(expected.lastSeq, actual.lastSeq).flatMap((roomId) => {
    const want = expected.lastSeq[roomId];
    const got = actual.lastSeq[roomId];
    return want === got ? [] : [`room ${roomId}: last sequence ${got ?? 'missing'}, expected ${want ?? 'none'}`];
  });
  return [...tables, ...rooms];
}

function tableDifference(name: string, want: TableSummary | undefined, got: TableSummary | undefined): string | undefined {
  if (want === undefined || got === undefined) return `${name}: in ${want === undefined ? 'the target only' : 'the source only'}`;
  if (want.rows !== got.rows) return `${name}: ${got.rows} rows, expected ${want.rows}`;
  if (want.sha256 !== got.sha256) return `${name}: the same ${got.rows} rows, but their content differs`;
  return undefined;
}

function unionOfKeys(a: object, b: object): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}
