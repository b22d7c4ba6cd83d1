import { createHash } from 'node:crypto';
import { HearthError, invalid } from '../errors.ts';
import { describeBytes } from './file-rules.ts';
import { sniffImage, type ImageKind } from './image-kind.ts';
import { needsThumbnail, thumbnailOptions } from './thumbnail.ts';

/*
 * What Hearth decides about a person's uploaded picture, before and after it is made small: pure,
 * so the gateway's route (routes/avatars.ts) is only I/O. Like a file, a picture is judged by its
 * bytes alone; unlike a file, only its small version is kept, so every one shown is a few kilobytes.
 */

/** The largest upload taken: a phone's photo. */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;
/** The picture kept fits a square of this many pixels a side. */
export const AVATAR_EDGE = 256;
/**
 * A GIF or WebP is kept as it is, up to this size: the thumbnailer makes nothing of them (an
 * animation would lose its frames), so a larger one would be served whole on every avatar.
 */
export const AVATAR_UNSHRUNK_MAX_BYTES = 512 * 1024;
/** A PNG or JPEG within the edge and this size is kept as it is: making it smaller would not. */
const AVATAR_SMALL_BYTES = 256 * 1024;

/** An uploaded picture judged: what it is, and whether the thumbnailer makes it smaller before it is kept. */
export interface AvatarPlan {
  readonly kind: ImageKind;
  readonly shrink: boolean;
}

/** Judges an upload by its bytes: refused (naming `avatar`), or how to keep it. */
export function planAvatar(bytes: Uint8Array): AvatarPlan {
  if (bytes.length === 0) throw invalid('avatar', 'the picture is empty');
  if (bytes.length > AVATAR_MAX_BYTES) throw avatarTooLarge(bytes.length);
  const kind = sniffImage(bytes);
  if (kind === null) throw unsupportedAvatar('a picture must be a PNG, JPEG, GIF or WebP image');
  if (kind.type === 'image/gif' || kind.type === 'image/webp') {
    if (bytes.length <= AVATAR_UNSHRUNK_MAX_BYTES) return { kind, shrink: false };
    throw unsupportedAvatar(
      `a GIF or WebP picture is kept as it is, so it may be at most ${describeBytes(AVATAR_UNSHRUNK_MAX_BYTES)} (this one is ${describeBytes(bytes.length)}); use a PNG or JPEG, which Hearth makes small itself`,
    );
  }
  if (Math.max(kind.width, kind.height) <= AVATAR_EDGE && bytes.length <= AVATAR_SMALL_BYTES) return { kind, shrink: false };
  if (needsThumbnail(bytes, kind, { maxEdge: AVATAR_EDGE })) return { kind, shrink: true };
  // A PNG or JPEG the thumbnailer will not decode: more pixels than it may.
  const { maxPixels } = thumbnailOptions({});
  throw new HearthError('payload_too_large', `the picture is ${kind.width}×${kind.height} pixels; the limit is ${maxPixels.toLocaleString('en')} pixels`, {
    field: 'avatar',
  });
}

/** A picture over AVATAR_MAX_BYTES (also the route's refusal of a declared body over it). */
export function avatarTooLarge(size: number): HearthError {
  return new HearthError('payload_too_large', `the picture is ${describeBytes(size)}; the limit is ${describeBytes(AVATAR_MAX_BYTES)}`, { field: 'avatar' });
}

/** The thumbnailer made nothing of a PNG or JPEG it should have: its pixels do not decode (or it could not take it in time). */
export function avatarNotShrunk(): HearthError {
  return unsupportedAvatar('Hearth could not read this picture to make it small (it may be damaged); try another PNG or JPEG');
}

function unsupportedAvatar(message: string): HearthError {
  return new HearthError('unsupported_media_type', message, { field: 'avatar' });
}

/** The version a picture is kept under (User.avatar): a short hash of its bytes, so the same picture has the same version. */
export function avatarVersionOf(bytes: Uint8Array): string {
  // Hex: a version is part of the picture's blob key, which takes lower-case letters and digits.
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

const AVATAR_VERSION = /^[A-Za-z0-9_-]{1,64}$/;

/** Refuses what is not a picture's version (avatarVersionOf makes them) before it reaches a User, or null for none. */
export function avatarVersionRefusal(avatar: string | null): HearthError | null {
  if (avatar === null || AVATAR_VERSION.test(avatar)) return null;
  return invalid('avatar', 'avatar must be the version of a kept picture (letters, digits, - and _), or null');
}
