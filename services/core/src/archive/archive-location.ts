import { HearthError } from '../errors.ts';

/** Where `hearth backup` writes its archives: a directory (a mounted volume), or a prefix in an S3 bucket. */
export type ArchiveDestination =
  { readonly type: 'directory'; readonly dir: string } | { readonly type: 's3'; readonly bucket: string; readonly prefix: string };

/** Which archive `hearth restore` reads: a file, or an object in an S3 bucket. */
export type ArchiveSource = { readonly type: 'file'; readonly path: string } | { readonly type: 's3'; readonly bucket: string; readonly key: string };

/** `s3://bucket/prefix` (the prefix may be empty), else a directory path. */
export function parseArchiveDestination(text: string): ArchiveDestination {
  if (!text.startsWith('s3://')) return { type: 'directory', dir: text };
  const { bucket, path } = splitS3Url(text);
  return { type: 's3', bucket, prefix: path.replace(/\/+$/, '') };
}

/** `s3://bucket/key`, else a file path. */
export function parseArchiveSource(text: string): ArchiveSource {
  if (!text.startsWith('s3://')) return { type: 'file', path: text };
  const { bucket, path } = splitS3Url(text);
  if (path === '' || path.endsWith('/')) throw new HearthError('invalid_request', `${text} names no archive: give s3://bucket/path/to/hearth-….ndjson.gz`);
  return { type: 's3', bucket, key: path };
}

/** The object key of `name` under a prefix. */
export function keyOf(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}

export function describeDestination(destination: ArchiveDestination): string {
  return destination.type === 'directory' ? destination.dir : `s3://${destination.bucket}/${destination.prefix}`;
}

/** A bucket name as S3 allows it (3–63 lower-case letters, digits, dots and hyphens). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function splitS3Url(text: string): { bucket: string; path: string } {
  const rest = text.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw new HearthError('invalid_request', `${text} has no valid bucket name: give s3://bucket/prefix`);
  return { bucket, path: slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+/, '') };
}
