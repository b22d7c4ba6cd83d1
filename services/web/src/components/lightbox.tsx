import { useEffect, useRef } from 'preact/hooks';

/**
 * An image at full size over the page: a modal <dialog>, so the browser keeps focus inside
 * it and Escape closes it; a click beside the picture or the close button does too. `onClose`
 * is told once it has closed, to put focus back where it was.
 */
export function Lightbox(props: { readonly src: string; readonly caption: string; readonly onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (el !== null && !el.open) el.showModal();
  }, []);
  const close = (): void => dialog.current?.close();

  return (
    <dialog
      ref={dialog}
      class="lightbox"
      data-testid="lightbox"
      aria-label={props.caption}
      onClose={props.onClose}
      onClick={(e) => {
        if (e.target === e.currentTarget) close();
      }}
    >
      <figure>
        <img src={props.src} alt={props.caption} data-testid="lightbox-image" />
        <figcaption data-testid="lightbox-caption">{props.caption}</figcaption>
      </figure>
      <button type="button" class="lightbox-close" data-testid="lightbox-close" aria-label="Close" onClick={close}>
        ×
      </button>
    </dialog>
  );
}
