import type { MessageFile } from './api-types.ts';

/**
 * How a message's file is shown: where its bytes, thumbnail and download are served
 * (protocol: `GET /api/messages/{id}/file`), its size in words, and the box its thumbnail
 * takes on screen. Pure, so the components only lay these out.
 */

/** The box a thumbnail is shown in, in CSS pixels; the server's thumbnails are at most 480 on a side. */
export const THUMBNAIL_BOX = { width: 400, height: 300 } as const;

/** Types the server serves inline as pictures (and makes thumbnails of); others are downloads only. */
const SHOWN_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

const enc = encodeURIComponent;

export function fileUrl(messageId: string): string {
  return `/api/messages/${enc(messageId)}/file`;
}

export function thumbnailUrl(messageId: string): string {
  return `${fileUrl(messageId)}/thumbnail`;
}

/** Served as an attachment under its original name, whatever its type. */
export function downloadUrl(messageId: string): string {
  return `${fileUrl(messageId)}?download=1`;
}

/** Whether a file of this type is shown as a picture: by the browser's word before upload, by the server's after. */
export function isShownImage(type: string): boolean {
  return SHOWN_IMAGE_TYPES.has(type.toLowerCase());
}

/** The words an image is shown with: its alt text, else its name. */
export function imageText(file: Pick<MessageFile, 'alt' | 'name'>): string {
  return file.alt ?? file.name;
}

/** A size as people read it, in the units the server's refusals use (bytes, KiB, MiB). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${trimmed(bytes / 1024)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${trimmed(bytes / (1024 * 1024))} MiB`;
  return `${trimmed(bytes / (1024 * 1024 * 1024))} GiB`;
}

function trimmed(value: number): string {
  return value.toFixed(1).replace(/\.0$/, '');
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

/** The size that fits `box` with the same shape, never larger than the image itself; at least 1 px a side. */
export function fitWithin(image: Size, box: Size = THUMBNAIL_BOX): Size {
  const scale = Math.min(1, box.width / image.width, box.height / image.height);
  return { width: Math.max(1, Math.round(image.width * scale)), height: Math.max(1, Math.round(image.height * scale)) };
}
