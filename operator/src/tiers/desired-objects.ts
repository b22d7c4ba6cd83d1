// Everything a Hearth needs, for whichever tier it asks for: the entry point of the builders.
import { compareSemver, newestOf, parseSemver, type Hearth, type HearthTier } from '../api/index.ts';
import { hearthImage, hearthVersion, type TierContext } from './context.ts';
import { objectMeta, workloadsOf, type DesiredKind, type DesiredObject, type DesiredService, type WorkloadRef } from './desired-object.ts';
import { desiredEmbedded, embeddedSecrets, embeddedUrl } from './embedded.ts';
import { clusteredPrerequisite, desiredClustered } from './clustered.ts';
import { invalidResource, type TierError } from './errors.ts';
import { hearthPortName, hearthServicePort } from './hearth-container.ts';
import { backendNames, commonLabels, hearthTargets, labelKeys, selectorLabels } from './labels.ts';
import { withTier, type TierMove } from './migration-job.ts';
import { askedTier, migrationPhase, servingTierOf, type MigrationPhase } from './migration.ts';
import { objectNames } from './names.ts';
import { replicaCounts } from './replica-counts.ts';
import type { GeneratedSecret } from './secrets.ts';
import { desiredSingle, singleSecrets, singleUrl } from './single.ts';

export interface DesiredTier {
  readonly ok: true;
  /** The tier the spec asks for. */
  readonly tier: HearthTier;
  /** The tier that takes the traffic: the old one until a migration has switched. */
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
  /** The tier migration in effect, as these objects carry it out. */
  readonly migration: MigrationPhase;
  /**
   * Before the switch: the new tier's backends, brought up beside the serving tier, or what the
   * cluster lacks to build the new tier (its prerequisite), for the migration's status to say.
   */
  readonly migrationBackends: MigrationBackends;
  /**
   * Before the switch: the new tier's service Deployments whose names the old tier does not use
   * (embedded → single), built once the copy is done (StartingServices), so that they are ready
   * before the Service moves to them. Listed from the start, built or not: empty when the services
   * keep their names (single → clustered) or the new tier cannot be built here.
   */
  readonly migrationServices: readonly WorkloadRef[];
  /**
   * The old tier's StatefulSets the new tier has no counterpart of (after a switch, or a finished
   * migration): scaled to 0, then pruned; their claims hold the old data (spec.migration.deleteOldData).
   */
  readonly oldStatefulSets: readonly string[];
}

export type MigrationBackends =
  { readonly buildable: true; readonly workloads: readonly WorkloadRef[] } | { readonly buildable: false; readonly missing: TierError };

const noMigrationBackends: MigrationBackends = { buildable: true, workloads: [] };

/** Nothing can be built: apply nothing and prune nothing, so what serves keeps serving. */
export interface DesiredFailure {
  readonly ok: false;
  readonly error: TierError;
}

export type DesiredResult = DesiredTier | DesiredFailure;

/** What the reconcile saw that the build depends on. */
export interface DesiredOptions {
  /**
   * The Hearth has a Service named after it (the embedded tier's, which people may address):
   * in a server tier it is kept, reaching the gateway, so that an address made before a migration
   * from the embedded tier goes on working.
   */
  readonly addressService?: boolean;
}

interface TierBuilder {
  objects(hearth: Hearth, ctx: TierContext): DesiredObject[];
  secrets(hearth: Hearth): GeneratedSecret[];
  url(hearth: Hearth): string;
}

const embedded: TierBuilder = { objects: desiredEmbedded, secrets: embeddedSecrets, url: embeddedUrl };
const single: TierBuilder = { objects: desiredSingle, secrets: singleSecrets, url: singleUrl };
// The backends' builders follow spec.tier (withTier sets it), so the clustered tier's secrets and URL are the single tier's builders'.
const clustered: TierBuilder = { objects: desiredClustered, secrets: singleSecrets, url: singleUrl };

const builders: Readonly<Record<HearthTier, TierBuilder>> = { embedded, single, clustered };

/** The tier serving traffic: the tier in status until a migration to the asked tier has switched. */
export function servingTier(hearth: Hearth): HearthTier {
  return servingTierOf(migrationPhase(hearth), askedTier(hearth));
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

export function desiredObjects(hearth: Hearth, ctx: TierContext, options: DesiredOptions = {}): DesiredResult {
  const invalid = checkIdentity(hearth) ?? checkReplicas(hearth, ctx.maxReplicas) ?? checkNoDowngrade(hearth, ctx);
  if (invalid !== undefined) return { ok: false, error: invalid };
  const tier = askedTier(hearth);
  const migration = migrationPhase(hearth);
  const serving = servingTierOf(migration, tier);
  const missing = prerequisiteOf(serving, hearth, ctx);
  if (missing !== undefined) return { ok: false, error: missing };
  const built: Built = { objects: tierObjects(hearth, serving, ctx, options), secrets: builders[serving].secrets(withTier(hearth, serving)), workloads: [] };
  built.workloads.push(...workloadsOf(built.objects, serving));
  const extra = migrationObjects({ hearth, ctx, options }, migration, built);
  return {
    ok: true,
    tier,
    servingTier: serving,
    version: hearthVersion(hearth, ctx),
    image: hearthImage(hearth, ctx),
    url: builders[serving].url(hearth),
    objects: inApplyOrder(built.objects),
    secrets: built.secrets,
    workloads: built.workloads,
    migration,
    ...extra,
  };
}

interface Built {
  objects: DesiredObject[];
  secrets: GeneratedSecret[];
  workloads: WorkloadRef[];
}

/** One tier's objects, built as if the spec asked for it; in a server tier, the address Service if the Hearth has one. */
function tierObjects(hearth: Hearth, tier: HearthTier, ctx: TierContext, options: DesiredOptions): DesiredObject[] {
  const objects = builders[tier].objects(withTier(hearth, tier), ctx);
  if (tier !== 'embedded' && options.addressService === true) objects.push(buildAddressService(hearth, ctx));
  return objects;
}

/** What every build of one reconcile starts from. */
interface BuildInput {
  readonly hearth: Hearth;
  readonly ctx: TierContext;
  readonly options: DesiredOptions;
}

/** What a migration adds to the serving tier's objects (into `built`), and what the migration step needs to know of them. */
function migrationObjects(
  input: BuildInput,
  migration: MigrationPhase,
  built: Built,
): Pick<DesiredTier, 'migrationBackends' | 'migrationServices' | 'oldStatefulSets'> {
  const { hearth, ctx } = input;
  if (migration.kind === 'copying') return { ...addNewTier(input, migration, built), oldStatefulSets: [] };
  if (migration.kind === 'switched')
    return { migrationBackends: noMigrationBackends, migrationServices: [], oldStatefulSets: addOldTier(hearth, ctx, migration, built) };
  const last = hearth.status?.migration;
  const finished = migration.kind === 'none' && last?.stage === 'Succeeded' && last.to === askedTier(hearth);
  return {
    migrationBackends: noMigrationBackends,
    migrationServices: [],
    oldStatefulSets: finished ? oldOnly(tierObjects(hearth, last.from, ctx, {}), built.objects, 'StatefulSet').map(nameOf) : [],
  };
}

/**
 * Before the switch, the new tier beside the serving tier, in the parts the serving tier does not
 * run under the same names: its backends from the start, its services once the copy is done. For
 * single → clustered that is PostgreSQL alone (a CloudNativePG Cluster); NATS and Redis keep their
 * names and are reshaped at the switch (they hold nothing the store does not: replay and
 * presence), and so do the services, updated in place at the switch. The services of embedded →
 * single wait for the copy: they would write to the store the copy fills.
 */
function addNewTier(
  { hearth, ctx }: BuildInput,
  migration: { move: TierMove; startServices: boolean },
  built: Built,
): Pick<DesiredTier, 'migrationBackends' | 'migrationServices'> {
  const { move } = migration;
  const missing = prerequisiteOf(move.to, hearth, ctx);
  if (missing !== undefined) return { migrationBackends: { buildable: false, missing }, migrationServices: [] };
  // Without the address Service: it is the old tier's Service, moved to the gateway at the switch.
  const next = tierObjects(hearth, move.to, ctx, {});
  const backends = newParts(next, built.objects, backendOf);
  const services = newParts(next, built.objects, serviceOf);
  built.objects.push(...backends, ...(migration.startServices ? services : []));
  const secrets = builders[move.to].secrets(withTier(hearth, move.to));
  built.secrets.push(...secrets.filter((secret) => !built.secrets.some((known) => known.name === secret.name)));
  const backendWorkloads = workloadsOf(backends, move.to);
  const migrationServices = workloadsOf(services, move.to);
  built.workloads.push(...backendWorkloads, ...(migration.startServices ? migrationServices : []));
  return { migrationBackends: { buildable: true, workloads: backendWorkloads }, migrationServices };
}

/**
 * The objects of `next` in the parts (as partOf names them) of which the current objects hold none
 * of the same kind and name: a part with one name in common is reshaped at the switch instead.
 */
function newParts(next: readonly DesiredObject[], current: readonly DesiredObject[], partOf: (object: DesiredObject) => string | undefined): DesiredObject[] {
  const taken = new Set(current.map(keyOf));
  const reshaped = new Set(next.filter((object) => taken.has(keyOf(object))).map(partOf));
  return next.filter((object) => partOf(object) !== undefined && !reshaped.has(partOf(object)));
}

/** After the switch, the old tier's own objects stay (its StatefulSets at 0 pods once scaling down) until the migration succeeds. */
function addOldTier(hearth: Hearth, ctx: TierContext, migration: { move: TierMove; scaleDown: boolean }, built: Built): string[] {
  const old = oldOnly(tierObjects(hearth, migration.move.from, ctx, {}), built.objects);
  for (const object of old) if (object.kind === 'StatefulSet' && migration.scaleDown && object.spec !== undefined) object.spec.replicas = 0;
  built.objects.push(...old.filter((object) => object.kind !== 'Ingress'));
  built.workloads.push(...workloadsOf(old, migration.move.from));
  return old.filter((object) => object.kind === 'StatefulSet').map(nameOf);
}

function oldOnly(old: DesiredObject[], current: readonly DesiredObject[], kind?: DesiredKind): DesiredObject[] {
  const taken = new Set(current.map(keyOf));
  return old.filter((object) => !taken.has(keyOf(object)) && (kind === undefined || object.kind === kind));
}

const keyOf = (object: DesiredObject): string => `${object.kind}/${object.metadata.name}`;
const nameOf = (object: DesiredObject): string => object.metadata.name;

/** The backend an object belongs to (the Sentinels are Redis's), or undefined for what is not a backend's. */
function backendOf(object: DesiredObject): string | undefined {
  const component = object.metadata.labels[labelKeys.component];
  if (component === 'sentinel') return 'redis';
  return component !== undefined && (backendNames as readonly string[]).includes(component) ? component : undefined;
}

/** The service an object belongs to (gateway, realtime, messaging), or undefined; the Ingress moves only at the switch. */
function serviceOf(object: DesiredObject): string | undefined {
  const component = object.metadata.labels[labelKeys.component];
  if (object.kind === 'Ingress' || component === undefined || component === 'all') return undefined;
  return (hearthTargets as readonly string[]).includes(component) ? component : undefined;
}

/** The Service named after the Hearth, reaching the gateway as it reached the embedded pod. */
function buildAddressService(hearth: Hearth, ctx: TierContext): DesiredService {
  const instance = hearth.metadata.name ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(hearth, objectNames(instance).embedded, commonLabels(instance, 'gateway', hearthVersion(hearth, ctx))),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(instance, 'gateway'),
      ports: [{ name: hearthPortName, port: hearthServicePort, targetPort: hearthPortName, protocol: 'TCP' }],
    },
  };
}

function prerequisiteOf(tier: HearthTier, hearth: Hearth, ctx: TierContext): TierError | undefined {
  return tier === 'clustered' ? clusteredPrerequisite(hearth, ctx) : undefined;
}

/**
 * The CRD refuses a step back from one release to an older one, but cannot see through a tag that
 * is none (0.3.0 → nightly → 0.1.0): the newest release that served is the floor, as the database
 * has been migrated to it.
 */
function checkNoDowngrade(hearth: Hearth, ctx: TierContext): TierError | undefined {
  // newestOf gives a semantic version or nothing, so `floor` is one whenever `newest` is.
  const newest = newestOf(hearth.status?.newestVersion, hearth.status?.version);
  const asked = hearthVersion(hearth, ctx);
  const [floor, wanted] = [parseSemver(newest ?? ''), parseSemver(asked)];
  if (floor === undefined || wanted === undefined || compareSemver(wanted, floor) >= 0) return undefined;
  return invalidResource(
    `spec.version ${asked} is older than ${newest}, the newest release this Hearth has served: schema migrations are not reversible; set spec.version to ${newest} or newer, or restore a backup into a new Hearth of ${asked} (docs/operator.md#upgrade)`,
  );
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
