/**
 * The person's uploads in progress, as the composer shows them, and the pure rules that
 * change the list. An upload is queued, then uploading (with the bytes sent so far), then
 * gone once its message is stored; or failed with the server's reason, until it is retried
 * (with the same client message id, so a post that did land is not posted twice) or dismissed.
 * A room's uploads go one at a time, in the order chosen.
 */

export type UploadStatus = 'queued' | 'uploading' | 'failed';

export interface Upload {
  /** Its client message id, kept for every try. */
  readonly id: string;
  readonly roomId: string;
  readonly name: string;
  /** The type the browser gave the file, or '' when it gave none. */
  readonly type: string;
  readonly size: number;
  /** Words for an image; null when none were given. */
  readonly alt: string | null;
  /** The caption posted with the file (mentions encoded); '' for none. */
  readonly body: string;
  readonly status: UploadStatus;
  /** Bytes sent so far, on this try. */
  readonly loaded: number;
  readonly error: string | null;
  /** Whether trying again may pass (the network or the server failed), unlike a refusal of the file itself. */
  readonly retryable: boolean;
}

/** A file chosen in the composer, before it is sent: the alt text typed for it so far. */
export interface StagedFile {
  readonly file: File;
  readonly alt: string;
}

export interface NewUpload {
  readonly id: string;
  readonly roomId: string;
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly alt: string;
  readonly body: string;
}

/** Queues files behind those already queued; blank alt text is none. */
export function queueUploads(list: readonly Upload[], added: readonly NewUpload[]): readonly Upload[] {
  if (added.length === 0) return list;
  const queued = added.map((u): Upload => ({
    ...u,
    alt: u.alt.trim() === '' ? null : u.alt.trim(),
    status: 'queued',
    loaded: 0,
    error: null,
    retryable: false,
  }));
  return [...list, ...queued];
}

function change(list: readonly Upload[], id: string, edit: (u: Upload) => Upload): readonly Upload[] {
  return list.some((u) => u.id === id) ? list.map((u) => (u.id === id ? edit(u) : u)) : list;
}

export function startedUpload(list: readonly Upload[], id: string): readonly Upload[] {
  return change(list, id, (u) => ({ ...u, status: 'uploading', loaded: 0, error: null }));
}

/** More bytes sent; an upload not in flight (cancelled meanwhile) is left alone. */
export function progressedUpload(list: readonly Upload[], id: string, loaded: number): readonly Upload[] {
  const upload = list.find((u) => u.id === id);
  if (upload?.status !== 'uploading' || upload.loaded === loaded) return list;
  return change(list, id, (u) => ({ ...u, loaded: Math.min(loaded, u.size) }));
}

export function failedUpload(list: readonly Upload[], id: string, failure: { readonly error: string; readonly retryable: boolean }): readonly Upload[] {
  return change(list, id, (u) => ({ ...u, status: 'failed', loaded: 0, ...failure }));
}

/** A failed upload goes back in the queue, where it was. */
export function retriedUpload(list: readonly Upload[], id: string): readonly Upload[] {
  const upload = list.find((u) => u.id === id);
  if (upload?.status !== 'failed') return list;
  return change(list, id, (u) => ({ ...u, status: 'queued', error: null, retryable: false }));
}

export function withoutUpload(list: readonly Upload[], id: string): readonly Upload[] {
  return list.some((u) => u.id === id) ? list.filter((u) => u.id !== id) : list;
}

/** The room's next upload to send: none while one of the room's is in flight, else its first queued. */
export function nextUpload(list: readonly Upload[], roomId: string): Upload | undefined {
  const room = list.filter((u) => u.roomId === roomId);
  if (room.some((u) => u.status === 'uploading')) return undefined;
  return room.find((u) => u.status === 'queued');
}

/** How far along an upload is, 0 to 100, in whole percent. */
export function uploadPercent(upload: Pick<Upload, 'loaded' | 'size'>): number {
  if (upload.size <= 0) return 0;
  return Math.min(100, Math.max(0, Math.floor((upload.loaded / upload.size) * 100)));
}
