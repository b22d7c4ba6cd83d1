import { HearthError, type Role } from '@hearth/core';

/** Who the provider says signed in, reduced to what Hearth keeps. */
export interface SsoProfile {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
  /** The provider's session id (`sid`), so its back-channel logout can end the Hearth session. */
  readonly idpSessionId: string | null;
}

/**
 * Reads the validated ID token's claims. Refuses a person whose email the provider has not
 * verified: Hearth links accounts and shows identities by email, so an unverified one could
 * let someone take over another person's account.
 */
export function profileFromClaims(
  claims: Readonly<Record<string, unknown>>,
  names: { readonly groupsClaim: string; readonly emailVerifiedClaim: string },
): SsoProfile {
  const issuer = stringClaim(claims, 'iss');
  const subject = stringClaim(claims, 'sub');
  if (issuer === null || subject === null) throw new HearthError('sso_refused', 'the ID token has no issuer or subject');
  const email = verifiedEmailOf(claims, names.emailVerifiedClaim);
  return {
    issuer,
    subject,
    email,
    name: displayNameOf(claims, email),
    groups: groupsOf(claims[names.groupsClaim]),
    idpSessionId: stringClaim(claims, 'sid'),
  };
}

/** The lower-cased email, refused when the provider did not share it or has not verified it. */
function verifiedEmailOf(claims: Readonly<Record<string, unknown>>, emailVerifiedClaim: string): string {
  const email = stringClaim(claims, 'email')?.trim().toLowerCase() ?? null;
  if (email === null || email === '') {
    throw new HearthError(
      'sso_forbidden',
      'your identity provider did not share an email address; ask your administrator to release the email scope to Hearth',
    );
  }
  if (claims[emailVerifiedClaim] !== true) {
    throw new HearthError('sso_forbidden', `your email address ${email} is not verified at your identity provider; verify it there and sign in again`);
  }
  return email;
}

/** The name claim, else given and family names, else the email: a person always has a name to show. */
function displayNameOf(claims: Readonly<Record<string, unknown>>, email: string): string {
  const name =
    stringClaim(claims, 'name') ?? ([stringClaim(claims, 'given_name'), stringClaim(claims, 'family_name')].filter((part) => part !== null).join(' ') || email);
  return name.trim() || email;
}

/** Administrators are the members of any configured admin group; everyone else is a member. */
export function roleFromGroups(groups: readonly string[], adminGroups: readonly string[]): Extract<Role, 'administrator' | 'member'> {
  return groups.some((group) => adminGroups.includes(group)) ? 'administrator' : 'member';
}

/**
 * Where to send someone after signing in: a path on this site only, so a crafted link
 * cannot bounce a fresh session to another origin.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/';
  return value.slice(0, 500);
}

/** Providers send groups as a list, a single string, or (Keycloak with full paths) "/a/b". */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

function stringClaim(claims: Readonly<Record<string, unknown>>, name: string): string | null {
  const value = claims[name];
  return typeof value === 'string' && value !== '' ? value : null;
}
