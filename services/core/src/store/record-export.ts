import type { Conn } from './sql-conn.ts';
import type { Dialect } from './sql-dialect.ts';
import { RECORD_FORMAT, RECORD_TABLES, RECORD_VERSION, neutralRow, type RecordTable } from './record-stream.ts';
import { SummaryBuilder, type RecordSummary } from './record-summary.ts';

export interface ExportOptions {
  /** Called after each page of rows with the rows written so far and the rows there are. */
  readonly onProgress?: (rows: number, total: number) => void;
}

export interface ExportResult {
  readonly rows: number;
  readonly summary: RecordSummary;
}

const PAGE_ROWS = 1_000;

/** Writes every record on `sql`, which should be one consistent snapshot (a transaction), to `write`, line by line. */
export async function exportRecords(sql: Conn, write: (line: string) => Promise<void> | void, options: ExportOptions = {}): Promise<ExportResult> {
  const total = await countRows(sql);
  await write(JSON.stringify({ format: RECORD_FORMAT, version: RECORD_VERSION, rows: total }));
  const summary = new SummaryBuilder();
  let rows = 0;
  for (const table of RECORD_TABLES) {
    const query = selectSql(sql.dialect, table);
    for (let offset = 0; ; offset += PAGE_ROWS) {
      const page = await sql.rows<Record<string, unknown>>(query, PAGE_ROWS, offset);
      for (const stored of page) {
        const row = neutralRow(table, stored);
        const line = JSON.stringify({ table: table.name, row });
        summary.add(table.name, line, row);
        await write(line);
      }
      rows += page.length;
      options.onProgress?.(rows, total);
      if (page.length < PAGE_ROWS) break;
    }
  }
  const result = { rows, summary: summary.result(RECORD_TABLES.map((table) => table.name)) };
  await write(JSON.stringify({ end: result }));
  return result;
}

async function countRows(sql: Conn): Promise<number> {
  let total = 0;
  for (const table of RECORD_TABLES) {
    const row = await sql.row<{ n: number | string }>(`SELECT count(*) AS n FROM ${table.name} o WHERE ${whereOf(sql.dialect, table)}`);
    total += Number(row?.n ?? 0);
  }
  return total;
}

function whereOf(dialect: Dialect, table: RecordTable): string {
  return table.where?.(dialect) ?? 'true';
}

function selectSql(dialect: Dialect, table: RecordTable): string {
  return `SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name} o WHERE ${whereOf(dialect, table)} ORDER BY ${table.orderBy(dialect)} LIMIT ? OFFSET ?`;
}
