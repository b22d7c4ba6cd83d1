import type { RecordSummary, TableSummary } from '../store/record-summary.ts';
import type { EncryptedSecrets } from './archive-secrets.ts';

/*
 * A Hearth archive (`hearth backup`): one gzip file of NDJSON lines, so that it is written and
 * read as a stream, like the record stream it wraps:
 *   {"archive":{"format":"hearth-archive","version":1,"createdAt":"…","hearthVersion":"…","spec":{…}|null,"secrets":[…]}}
 *   {"format":"hearth-records","version":1,"rows":123}       ← the store's record stream (record-stream.ts),
 *   {"table":"users","row":{…}}                                 its header, rows and end line, unchanged
 *   {"end":{…}}
 *   {"blob":{"key":"files/…","part":0,"parts":2,"data":"<base64>"}}  ← files' bytes (version 2), each
 *   {"blob":{"key":"files/…","part":1,"parts":2,"data":"<base64>"}}    in parts of at most 1 MiB
 *   {"manifest":{"format":"hearth-archive","version":1,"createdAt":"…","hearthVersion":"…","rows":123,"tables":{…},"lastSeq":{…},"sha256":"…"}}
 * The manifest comes last because its counts and checksums are known only once the export is
 * done; its sha256 covers every line before it (each followed by "\n"), so a cut-off or altered
 * archive is refused before anything is restored from it. The spec is the Hearth resource's
 * spec when the operator passes it; `secrets` names the Secrets (and their keys) it refers
 * to, never their values. Only `hearth backup --include-secrets` adds `encryptedSecrets` to the
 * header: Secrets' values encrypted under the operator's key (archive-secrets.ts).
 */

export const ARCHIVE_FORMAT = 'hearth-archive';
/** Version 2 added the files' bytes after the records; a version 1 archive (none) is still read. */
export const ARCHIVE_VERSION = 2;
export const READABLE_ARCHIVE_VERSIONS: readonly number[] = [1, 2];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A Secret the archived Hearth needs, by name, with the keys it reads when they are known. */
export interface SecretReference {
  readonly name: string;
  readonly keys: readonly string[];
}

export interface ArchiveHeader {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  readonly hearthVersion: string;
  readonly spec: JsonValue;
  readonly secrets: readonly SecretReference[];
  /** Secrets' values, encrypted; absent unless the backup was asked to include them. */
  readonly encryptedSecrets?: EncryptedSecrets;
}

export interface ArchiveManifest {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: number;
  readonly createdAt: string;
  readonly hearthVersion: string;
  readonly rows: number;
  /** The files' blobs in the archive (absent in version 1: none). */
  readonly files?: BlobsSummary;
  readonly tables: Readonly<Record<string, TableSummary>>;
  readonly lastSeq: Readonly<Record<string, number>>;
  /** Hex SHA-256 of every line before the manifest, each followed by "\n". */
  readonly sha256: string;
}

export function buildArchiveHeader(createdAt: Date, hearthVersion: string, spec: JsonValue): ArchiveHeader {
  return { format: ARCHIVE_FORMAT, version: ARCHIVE_VERSION, createdAt: createdAt.toISOString(), hearthVersion, spec, secrets: secretReferencesOf(spec) };
}

export interface BlobsSummary {
  readonly count: number;
  readonly bytes: number;
}

/** The manifest of an archive whose records (their count and summary) and files were written, with the SHA-256 of its lines. */
export function buildManifest(
  header: ArchiveHeader,
  records: { readonly rows: number; readonly summary: RecordSummary },
  files: BlobsSummary,
  sha256: string,
): ArchiveManifest {
  const { format, version, createdAt, hearthVersion } = header;
  const { rows, summary } = records;
  return { format, version, createdAt, hearthVersion, rows, files, tables: summary.tables, lastSeq: summary.lastSeq, sha256 };
}

/**
 * The Secrets a Hearth spec refers to: a `…SecretRef`/`secretRef` object's name (with its `key`,
 * when it names one) and a `…SecretName` string, wherever they sit in the spec. Read from the
 * spec's shape rather than a list of its fields, so that a field added later is not forgotten.
 */
export function secretReferencesOf(spec: JsonValue): SecretReference[] {
  const keysByName = new Map<string, Set<string>>();
  const add = (name: string, key?: unknown): void => {
    const keys = keysByName.get(name) ?? new Set<string>();
    if (typeof key === 'string') keys.add(key);
    keysByName.set(name, keys);
  };
  visit(spec, (property, value) => {
    if (/secretref$/i.test(property) && isObject(value) && typeof value['name'] === 'string') add(value['name'], value['key']);
    if (/secretname$/i.test(property) && typeof value === 'string') add(value);
  });
  return [...keysByName].sort(([a], [b]) => a.localeCompare(b)).map(([name, keys]) => ({ name, keys: [...keys].sort() }));
}

function visit(value: JsonValue, see: (property: string, value: JsonValue) => void): void {
  if (Array.isArray(value)) for (const item of value) visit(item, see);
  if (!isObject(value)) return;
  for (const [property, child] of Object.entries(value)) {
    see(property, child);
    visit(child, see);
  }
}

function isObject(value: JsonValue): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `hearth-20261205T012400.123Z.ndjson.gz`: sorting the names sorts the archives by age. */
const NAME = /^hearth-\d{8}T\d{6}\.\d{3}Z\.ndjson\.gz$/;

export function archiveName(createdAt: Date): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '');
  return `hearth-${stamp}.ndjson.gz`;
}

/** Whether `name` is one `hearth backup` wrote; retention touches no other file. */
export function isArchiveName(name: string): boolean {
  return NAME.test(name);
}

/** The archives to delete so that only the newest `retention` remain, oldest first. */
export function archivesBeyondRetention(names: readonly string[], retention: number): string[] {
  const archives = names.filter(isArchiveName).sort();
  return archives.slice(0, Math.max(0, archives.length - retention));
}
