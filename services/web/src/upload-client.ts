import { ApiError, csrfHeaders, readAnswer } from './api.ts';
import type { Message } from './api-types.ts';

/**
 * One file's upload: `POST /api/rooms/{roomId}/files` with the bytes as the body and the
 * file's type as the Content-Type, the rest in the query. XMLHttpRequest rather than fetch,
 * because only it tells how many bytes have gone (upload.onprogress); the answer is read as
 * every other API answer is (api.ts), so a refusal carries the server's own words.
 */

export interface UploadRequest {
  readonly roomId: string;
  readonly file: Blob;
  readonly name: string;
  readonly clientMessageId: string;
  readonly alt: string | null;
  /** The caption; '' for none. */
  readonly body: string;
}

export interface UploadHandle {
  /** The posted message, or an ApiError: the server's refusal, `network`, or `aborted`. */
  readonly done: Promise<Message>;
  abort(): void;
}

export type StartUpload = (request: UploadRequest, onProgress: (loaded: number) => void) => UploadHandle;

/** What of XMLHttpRequest an upload uses (a test gives a fake). */
export interface UploadXhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  readonly upload: { onprogress: ((event: ProgressEvent) => void) | null };
  onload: ((event: ProgressEvent) => void) | null;
  onerror: ((event: ProgressEvent) => void) | null;
  onabort: ((event: ProgressEvent) => void) | null;
  readonly status: number;
  readonly responseText: string;
}

/** The upload's address: the room, and what the query carries (an empty alt text or caption is left out). */
export function uploadPath(request: Omit<UploadRequest, 'file'>): string {
  const query = new URLSearchParams({ name: request.name, clientMessageId: request.clientMessageId });
  if (request.alt !== null && request.alt !== '') query.set('alt', request.alt);
  if (request.body !== '') query.set('body', request.body);
  return `/api/rooms/${encodeURIComponent(request.roomId)}/files?${query.toString()}`;
}

export function createUploadStarter(newXhr: () => UploadXhr = () => new XMLHttpRequest()): StartUpload {
  return (request, onProgress) => {
    const xhr = newXhr();
    const done = new Promise<Message>((resolve, reject) => {
      xhr.upload.onprogress = (event) => onProgress(event.loaded);
      xhr.onload = () => {
        try {
          resolve(readAnswer<Message>(xhr.status, xhr.status >= 200 && xhr.status < 300, xhr.responseText));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      xhr.onerror = () => reject(new ApiError(0, 'network', 'Could not reach the server: the upload stopped.'));
      xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.'));
    });
    xhr.open('POST', uploadPath(request));
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('content-type', request.file.type === '' ? 'application/octet-stream' : request.file.type);
    for (const [name, value] of Object.entries(csrfHeaders())) xhr.setRequestHeader(name, value);
    xhr.send(request.file);
    return { done, abort: () => xhr.abort() };
  };
}
