// Generated credentials: created once when missing, never written again (the Secret is immutable,
// and a password PostgreSQL stored at initdb must not drift from it), but made again with new
// values when a person asks (secrets-rotation.ts). A Secret lost while the volume
// its password opens still exists is not made again with new keys: that would lock the data out and
// roll pods onto a wrong password. The Hearth is Degraded instead, saying how to restore it.
import { instanceLabels, rotationRequest, type SecretData, selectorLabels, toSelector, type GeneratedSecret, type TierError } from '../tiers/index.ts';
import type { Hearth } from '../api/index.ts';
import { hearthName, hearthNamespace, liveObjects, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';
import { dataOf, requestedSecret } from './secrets-rotation.ts';

/** A generated Secret that is gone while volumes holding data its keys open are still there. */
export interface LostSecret {
  readonly secret: string;
  readonly claims: readonly string[];
}

export interface SecretsOutcome {
  readonly created: readonly string[];
  readonly lost: readonly LostSecret[];
  /** The data of the Secrets created, as the API server will return it: the cache may not have them yet. */
  readonly made: ReadonlyMap<string, SecretData>;
}

/** Creates the missing Secrets that may be created; says which were created and which are lost. */
export async function ensureGeneratedSecrets(ctx: ReconcileContext, hearth: Hearth, secrets: readonly GeneratedSecret[]): Promise<SecretsOutcome> {
  const namespace = hearthNamespace(hearth);
  const live = await liveObjects(ctx, 'Secret', namespace, instanceLabels(hearthName(hearth)));
  const known = new Set(live.map((secret) => secret.metadata?.name));
  const created: string[] = [];
  const lost: LostSecret[] = [];
  const made = new Map<string, SecretData>();
  for (const secret of secrets) {
    if (known.has(secret.name)) continue;
    const claims = await claimsOpenedBy(ctx, hearth, secret);
    if (claims.length > 0) {
      // The cache may be behind, or the Secret restored by hand without our labels: lost only if the API server has none.
      if ((await ctx.client.get(pathOf('Secret', namespace, secret.name))) === undefined) lost.push({ secret: secret.name, claims });
      continue;
    }
    // Made under a pending rotation request, it already has new values: marked so as not to be made again for it.
    const built = requestedSecret(hearth, secret, ctx, rotationRequest(hearth));
    // Not asked first whether it is there: a create answered 409 (the cache behind, or one restored by hand) leaves it as it is.
    if (await ctx.client.create(pathOf('Secret', namespace), built)) {
      created.push(secret.name);
      made.set(secret.name, dataOf(built));
    }
  }
  return { created, lost, made };
}

async function claimsOpenedBy(ctx: ReconcileContext, hearth: Hearth, secret: GeneratedSecret): Promise<string[]> {
  if (secret.opensVolumesOf === undefined) return [];
  const namespace = hearthNamespace(hearth);
  const claims = await ctx.client.list(pathOf('PersistentVolumeClaim', namespace), toSelector(selectorLabels(hearthName(hearth), secret.opensVolumesOf)));
  return claims.map((claim) => claim.metadata?.name ?? '').filter((name) => name !== '');
}

/** The problem lost Secrets are: what is at stake and the two ways out. */
export function lostSecretsProblem(lost: readonly LostSecret[]): TierError | undefined {
  if (lost.length === 0) return undefined;
  const what = lost
    .map(({ secret, claims }) => `Secret ${secret} is missing while PersistentVolumeClaim ${claims.join(', ')} holds data its password opens`)
    .join('; ');
  return {
    code: 'CredentialsMissing',
    message:
      `${what}. A new password would lock that data out, so none is made and no pod is changed. ` +
      'Restore the Secret from your backup (kubectl apply -f), or, to start over with empty data, delete those claims (docs/operator.md#credentials)',
  };
}
