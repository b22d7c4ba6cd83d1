// The Secret values a Hearth's workloads read, stamped as a checksum on their pod templates
// (tiers/secret-checksums.ts), so that a changed value rolls the pods that read it. The operator's
// own Secrets come from the informer's cache; a Secret of the person's making is not cached (the
// watch of those is metadata only: operator.ts) and is read by name, a handful per reconcile.
import type { Hearth } from '../api/index.ts';
import {
  describeMissing,
  isMadeByAnotherOperator,
  missingSecretKeys,
  secretNamesUsedBy,
  secretReferencesOf,
  withSecretsChecksums,
  type DesiredObject,
  type SecretData,
  type SecretsRead,
  type TierError,
} from '../tiers/index.ts';
import { hearthNamespace, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';

export interface ChecksumOutcome {
  /** The objects with their checksums; the builders' when a Secret is missing (nothing is applied then). */
  readonly objects: readonly DesiredObject[];
  /** A Secret or key that a pod reads is not there: applying would leave pods unable to start. */
  readonly problem: TierError | undefined;
}

/** `made`: Secrets this reconcile just created, whose data it knows (the cache may not have them yet). */
export async function withLiveSecretsChecksums(
  ctx: ReconcileContext,
  hearth: Hearth,
  objects: readonly DesiredObject[],
  made: ReadonlyMap<string, SecretData> = new Map(),
): Promise<ChecksumOutcome> {
  const secrets = await readSecrets(ctx, hearthNamespace(hearth), secretNamesUsedBy(objects), made);
  const missing = missingSecretKeys(objects, secrets).filter((use) => !isMadeByAnotherOperator(hearth, use.secret));
  if (missing.length === 0) return { objects: withSecretsChecksums(objects, secrets), problem: undefined };
  return { objects, problem: missingSecretsProblem(describeMissing(missing, secretReferencesOf(hearth), secrets)) };
}

/**
 * What to tell a person: which Secret, through which field, and that nothing was changed. Pods
 * started before keep running on the values they read then; no new pod would start.
 */
export function missingSecretsProblem(what: string): TierError {
  return {
    code: 'CredentialsMissing',
    message:
      `${what}. Pods reading it could not start, so no object is changed and the running pods keep serving; ` +
      'create it (or fix the reference) and the operator goes on (docs/operator.md#secrets-and-rotation)',
  };
}

/** The data of each named Secret in `namespace` (undefined for one that is not there): known, cached, else read. */
export async function readSecrets(
  ctx: Pick<ReconcileContext, 'client' | 'cached'>,
  namespace: string,
  names: readonly string[],
  known: ReadonlyMap<string, SecretData> = new Map(),
): Promise<SecretsRead> {
  const cached = ctx.cached?.('Secret');
  const read = new Map<string, SecretData | undefined>();
  for (const name of names) {
    const secret = ((known.has(name) ? { data: known.get(name) } : cached?.get(namespace, name)) ??
      (await ctx.client.get(pathOf('Secret', namespace, name)))) as { data?: SecretData } | undefined;
    read.set(name, secret === undefined ? undefined : (secret.data ?? {}));
  }
  return read;
}
