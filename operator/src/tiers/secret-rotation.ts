// Rotating generated credentials, only when a person asks: the Hearth's rotate-secrets annotation
// set to a value not seen before. Each generated Secret records the request it was last made (or
// refused) for, so a request is carried out once, and a new value is a new request. Pure: which
// Secret to make again, which needs its new password set in its server first, and which to
// refuse, with what to tell the person.
import type { Hearth } from '../api/index.ts';
import { objectNames } from './names.ts';
import { natsClusterSize } from './nats.ts';
import { isSentinelMode } from './redis-sentinel.ts';
import type { GeneratedSecret } from './secrets.ts';

/** On the Hearth: any new value asks for new generated credentials. */
export const rotateSecretsAnnotation = 'hearth.dev/rotate-secrets';
/** On the Hearth, optional: which of them, by component (session, nats, redis, postgres), comma-separated; all when absent. */
export const rotateSecretsOnlyAnnotation = 'hearth.dev/rotate-secrets-only';
/** On a generated Secret: the rotate-secrets value it was made or refused for. */
export const rotationRequestAnnotation = 'hearth.dev/rotation-request';

/**
 * rotate: delete and create again with new values; alterPassword: set a new password in the
 * server first (secret-rotation-postgres.ts); refuse: tell the person why not and how.
 */
export type RotationDecision =
  | { readonly action: 'rotate'; readonly secret: GeneratedSecret }
  | { readonly action: 'alterPassword'; readonly secret: GeneratedSecret }
  | { readonly action: 'refuse'; readonly secret: GeneratedSecret; readonly message: string };

/** The rotate-secrets value, when the Hearth asks for one. */
export function rotationRequest(hearth: Hearth): string | undefined {
  const value = hearth.metadata.annotations?.[rotateSecretsAnnotation]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * What to do with each generated Secret for the Hearth's request: nothing for one already made
 * (or refused) for it, for one not in the request's scope, and for one not there yet (it is
 * created with new values anyway). `handled` maps each live generated Secret to the request it
 * records (undefined when it records none).
 */
export function rotationDecisions(hearth: Hearth, secrets: readonly GeneratedSecret[], handled: ReadonlyMap<string, string | undefined>): RotationDecision[] {
  const request = rotationRequest(hearth);
  if (request === undefined) return [];
  const only = scopeOf(hearth);
  return secrets
    .filter((secret) => handled.has(secret.name) && handled.get(secret.name) !== request)
    .filter((secret) => only === undefined || only.has(secret.component))
    .map((secret): RotationDecision => {
      const refusal = refusalOf(hearth, secret);
      if (refusal !== undefined) return { action: 'refuse', secret, message: refusal };
      // The password PostgreSQL keeps in its data (the only generated Secret that opens a volume).
      return secret.opensVolumesOf === undefined ? { action: 'rotate', secret } : { action: 'alterPassword', secret };
    });
}

function scopeOf(hearth: Hearth): ReadonlySet<string> | undefined {
  const value = hearth.metadata.annotations?.[rotateSecretsOnlyAnnotation];
  if (value === undefined || value.trim() === '') return undefined;
  return new Set(
    value
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  );
}

/**
 * Why a Secret cannot be made again, or undefined when it can. A roll replaces pods one at a
 * time: it works when the server and its clients all restart onto the new value and nothing
 * between old and new pods needs the two to agree. That rules out the passwords the members of a
 * cluster give each other. (A password a server keeps in its data, PostgreSQL's, is set in the
 * server first: alterPassword.)
 */
export function refusalOf(hearth: Hearth, secret: GeneratedSecret): string | undefined {
  if (secret.component === 'nats' && natsClusterSize(hearth) !== undefined) {
    return (
      `Secret ${secret.name} was not rotated: the NATS servers of a cluster give each other its route password, and a roll would leave old and new ` +
      'servers unable to route to each other, splitting the cluster mid-roll (docs/operator.md#rotating-generated-secrets)'
    );
  }
  if (secret.component === 'redis' && isSentinelMode(hearth)) {
    return (
      `Secret ${secret.name} was not rotated: the Redis master, its replica and the Sentinels authenticate to each other with it, and a roll ` +
      'would leave them unable to replicate or fail over mid-roll (docs/operator.md#rotating-generated-secrets)'
    );
  }
  return undefined;
}

/**
 * The clustered tier's PostgreSQL is CloudNativePG's: it makes the app user's Secret and sets its
 * password, so the operator has no password of its own to rotate there. A request that takes in
 * PostgreSQL is told so (once: the refusal is recorded on that Secret), with where to do it.
 * Undefined when there is nothing to tell.
 */
export function cloudNativePGRefusal(hearth: Hearth): { readonly secret: string; readonly message: string } | undefined {
  if (rotationRequest(hearth) === undefined || hearth.spec.tier !== 'clustered' || hearth.spec.database?.external !== undefined) return undefined;
  const only = scopeOf(hearth);
  if (only !== undefined && !only.has('postgres')) return undefined;
  const secret = objectNames(hearth.metadata.name ?? '').postgresApp;
  return {
    secret,
    message:
      `Secret ${secret} was not rotated: on the clustered tier CloudNativePG makes the database user's credentials and sets them in PostgreSQL, ` +
      `so rotate them CloudNativePG's way (its documentation on the application user's Secret); once Secret ${secret} changes, ` +
      'the services roll onto it (docs/operator.md#rotating-generated-secrets)',
  };
}
