import type { Chat } from '../chat.ts';
import { formatBytes } from '../file-view.ts';
import { uploadPercent, type Upload } from '../uploads.ts';

function UploadState({ chat, upload }: { readonly chat: Chat; readonly upload: Upload }) {
  switch (upload.status) {
    case 'queued':
      return (
        <>
          <span class="muted small">waiting…</span>
          <button type="button" class="link-button small" data-testid="upload-cancel" onClick={() => chat.cancelUpload(upload.id)}>
            Cancel
          </button>
        </>
      );
    case 'uploading': {
      const percent = uploadPercent(upload);
      return (
        <>
          <progress
            class="upload-bar"
            data-testid="upload-progress"
            max={100}
            value={percent}
            aria-valuenow={percent}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-label={`Uploading ${upload.name}`}
          />
          <span class="muted small">{percent}%</span>
          <button type="button" class="link-button small" data-testid="upload-cancel" onClick={() => chat.cancelUpload(upload.id)}>
            Cancel
          </button>
        </>
      );
    }
    case 'failed':
      return (
        <>
          <span class="form-error small" role="alert" data-testid="upload-error">
            {upload.error ?? 'Could not upload.'}
          </span>
          {upload.retryable && (
            <button type="button" class="small" data-testid="upload-retry" onClick={() => chat.retryUpload(upload.id)}>
              Retry
            </button>
          )}
          <button type="button" class="link-button small" data-testid="upload-dismiss" onClick={() => chat.cancelUpload(upload.id)}>
            Dismiss
          </button>
        </>
      );
  }
}

/** The person's uploads to this room: a progress bar for the one in flight, the server's reason for a refused one. */
export function UploadList({ chat, uploads }: { readonly chat: Chat; readonly uploads: readonly Upload[] }) {
  if (uploads.length === 0) return null;
  return (
    <ul class="uploads" data-testid="uploads" aria-label="Uploads">
      {uploads.map((upload) => (
        <li key={upload.id} class={`upload ${upload.status}`} data-testid="upload" data-name={upload.name} data-status={upload.status}>
          <span class="file-name">{upload.name}</span>
          <span class="muted small">{formatBytes(upload.size)}</span>
          <UploadState chat={chat} upload={upload} />
        </li>
      ))}
    </ul>
  );
}
