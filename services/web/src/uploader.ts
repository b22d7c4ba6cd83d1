import type { Message } from './api-types.ts';
import { errorText, withView, type ChatContext } from './chat-state.ts';
import { isRetryablePostError } from './outbox.ts';
import { upsertMessages } from './room-state.ts';
import type { StartUpload, UploadHandle } from './upload-client.ts';
import {
  failedUpload,
  nextUpload,
  progressedUpload,
  queueUploads,
  retriedUpload,
  startedUpload,
  withoutUpload,
  type NewUpload,
  type StagedFile,
  type Upload,
} from './uploads.ts';

/**
 * Sends the files the person chose, one upload per file, a room's one at a time in the order
 * chosen (the server numbers messages as they arrive). The list in the store (uploads.ts)
 * is what the composer shows; the bytes and the requests in flight stay here. A stored upload
 * becomes its message in the room at once, as a sent post does; the realtime event that
 * follows finds it there.
 */

export interface UploaderDeps {
  readonly ctx: ChatContext;
  readonly start: StartUpload;
  newClientMessageId(): string;
  ensureUser(userId: string): void;
}

export interface Uploader {
  /** Queues the files; `caption` (mentions encoded) goes with the first. */
  upload(roomId: string, files: readonly StagedFile[], caption: string): void;
  /** Stops an upload in flight, or drops a queued or failed one. */
  cancel(id: string): void;
  /** Sends a failed upload again, with the same client message id. */
  retry(id: string): void;
  stop(): void;
}

export function createUploader(deps: UploaderDeps): Uploader {
  const { ctx } = deps;
  const files = new Map<string, Blob>();
  const inFlight = new Map<string, UploadHandle>();
  const setUploads = (change: (list: readonly Upload[]) => readonly Upload[]): void =>
    ctx.store.update((s) => {
      const uploads = change(s.uploads);
      return uploads === s.uploads ? s : { ...s, uploads };
    });
  const isListed = (id: string): boolean => ctx.store.get().uploads.some((u) => u.id === id);

  function sent(upload: Upload, message: Message): void {
    deps.ensureUser(message.authorId);
    ctx.store.update((s) => withView(s, upload.roomId, (v) => upsertMessages(v, [message])));
    forget(upload.id);
  }

  function forget(id: string): void {
    files.delete(id);
    setUploads((list) => withoutUpload(list, id));
  }

  function pump(roomId: string): void {
    const upload = nextUpload(ctx.store.get().uploads, roomId);
    const file = upload === undefined ? undefined : files.get(upload.id);
    if (upload === undefined || file === undefined) return;
    setUploads((list) => startedUpload(list, upload.id));
    const request = { roomId, file, name: upload.name, clientMessageId: upload.id, alt: upload.alt, body: upload.body };
    const handle = deps.start(request, (loaded) => setUploads((list) => progressedUpload(list, upload.id, loaded)));
    inFlight.set(upload.id, handle);
    handle.done
      .then(
        (message) => sent(upload, message),
        (error: unknown) => {
          // A cancelled upload is gone from the list already.
          const failure = { error: errorText(error), retryable: isRetryablePostError(error) };
          if (isListed(upload.id)) setUploads((list) => failedUpload(list, upload.id, failure));
        },
      )
      .finally(() => {
        inFlight.delete(upload.id);
        pump(roomId);
      })
      .catch((error: unknown) => console.error('hearth: upload', error));
  }

  return {
    upload(roomId, staged, caption) {
      const added = staged.map(({ file, alt }, i): NewUpload => {
        const id = deps.newClientMessageId();
        files.set(id, file);
        return { id, roomId, name: file.name, type: file.type, size: file.size, alt, body: i === 0 ? caption : '' };
      });
      setUploads((list) => queueUploads(list, added));
      pump(roomId);
    },
    cancel(id) {
      const handle = inFlight.get(id);
      forget(id);
      handle?.abort();
    },
    retry(id) {
      const upload = ctx.store.get().uploads.find((u) => u.id === id);
      if (upload === undefined) return;
      setUploads((list) => retriedUpload(list, id));
      pump(upload.roomId);
    },
    stop() {
      for (const handle of inFlight.values()) handle.abort();
      inFlight.clear();
      files.clear();
    },
  };
}
