import { useState } from 'preact/hooks';
import { avatarColourOf, avatarUrlOf, initialsOf } from '../avatar.ts';

interface AvatarProps {
  readonly userId: string;
  readonly name: string;
  /** The version of their picture (User.avatar); null or left out: their initials. */
  readonly avatar?: string | null;
}

/**
 * A person's picture, the same size and shape as their initials, named by its alt text; their
 * initials on the colour their id decides when they have none, or it does not load. The initials
 * are decorative, since the name is written beside them.
 */
export function Avatar(props: AvatarProps) {
  const url = avatarUrlOf(props.userId, props.avatar ?? null);
  // The address that failed: a new version of the picture is tried again.
  const [failed, setFailed] = useState<string | null>(null);
  if (url !== null && url !== failed) {
    return (
      <img class="avatar avatar-image" data-testid="avatar" data-avatar="picture" src={url} alt={props.name} decoding="async" onError={() => setFailed(url)} />
    );
  }
  return (
    <span class="avatar" data-testid="avatar" data-avatar="initials" aria-hidden="true" style={{ background: avatarColourOf(props.userId) }}>
      {initialsOf(props.name)}
    </span>
  );
}
