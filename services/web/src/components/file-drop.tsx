import { useEffect, useRef, useState } from 'preact/hooks';
import type { TargetedDragEvent } from 'preact';

/** What an element needs to take dropped files, and whether files are being dragged over it now. */
export interface FileDrop {
  readonly dragging: boolean;
  readonly handlers: {
    onDragEnter(event: TargetedDragEvent<HTMLElement>): void;
    onDragOver(event: TargetedDragEvent<HTMLElement>): void;
    onDragLeave(event: TargetedDragEvent<HTMLElement>): void;
    onDrop(event: TargetedDragEvent<HTMLElement>): void;
  };
}

/** Only a drag that carries files is ours: text or a link dragged in the page goes where it goes. */
function carriesFiles(event: DragEvent): boolean {
  return event.dataTransfer?.types.includes('Files') ?? false;
}

/** A file dropped beside the target would make the browser leave the app to show it: a missed drop does nothing. */
function ignoreMissedDrop(event: DragEvent): void {
  if (carriesFiles(event)) event.preventDefault();
}

/**
 * Files dropped on an element. Entering and leaving its children fire on the way, so the
 * drag is over it until as many leaves as enters have been seen.
 */
export function useFileDrop(onFiles: (files: File[]) => void): FileDrop {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  useEffect(() => {
    window.addEventListener('dragover', ignoreMissedDrop);
    window.addEventListener('drop', ignoreMissedDrop);
    return () => {
      window.removeEventListener('dragover', ignoreMissedDrop);
      window.removeEventListener('drop', ignoreMissedDrop);
    };
  }, []);
  return {
    dragging,
    handlers: {
      onDragEnter(event) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current += 1;
        setDragging(true);
      },
      onDragOver(event) {
        if (!carriesFiles(event)) return;
        // Without this the browser opens the file in place of the page.
        event.preventDefault();
        if (event.dataTransfer !== null) event.dataTransfer.dropEffect = 'copy';
      },
      onDragLeave(event) {
        if (!carriesFiles(event)) return;
        depth.current = Math.max(0, depth.current - 1);
        if (depth.current === 0) setDragging(false);
      },
      onDrop(event) {
        if (!carriesFiles(event)) return;
        event.preventDefault();
        depth.current = 0;
        setDragging(false);
        onFiles([...(event.dataTransfer?.files ?? [])]);
      },
    },
  };
}

/** Shown over the room while files are dragged over it. */
export function DropTarget({ label }: { readonly label: string }) {
  return (
    <div class="drop-target" data-testid="drop-target" aria-hidden="true">
      <span>Drop files to send them to {label}</span>
    </div>
  );
}
