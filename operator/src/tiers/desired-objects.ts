// Everything a Hearth needs, for whichever tier it asks for: the entry point of the builders.
import { hearthTiers, type Hearth, type HearthTier } from '../api/index.ts';
import { hearthImage, hearthVersion, type TierContext } from './context.ts';
import { workloadsOf, type DesiredKind, type DesiredObject, type WorkloadRef } from './desired-object.ts';
import { desiredEmbedded, embeddedSecrets, embeddedUrl } from './embedded.ts';
import { clusteredPrerequisite, desiredClustered } from './clustered.ts';
import { invalidResource, type TierError } from './errors.ts';
import { replicaCounts } from './replica-counts.ts';
import type { GeneratedSecret } from './secrets.ts';
import { desiredSingle, singleSecrets, singleUrl } from './single.ts';

export interface DesiredTier {
  readonly ok: true;
  /** The tier the spec asks for. */
  readonly tier: HearthTier;
  /** The tier that takes the traffic: the old one until a tier change has moved the data. */
  readonly servingTier: HearthTier;
  readonly version: string;
  readonly image: string;
  /** Where people reach the serving tier. */
  readonly url: string;
  /** In apply order; server-side apply each, then prune what the Hearth owns that is not here. */
  readonly objects: readonly DesiredObject[];
  /** To create when missing, before the objects (pods refer to them); never to update. */
  readonly secrets: readonly GeneratedSecret[];
  readonly workloads: readonly WorkloadRef[];
  /** Why the spec's tier does not serve yet, while servingTier differs from tier. */
  readonly migrationBlocked: MigrationBlock | undefined;
}

export interface MigrationBlock {
  readonly reason: 'DataCopyNotAvailable';
  readonly message: string;
}

/** Nothing can be built: apply nothing and prune nothing, so what serves keeps serving. */
export interface DesiredFailure {
  readonly ok: false;
  readonly error: TierError;
}

export type DesiredResult = DesiredTier | DesiredFailure;

interface TierBuilder {
  objects(hearth: Hearth, ctx: TierContext): DesiredObject[];
  secrets(hearth: Hearth): GeneratedSecret[];
  url(hearth: Hearth): string;
}

const embedded: TierBuilder = { objects: desiredEmbedded, secrets: embeddedSecrets, url: embeddedUrl };
const single: TierBuilder = { objects: desiredSingle, secrets: singleSecrets, url: singleUrl };
// The backends' builders follow spec.tier, so the clustered tier's secrets and URL are the single tier's builders'.
const clustered: TierBuilder = { objects: desiredClustered, secrets: singleSecrets, url: singleUrl };

const builders: Readonly<Record<HearthTier, TierBuilder>> = { embedded, single, clustered };

/**
 * The tier serving traffic. A Hearth moves up a tier only once its data has moved; until the copy
 * exists (a later issue) the tier in status keeps serving, and the new tier's objects wait beside it.
 * The CRD refuses a tier change now; this is for a Hearth an earlier release let change.
 */
export function servingTier(hearth: Hearth): HearthTier {
  const asked = hearth.spec.tier ?? 'embedded';
  const serving = hearth.status?.tier;
  if (serving !== undefined && hearthTiers.indexOf(serving) < hearthTiers.indexOf(asked)) return serving;
  return asked;
}

/**
 * NetworkPolicies before the pods they guard, Services before the workloads that look up their
 * names, the Ingress last so it never routes to something that is not there yet.
 */
const applyOrder: readonly DesiredKind[] = [
  'NetworkPolicy',
  'Service',
  'Cluster',
  'StatefulSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'Ingress',
];

export function desiredObjects(hearth: Hearth, ctx: TierContext): DesiredResult {
  const invalid = checkIdentity(hearth) ?? checkReplicas(hearth, ctx.maxReplicas);
  if (invalid !== undefined) return { ok: false, error: invalid };
  const tier = hearth.spec.tier ?? 'embedded';
  const serving = servingTier(hearth);
  const missing = prerequisiteOf(serving, hearth, ctx);
  if (missing !== undefined) return { ok: false, error: missing };
  const servingBuilder = builders[serving];
  const objects = servingBuilder.objects(hearth, ctx);
  const workloads = workloadsOf(objects, serving);
  const secrets = servingBuilder.secrets(hearth);
  let migrationBlocked: MigrationBlock | undefined;
  if (tier !== serving) {
    const askedBuilder = builders[tier];
    // One Ingress, and it stays with the serving tier; nothing of a tier the cluster cannot run yet.
    const waiting = prerequisiteOf(tier, hearth, ctx) === undefined ? askedBuilder.objects(hearth, ctx).filter((object) => object.kind !== 'Ingress') : [];
    objects.push(...waiting);
    workloads.push(...workloadsOf(waiting, tier));
    secrets.push(...askedBuilder.secrets(hearth).filter((secret) => !secrets.some((known) => known.name === secret.name)));
    migrationBlocked = dataCopyNotAvailable(tier, serving);
  }
  return {
    ok: true,
    tier,
    servingTier: serving,
    version: hearthVersion(hearth, ctx),
    image: hearthImage(hearth, ctx),
    url: servingBuilder.url(hearth),
    objects: inApplyOrder(objects),
    secrets,
    workloads,
    migrationBlocked,
  };
}

function prerequisiteOf(tier: HearthTier, hearth: Hearth, ctx: TierContext): TierError | undefined {
  return tier === 'clustered' ? clusteredPrerequisite(hearth, ctx) : undefined;
}

function dataCopyNotAvailable(tier: HearthTier, serving: HearthTier): MigrationBlock {
  return {
    reason: 'DataCopyNotAvailable',
    message:
      `spec.tier is ${tier} but the ${serving} tier holds the data: this operator cannot copy it yet, ` +
      `so the ${serving} tier keeps serving and its volume is kept; set spec.tier back to ${serving} (docs/operator.md#tiers)`,
  };
}

/** The CRD caps every count at 100; the operator may be set to allow fewer (HEARTH_OPERATOR_MAX_REPLICAS). */
function checkReplicas(hearth: Hearth, maxReplicas: number): TierError | undefined {
  const above = replicaCounts(hearth).filter(({ count }) => count > maxReplicas);
  if (above.length === 0) return undefined;
  const fields = above.map(({ field, count }) => `${field} is ${count}`).join(', ');
  return invalidResource(`${fields}: this operator allows at most ${maxReplicas} (HEARTH_OPERATOR_MAX_REPLICAS)`);
}

function inApplyOrder(objects: DesiredObject[]): DesiredObject[] {
  // Array.prototype.sort is stable: within a kind, the builders' order stands.
  return objects.sort((a, b) => applyOrder.indexOf(a.kind) - applyOrder.indexOf(b.kind));
}

function checkIdentity(hearth: Hearth): TierError | undefined {
  const { name, namespace, uid } = hearth.metadata;
  if (name === undefined || name === '') return invalidResource('metadata.name is missing');
  if (namespace === undefined || namespace === '') return invalidResource('metadata.namespace is missing: a Hearth is namespaced');
  if (uid === undefined || uid === '') return invalidResource('metadata.uid is missing: read the Hearth from the API server');
  return undefined;
}
