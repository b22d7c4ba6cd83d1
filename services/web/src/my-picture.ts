import { ApiError, csrfHeaders, readAnswer } from './api.ts';
import type { User } from './api-types.ts';

/**
 * The person's own picture: `PUT /api/users/me/avatar` with the image's bytes as the body, and
 * `DELETE` to go back to initials (protocol §3). The server makes it small and answers the user
 * with the picture's new version; everyone else hears of it by a `user.updated` frame.
 */

/** What the server takes (it judges the bytes; these spare an upload it would refuse). */
export const PICTURE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export const PICTURE_MAX_BYTES = 5 * 1024 * 1024;

/** Why a chosen file will not do as a picture, in words for the person; null when it may be sent. */
export function pictureRefusal(file: { readonly size: number; readonly type: string }): string | null {
  if (file.size === 0) return 'That file is empty.';
  if (file.type !== '' && !(PICTURE_TYPES as readonly string[]).includes(file.type)) return 'A picture must be a PNG, JPEG, GIF or WebP image.';
  if (file.size > PICTURE_MAX_BYTES) return 'A picture may be at most 5 MiB.';
  return null;
}

export interface PictureApi {
  put(file: Blob): Promise<User>;
  remove(): Promise<User>;
}

async function send(method: 'PUT' | 'DELETE', file?: Blob): Promise<User> {
  const headers: Record<string, string> = { accept: 'application/json', ...csrfHeaders() };
  if (file !== undefined) headers['content-type'] = file.type === '' ? 'application/octet-stream' : file.type;
  let response: Response;
  try {
    response = await fetch('/api/users/me/avatar', { method, headers, credentials: 'same-origin', ...(file === undefined ? {} : { body: file }) });
  } catch (cause) {
    throw new ApiError(0, 'network', `Could not reach the server (${String(cause)}).`);
  }
  return readAnswer<User>(response.status, response.ok, await response.text());
}

export const pictureApi: PictureApi = { put: (file) => send('PUT', file), remove: () => send('DELETE') };

export interface MyPicture {
  /** Uploads a new picture; rejects with the reason (the server's own words for a refusal). */
  changePicture(file: Blob): Promise<void>;
  removePicture(): Promise<void>;
}

/** The actions, each ending with the person's record as the server answered it. */
export function createMyPicture(setMe: (user: User) => void, api: PictureApi = pictureApi): MyPicture {
  return {
    async changePicture(file) {
      const refusal = pictureRefusal(file);
      if (refusal !== null) throw new Error(refusal);
      setMe(await api.put(file));
    },
    async removePicture() {
      setMe(await api.remove());
    },
  };
}
