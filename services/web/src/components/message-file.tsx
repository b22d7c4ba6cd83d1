import { useRef, useState } from 'preact/hooks';
import type { Message, MessageFile } from '../api-types.ts';
import { downloadUrl, fileUrl, fitWithin, formatBytes, imageText, thumbnailUrl } from '../file-view.ts';
import { Lightbox } from './lightbox.tsx';

type ImageOf = NonNullable<MessageFile['image']>;

/** An image's thumbnail at its own shape (no jump when it loads); a click shows it whole. */
function MessageImage({ messageId, file, image }: { readonly messageId: string; readonly file: MessageFile; readonly image: ImageOf }) {
  const [open, setOpen] = useState(false);
  const opener = useRef<HTMLButtonElement>(null);
  const size = fitWithin(image);
  const text = imageText(file);
  return (
    <>
      <button type="button" ref={opener} class="image-button" data-testid="open-image" title="Show the whole image" onClick={() => setOpen(true)}>
        <img
          class="message-image"
          data-testid="message-image"
          src={thumbnailUrl(messageId)}
          alt={text}
          width={size.width}
          height={size.height}
          loading="lazy"
        />
      </button>
      {open && (
        <Lightbox
          src={fileUrl(messageId)}
          caption={text}
          onClose={() => {
            setOpen(false);
            opener.current?.focus();
          }}
        />
      )}
    </>
  );
}

/** A message's file: an image shown small, and for any file a link that downloads it under its name. */
export function MessageFileView({ message }: { readonly message: Message }) {
  const file = message.file;
  if (file === null || message.deletedAt !== null) return null;
  return (
    <div class="message-attachment">
      {file.image !== null && <MessageImage messageId={message.id} file={file} image={file.image} />}
      <a class="file-link" href={downloadUrl(message.id)} download={file.name} data-testid="message-file" data-size={String(file.size)}>
        <span class="file-name">{file.name}</span> <span class="muted small">{formatBytes(file.size)}</span>
      </a>
    </div>
  );
}
