import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { HearthError } from '../errors.ts';
import { blobsOfLines, isBlobLine } from './archive-blobs.ts';
import { ARCHIVE_FORMAT, READABLE_ARCHIVE_VERSIONS, type ArchiveHeader, type ArchiveManifest } from './archive-format.ts';

/*
 * Reading an archive (archive-format.ts) takes two passes. `checkArchive` reads it whole and
 * checks it against its manifest, so that a cut-off or altered archive is refused before a single
 * row reaches the store; `archiveRecordLines` then gives the record stream inside it to an import.
 */

export interface CheckedArchive {
  readonly header: ArchiveHeader;
  readonly manifest: ArchiveManifest;
}

/** Reads the whole archive; throws, saying what is wrong, unless it is whole and matches its manifest. */
export async function checkArchive(source: Readable): Promise<CheckedArchive> {
  const hash = createHash('sha256');
  let header: ArchiveHeader | undefined;
  let manifest: ArchiveManifest | undefined;
  for await (const line of linesOf(source)) {
    if (manifest !== undefined) throw notAnArchive('it goes on after its manifest');
    if (header === undefined) header = headerOf(line);
    else if (line.startsWith('{"manifest":')) manifest = manifestOf(line);
    if (manifest === undefined) hash.update(line).update('\n');
  }
  if (header === undefined) throw notAnArchive('it is empty');
  if (manifest === undefined) throw notAnArchive('it ends without its manifest: it was cut off');
  if (manifest.sha256 !== hash.digest('hex')) throw notAnArchive('its content does not match its manifest: it was altered or damaged');
  return { header, manifest };
}

/** The record stream inside an archive that checkArchive has accepted: every line between its header and its files (or manifest). */
export async function* archiveRecordLines(source: Readable): AsyncGenerator<string> {
  let first = true;
  for await (const line of linesOf(source)) {
    if (first) first = false;
    else if (line.startsWith('{"manifest":') || isBlobLine(line)) return;
    else yield line;
  }
}

/** The files' blobs inside an archive that checkArchive has accepted. */
export function archiveBlobs(source: Readable): AsyncGenerator<{ key: string; bytes: Uint8Array }> {
  return blobsOfLines(linesOf(source));
}

/** The lines of a gzip file; a damaged or cut-off gzip is an error saying so. */
async function* linesOf(source: Readable): AsyncGenerator<string> {
  const gunzip = createGunzip();
  // pipeline passes a failing source's error on to gunzip, and so to the lines read from it.
  const flowing = pipeline(source, gunzip).catch(() => undefined);
  try {
    yield* createInterface({ input: gunzip, crlfDelay: Infinity });
  } catch (error) {
    throw isZlibError(error) ? notAnArchive(gzipReason(error)) : error;
  } finally {
    source.destroy();
    await flowing;
  }
}

function isZlibError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('Z_');
}

function gzipReason(error: Error & { code: string }): string {
  if (error.code === 'Z_BUF_ERROR') return 'its compressed data ends early: it was cut off';
  if (error.code === 'Z_DATA_ERROR') return 'it is not gzip data, or its compressed data is damaged';
  return `its compressed data cannot be read (${error.message})`;
}

function headerOf(line: string): ArchiveHeader {
  const header = objectOf(line)?.['archive'];
  if (!isObject(header) || header['format'] !== ARCHIVE_FORMAT) throw notAnArchive(`it does not start with {"archive":{"format":"${ARCHIVE_FORMAT}",…}}`);
  if (typeof header['version'] !== 'number' || !READABLE_ARCHIVE_VERSIONS.includes(header['version'])) {
    throw notAnArchive(`its version is ${String(header['version'])}; this Hearth reads versions ${READABLE_ARCHIVE_VERSIONS.join(' and ')}`);
  }
  return header as unknown as ArchiveHeader;
}

function manifestOf(line: string): ArchiveManifest {
  const manifest = objectOf(line)?.['manifest'];
  if (!isObject(manifest) || typeof manifest['sha256'] !== 'string' || !isObject(manifest['tables'])) throw notAnArchive('its manifest is malformed');
  return manifest as unknown as ArchiveManifest;
}

function objectOf(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notAnArchive(reason: string): HearthError {
  return new HearthError('invalid_request', `not a Hearth archive: ${reason}`);
}
