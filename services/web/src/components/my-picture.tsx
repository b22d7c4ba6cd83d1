import { useRef, useState } from 'preact/hooks';
import type { Chat, ChatState } from '../chat.ts';
import { PICTURE_TYPES } from '../my-picture.ts';
import { Avatar } from './avatar.tsx';

/** The person's own picture in the sidebar: shown as others see it, with a way to change it or go back to initials. */
export function MyPicture({ chat, state }: { readonly chat: Chat; readonly state: ChatState }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { me } = state;

  async function run(action: () => Promise<void>): Promise<void> {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  function onChosen(el: HTMLInputElement): void {
    const file = el.files?.[0];
    // The same file chosen again is a change too.
    el.value = '';
    if (file !== undefined) void run(() => chat.changePicture(file));
  }

  return (
    <section class="my-picture" data-testid="my-picture" aria-label="Your picture" aria-busy={busy}>
      <Avatar userId={me.id} name={me.name} avatar={me.avatar} />
      <div class="my-picture-actions">
        <button type="button" class="link-button small" data-testid="change-picture" disabled={busy} onClick={() => input.current?.click()}>
          {me.avatar === null ? 'Add a picture' : 'Change picture'}
        </button>
        {me.avatar !== null && (
          <button type="button" class="link-button small" data-testid="remove-picture" disabled={busy} onClick={() => void run(() => chat.removePicture())}>
            Remove picture
          </button>
        )}
      </div>
      <input ref={input} type="file" accept={PICTURE_TYPES.join(',')} hidden data-testid="picture-input" onChange={(e) => onChosen(e.currentTarget)} />
      {error !== null && (
        <p class="form-error small" data-testid="picture-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
