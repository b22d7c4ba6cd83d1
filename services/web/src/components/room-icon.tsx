import type { RoomKind } from '../api-types.ts';

/** `#` for open rooms, a padlock for closed ones, `@` for direct rooms; drawn, not an emoji, so every font has it. */
export function RoomIcon({ kind }: { readonly kind: RoomKind | undefined }) {
  if (kind === 'closed') {
    return (
      <svg class="room-icon" viewBox="0 0 16 16" width="11" height="11" aria-label="closed room" role="img">
        <path fill="currentColor" d="M4 7V5a4 4 0 1 1 8 0v2h1v8H3V7h1zm2 0h4V5a2 2 0 1 0-4 0v2z" />
      </svg>
    );
  }
  return (
    <span class="room-icon" aria-hidden="true">
      {kind === 'direct' ? '@' : '#'}
    </span>
  );
}
