// Generated credentials: created once when missing, never written again (the Secret is immutable,
// and a password PostgreSQL stored at initdb must not drift from it).
import { buildGeneratedSecret, instanceLabels, type GeneratedSecret } from '../tiers/index.ts';
import type { Hearth } from '../api/index.ts';
import { hearthName, hearthNamespace, liveObjects, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';

/** Creates the missing Secrets; returns the names of those it created. */
export async function ensureGeneratedSecrets(ctx: ReconcileContext, hearth: Hearth, secrets: readonly GeneratedSecret[]): Promise<string[]> {
  const namespace = hearthNamespace(hearth);
  const live = await liveObjects(ctx, 'Secret', namespace, instanceLabels(hearthName(hearth)), pathOf('Secret', namespace));
  const known = new Set(live.map((secret) => secret.metadata?.name));
  const created: string[] = [];
  for (const secret of secrets) {
    if (known.has(secret.name)) continue;
    // A Secret of that name the cache has not seen yet (or that is not labelled ours) is kept as it is: 409.
    if (await ctx.client.create(pathOf('Secret', namespace), buildGeneratedSecret(hearth, secret, ctx.random))) created.push(secret.name);
  }
  return created;
}
