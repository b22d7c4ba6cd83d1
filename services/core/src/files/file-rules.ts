import { characterCount, refuseIllFormedText } from '../domain/rules.ts';
import { HearthError, invalid } from '../errors.ts';

/*
 * What Hearth decides about an uploaded file, before and after its bytes are kept: pure, so the
 * gateway's route is only I/O. A file is judged by its bytes (image-kind.ts), never by the name
 * or the type the browser declared, and served so that no browser runs it: an image it can read
 * inline with its sniffed type, anything else as an attachment of a type no browser renders.
 */

export const FILE_NAME_MAX_CHARS = 255;
export const ALT_TEXT_MAX_CHARS = 1_000;

/** Types a browser shows inline as a picture and never runs: what image-kind.ts recognises. */
export const INLINE_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/**
 * Declared types served as they are, as attachments: none of them is rendered as a document with
 * scripts by a browser. Anything else (HTML, SVG, XML, JavaScript, unknown) is served as
 * application/octet-stream, so that only a download can come of it.
 */
const PASSIVE_TYPES = new Set([
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/json',
  'text/plain',
  'text/csv',
  'text/markdown',
  'audio/mpeg',
  'audio/ogg',
  'audio/wav',
  'video/mp4',
  'video/webm',
  'application/msword',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
]);

/** The declared type's `type/subtype`, lower-cased, without parameters; octet-stream when it is not one. */
export function mediaTypeOf(declared: string | undefined): string {
  const essence = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(essence) ? essence : 'application/octet-stream';
}

/**
 * The name a file is kept and downloaded under: the last segment of whatever path the client
 * sent (a Windows browser may send `C:\…`), trimmed, with control characters refused.
 */
export function normaliseFileName(raw: string): string {
  refuseIllFormedText('name', raw);
  const base = raw.split(/[/\\]/).pop()?.trim() ?? '';
  if (base === '' || base === '.' || base === '..') throw invalid('name', 'name must be a file name (it was empty)');
  if (/\p{Cc}/u.test(base)) throw invalid('name', 'name must not hold control characters');
  if (characterCount(base) > FILE_NAME_MAX_CHARS) throw invalid('name', `name is longer than ${FILE_NAME_MAX_CHARS} characters`);
  return base;
}

/** Alt text as kept: trimmed, null when empty. */
export function normaliseAltText(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  refuseIllFormedText('alt', raw);
  const trimmed = raw.trim();
  if (characterCount(trimmed) > ALT_TEXT_MAX_CHARS) throw invalid('alt', `alt is longer than ${ALT_TEXT_MAX_CHARS} characters`);
  return trimmed === '' ? null : trimmed;
}

/** Whether `type` matches one of the patterns (`image/png`, `image/*`, `*\/*`). */
export function typeAllowed(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => pattern === '*/*' || pattern === type || (pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1))));
}

/** Refuses a file over the size limit or of a type the configuration does not allow, naming which. */
export function refuseUnwantedFile(file: { readonly size: number; readonly type: string }, limits: FileLimits): void {
  if (file.size === 0) throw invalid('file', 'the file is empty');
  if (file.size > limits.maxBytes) throw fileTooLarge(file.size, limits.maxBytes);
  if (!typeAllowed(file.type, limits.allowedTypes)) {
    throw new HearthError('unsupported_media_type', `files of type ${file.type} are not accepted here; accepted: ${limits.allowedTypes.join(', ')}`, {
      field: 'file',
    });
  }
}

export function fileTooLarge(size: number, maxBytes: number): HearthError {
  return new HearthError('payload_too_large', `the file is ${describeBytes(size)}; the limit is ${describeBytes(maxBytes)}`, { field: 'file' });
}

export interface FileLimits {
  readonly maxBytes: number;
  /** Type patterns (`image/*`, `application/pdf`, `*\/*`). */
  readonly allowedTypes: readonly string[];
}

/** The type a file is kept and served as: the sniffed image type, or the declared type when passive, else octet-stream. */
export function servedType(declared: string, sniffedImage: string | null): string {
  if (sniffedImage !== null) return sniffedImage;
  return PASSIVE_TYPES.has(declared) ? declared : 'application/octet-stream';
}

/** Whether the type is shown in the page rather than downloaded. */
export function servedInline(type: string): boolean {
  return (INLINE_IMAGE_TYPES as readonly string[]).includes(type);
}

/**
 * A Content-Disposition header naming the file (RFC 6266): an ASCII fallback in `filename` and
 * the exact name, UTF-8 and percent-encoded, in `filename*` (RFC 8187).
 */
export function contentDisposition(name: string, inline: boolean): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${inline ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export function describeBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
}
