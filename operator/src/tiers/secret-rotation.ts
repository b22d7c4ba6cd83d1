// Rotating generated credentials, only when a person asks: the Hearth's rotate-secrets annotation
// set to a value not seen before. Each generated Secret records the request it was last made (or
// refused) for, so a request is carried out once, and a new value is a new request. Pure: which
// Secret to make again, and which to refuse, with what to tell the person.
import type { Hearth } from '../api/index.ts';
import { natsClusterSize } from './nats.ts';
import { isSentinelMode } from './redis-sentinel.ts';
import type { GeneratedSecret } from './secrets.ts';

/** On the Hearth: any new value asks for new generated credentials. */
export const rotateSecretsAnnotation = 'hearth.dev/rotate-secrets';
/** On the Hearth, optional: which of them, by component (session, nats, redis, postgres), comma-separated; all when absent. */
export const rotateSecretsOnlyAnnotation = 'hearth.dev/rotate-secrets-only';
/** On a generated Secret: the rotate-secrets value it was made or refused for. */
export const rotationRequestAnnotation = 'hearth.dev/rotation-request';

export type RotationDecision =
  { readonly action: 'rotate'; readonly secret: GeneratedSecret } | { readonly action: 'refuse'; readonly secret: GeneratedSecret; readonly message: string };

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
    .map((secret) => {
      const refusal = refusalOf(hearth, secret);
      return refusal === undefined ? { action: 'rotate', secret } : { action: 'refuse', secret, message: refusal };
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
 * Why a Secret cannot be made again by a roll, or undefined when it can. A roll replaces pods one
 * at a time: it works when the server and its clients all restart onto the new value and nothing
 * between old and new pods needs the two to agree. That rules out a password a server keeps in
 * its data, and the passwords the members of a cluster give each other.
 */
export function refusalOf(hearth: Hearth, secret: GeneratedSecret): string | undefined {
  const name = hearth.metadata.name ?? '';
  if (secret.component === 'postgres') {
    return (
      `Secret ${secret.name} was not rotated: PostgreSQL keeps its password in the database volume and reads the Secret only at its first start, ` +
      `so a new Secret would lock the services out. Set it in the database first (kubectl exec ${name}-postgres-0 -- psql -U hearth -c "ALTER ROLE hearth PASSWORD '<new>'"), ` +
      `then replace the Secret with the new value (docs/operator.md#rotating-generated-secrets); the services roll onto it`
    );
  }
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
