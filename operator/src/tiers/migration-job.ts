// The copy Job of a tier migration: `hearth migrate` in the Hearth image, reading the old tier's
// store and writing the new tier's (the contract: docs/operator.md#migrate-to-a-higher-tier). It pauses writes on
// the source itself, under a lease, copies, verifies, and exits 0 or 1 with one line saying why.
import { createHash } from 'node:crypto';
import type { V1Affinity, V1EnvVar, V1Job, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Hearth, HearthTier } from '../api/index.ts';
import { hearthImage, imagePullPolicy, type TierContext } from './context.ts';
import { objectMeta, type DesiredMeta } from './desired-object.ts';
import { baseHearthEnv, serverTierFilesEnv } from './hearth-container.ts';
import { commonLabels, selectorLabels } from './labels.ts';
import { dataClaimName, objectNames } from './names.ts';
import { containerSecurityContext, imageUsers, podSecurityContext, tmpMount, tmpVolume, valueEnv } from './pod.ts';
import { postgresEnv } from './postgres.ts';
import { singleUrl } from './single.ts';

export type DesiredJob = V1Job & { apiVersion: 'batch/v1'; kind: 'Job'; metadata: DesiredMeta };

/** One step up: what a migration copies from and to. */
export interface TierMove {
  readonly from: HearthTier;
  readonly to: HearthTier;
}

export const migrateContainerName = 'migrate';
/** Where the embedded tier's volume is mounted in the copy Job (HEARTH_SOURCE_DATA_DIR). */
export const sourceDataDir = '/var/lib/hearth-source';
const sourceVolumeName = 'source';
/** The label on a copy Job that says which tier it copies to. */
export const migrationToLabel = 'hearth.dev/migration-to';
/**
 * One retry inside the Job for a pod lost to its node; a copy that fails twice is for a person to
 * look at (and retry with the annotation): every run holds the old tier read-only while it lasts.
 */
export const migrationBackoffLimit = 1;

/**
 * `<hearth>-migrate-<6 hex>`: the same for the same move and attempt, so that an operator that
 * restarts finds the Job it made rather than making a second; another for a retry, so that the new
 * Job never waits on the deletion of the failed one. 40 + 9 + 6 characters: a label value (job-name).
 */
export function migrationJobName(hearthName: string, move: TierMove, attempt: string): string {
  const digest = createHash('sha256').update(`${move.from}\0${move.to}\0${attempt}`).digest('hex').slice(0, 6);
  return `${hearthName}-migrate-${digest}`;
}

/** The Hearth as the builders of `tier` need it: they read spec.tier to pick each backend's shape. */
export function withTier(hearth: Hearth, tier: HearthTier): Hearth {
  return { ...hearth, spec: { ...hearth.spec, tier } };
}

/**
 * Whether both tiers keep their data in one store, so there is nothing to copy: single → clustered
 * with spec.database.external, which both tiers use.
 */
export function isSameStore(hearth: Hearth, move: TierMove): boolean {
  return move.from !== 'embedded' && hearth.spec.database?.external !== undefined;
}

export function buildMigrationJob(hearth: Hearth, ctx: TierContext, move: TierMove, attempt: string): DesiredJob {
  const instance = hearth.metadata.name ?? '';
  const labels = commonLabels(instance, 'migration');
  const fromEmbedded = move.from === 'embedded';
  const volumes: V1Volume[] = [tmpVolume];
  const volumeMounts: V1VolumeMount[] = [tmpMount];
  if (fromEmbedded) {
    volumes.push({ name: sourceVolumeName, persistentVolumeClaim: { claimName: dataClaimName(objectNames(instance).embedded) } });
    volumeMounts.push({ name: sourceVolumeName, mountPath: sourceDataDir });
  }
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: objectMeta(hearth, migrationJobName(instance, move, attempt), { ...labels, [migrationToLabel]: move.to }),
    spec: {
      backoffLimit: migrationBackoffLimit,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: migrateContainerName,
              image: hearthImage(hearth, ctx),
              imagePullPolicy: imagePullPolicy(hearth),
              // The image's entrypoint is the `hearth` command.
              args: ['migrate'],
              env: migrationEnv(hearth, ctx, move),
              resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: containerSecurityContext(),
              volumeMounts,
              // Its last line on stderr (why it failed) becomes the termination message the status shows.
              terminationMessagePolicy: 'FallbackToLogsOnError',
            },
          ],
          volumes,
          securityContext: podSecurityContext(imageUsers.hearth),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          ...(fromEmbedded ? { affinity: nextToEmbeddedPod(instance) } : {}),
        },
      },
    },
  };
}

/**
 * The embedded tier's volume is ReadWriteOnce: it can be mounted by a second pod only on the node
 * where the embedded pod has it mounted.
 */
function nextToEmbeddedPod(instance: string): V1Affinity {
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels(instance, 'all') } },
      ],
    },
  };
}

/** The source store (HEARTH_SOURCE_*), then the target as the new tier's services reach it. */
function migrationEnv(hearth: Hearth, ctx: TierContext, move: TierMove): V1EnvVar[] {
  const source = move.from === 'embedded' ? [valueEnv('HEARTH_SOURCE_DATA_DIR', sourceDataDir)] : asSource(postgresEnv(withTier(hearth, move.from)));
  return [...baseHearthEnv(hearth, singleUrl(hearth), ctx), ...source, ...postgresEnv(withTier(hearth, move.to)), ...serverTierFilesEnv];
}

/**
 * A server tier's database variables renamed for the source (HEARTH_SOURCE_DATABASE_URL), with
 * the $(VAR) references in them renamed too, so that they cannot pick the target's password.
 */
export function asSource(env: readonly V1EnvVar[]): V1EnvVar[] {
  const rename = (name: string): string => (name.startsWith('HEARTH_') ? name.replace(/^HEARTH_/, 'HEARTH_SOURCE_') : `SOURCE_${name}`);
  const names = env.map((variable) => variable.name);
  return env.map((variable) => {
    const renamed: V1EnvVar = { ...variable, name: rename(variable.name) };
    if (variable.value !== undefined) renamed.value = names.reduce((value, name) => value.replaceAll(`$(${name})`, `$(${rename(name)})`), variable.value);
    return renamed;
  });
}
