import { avatarColourOf, initialsOf } from '../avatar.ts';

/** A person's initials on the colour their id decides; decorative, since their name is written beside it. */
export function Avatar(props: { readonly userId: string; readonly name: string }) {
  return (
    <span class="avatar" data-testid="avatar" aria-hidden="true" style={{ background: avatarColourOf(props.userId) }}>
      {initialsOf(props.name)}
    </span>
  );
}
