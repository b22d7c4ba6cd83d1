// Carrying out a request to rotate generated credentials (tiers/secret-rotation.ts decides). A
// generated Secret is immutable, so a rotation deletes it and creates it again with new values and
// the request recorded on it; the checksum step then rolls every pod that reads it. A refusal is
// recorded on the Secret too (its metadata can change, its data cannot), so it is told once.
import type { V1Secret } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import {
  buildGeneratedSecret,
  cloudNativePGRefusal,
  instanceLabels,
  rotationDecisions,
  rotationRequest,
  rotationRequestAnnotation,
  type GeneratedSecret,
  type RotationDecision,
  type SecretData,
} from '../tiers/index.ts';
import { hearthName, hearthNamespace, liveObjects, type ReconcileContext } from './context.ts';
import { pathOf } from './kinds.ts';

/**
 * Rotates what the Hearth's request asks for; records an Event for each Secret, never a value.
 * Returns the new data of the Secrets it made, which the cache may not hold yet.
 */
export async function ensureRotations(ctx: ReconcileContext, hearth: Hearth, secrets: readonly GeneratedSecret[]): Promise<Map<string, SecretData>> {
  const made = new Map<string, SecretData>();
  const request = rotationRequest(hearth);
  if (request === undefined) return made;
  const live = await liveObjects(ctx, 'Secret', hearthNamespace(hearth), instanceLabels(hearthName(hearth)));
  const handled = new Map(live.map((secret) => [secret.metadata?.name ?? '', secret.metadata?.annotations?.[rotationRequestAnnotation]]));
  for (const decision of rotationDecisions(hearth, secrets, handled)) {
    // PostgreSQL's password is set in the server first: secrets-rotation-postgres.ts.
    if (decision.action === 'alterPassword') continue;
    const data = await carryOut(ctx, hearth, request, decision);
    if (data !== undefined) made.set(decision.secret.name, data);
  }
  await refuseCloudNativePG(ctx, hearth, request);
  return made;
}

/** Told once per request: recorded on CloudNativePG's Secret (its metadata), when it is there. */
async function refuseCloudNativePG(ctx: ReconcileContext, hearth: Hearth, request: string): Promise<void> {
  const refusal = cloudNativePGRefusal(hearth);
  if (refusal === undefined) return;
  const path = pathOf('Secret', hearthNamespace(hearth), refusal.secret);
  const live = await ctx.client.get(path);
  if (live === undefined || live.metadata?.annotations?.[rotationRequestAnnotation] === request) return;
  await ctx.client.mergePatch(path, { metadata: { annotations: { [rotationRequestAnnotation]: request } } });
  await ctx.events.record(hearth, 'Warning', 'RotationRefused', refusal.message);
}

async function carryOut(ctx: ReconcileContext, hearth: Hearth, request: string, decision: RotationDecision): Promise<SecretData | undefined> {
  const path = pathOf('Secret', hearthNamespace(hearth), decision.secret.name);
  if (decision.action === 'refuse') {
    await ctx.client.mergePatch(path, { metadata: { annotations: { [rotationRequestAnnotation]: request } } });
    await ctx.events.record(hearth, 'Warning', 'RotationRefused', decision.message);
    return undefined;
  }
  await ctx.client.delete(path);
  const built = requestedSecret(hearth, decision.secret, ctx, request);
  // A Secret has no finalizer: once deleted it is gone, and the name is free at once.
  if (!(await ctx.client.create(pathOf('Secret', hearthNamespace(hearth)), built))) {
    throw new Error(`Secret ${decision.secret.name} was deleted for rotation but is there again: retrying`);
  }
  await ctx.events.record(
    hearth,
    'Normal',
    'Rotated',
    `Rotated Secret ${decision.secret.name} (rotate-secrets ${request}): new values; the pods that read it roll onto them`,
  );
  return dataOf(built);
}

/** A built Secret's stringData as the API server returns it, base64 in `data`: what the checksum reads. */
export function dataOf(secret: V1Secret): SecretData {
  return Object.fromEntries(Object.entries(secret.stringData ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]));
}

/** A generated Secret with new values, marked as made for `request` (so it is not rotated for it again). */
export function requestedSecret(hearth: Hearth, secret: GeneratedSecret, ctx: Pick<ReconcileContext, 'random'>, request: string | undefined): V1Secret {
  const built = buildGeneratedSecret(hearth, secret, ctx.random);
  if (request !== undefined && built.metadata !== undefined)
    built.metadata.annotations = { ...built.metadata.annotations, [rotationRequestAnnotation]: request };
  return built;
}
