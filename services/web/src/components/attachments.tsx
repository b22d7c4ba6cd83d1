import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedClipboardEvent } from 'preact';
import { formatBytes, isShownImage } from '../file-view.ts';
import type { StagedFile } from '../uploads.ts';

/** A chosen file waiting in the composer for Send, under a key of its own (two files may share a name). */
export interface StagedEntry extends StagedFile {
  readonly key: number;
}

/** The files chosen (button, drop or paste) for the next send, with the alt text typed for each image. */
export interface Attachments {
  readonly staged: readonly StagedEntry[];
  add(files: readonly File[]): void;
  setAlt(key: number, alt: string): void;
  remove(key: number): void;
  clear(): void;
}

/** Chosen files belong to the room they were chosen in: another room starts with none. */
export function useAttachments(roomId: string): Attachments {
  const [staged, setStaged] = useState<readonly StagedEntry[]>([]);
  const nextKey = useRef(0);
  useEffect(() => setStaged([]), [roomId]);
  return {
    staged,
    add(files) {
      if (files.length === 0) return;
      const added = files.map((file) => ({ key: (nextKey.current += 1), file, alt: '' }));
      setStaged((list) => [...list, ...added]);
    },
    setAlt: (key, alt) => setStaged((list) => list.map((s) => (s.key === key ? { ...s, alt } : s))),
    remove: (key) => setStaged((list) => list.filter((s) => s.key !== key)),
    clear: () => setStaged([]),
  };
}

/**
 * Files pasted into the composer: a picture copied from a page or a screenshot tool. When the
 * clipboard holds text as well (cells copied from a spreadsheet come with a picture of them),
 * the text is what the person meant, and it is pasted as usual.
 */
export function filesPasted(event: TargetedClipboardEvent<HTMLTextAreaElement>): File[] {
  const data = event.clipboardData;
  if (data === null || data.files.length === 0 || data.types.includes('text/plain')) return [];
  return [...data.files];
}

/** The paperclip: a button that opens the browser's file picker (a hidden file input). */
export function AttachButton({ onFiles }: { readonly onFiles: (files: File[]) => void }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" class="attach" data-testid="attach" title="Attach files" aria-label="Attach files" onClick={() => input.current?.click()}>
        <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
          <path
            fill="none"
            stroke="currentColor"
            stroke-width="1.4"
            stroke-linecap="round"
            d="M10.5 4.5 5.2 9.8a1.5 1.5 0 0 0 2.1 2.1l5.6-5.6a3 3 0 0 0-4.2-4.2L3 7.8a4.5 4.5 0 0 0 6.4 6.4l4.1-4.1"
          />
        </svg>
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="file-input"
        onChange={(e) => {
          const el = e.currentTarget;
          onFiles([...(el.files ?? [])]);
          // The same file chosen again is a change too.
          el.value = '';
        }}
      />
    </>
  );
}

/** The files waiting for Send: name and size, a field for an image's alt text, and a way to take each back. */
export function StagedFiles({ attachments }: { readonly attachments: Attachments }) {
  if (attachments.staged.length === 0) return null;
  return (
    <ul class="staged-files" data-testid="staged-files" aria-label="Files to send">
      {attachments.staged.map(({ key, file, alt }) => (
        <li key={key} class="staged-file" data-testid="staged-file" data-name={file.name}>
          <span class="file-name">{file.name}</span>
          <span class="muted small">{formatBytes(file.size)}</span>
          {isShownImage(file.type) && (
            <input
              class="alt-input"
              data-testid="alt-input"
              value={alt}
              maxLength={1000}
              placeholder="Describe this image (alt text)"
              aria-label={`Describe ${file.name} (alt text, optional)`}
              onInput={(e) => attachments.setAlt(key, e.currentTarget.value)}
            />
          )}
          <button
            type="button"
            class="link-button small"
            data-testid="staged-remove"
            aria-label={`Do not send ${file.name}`}
            onClick={() => attachments.remove(key)}
          >
            remove
          </button>
        </li>
      ))}
    </ul>
  );
}
