// The pod that runs `hearth backup` or `hearth restore` against a Hearth's store: the Hearth image,
// the store as the Hearth's own pods reach it, and the archive's place (a claim's directory or an
// S3 prefix). Pure builders; the Jobs and the CronJob are built from this in backup-jobs.ts.
import type { V1Affinity, V1Container, V1EnvVar, V1PodSpec, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { s3CredentialKeys, type ArchiveDestination, type Hearth, type S3Location } from '../api/index.ts';
import { hearthImage, imagePullPolicy, type TierContext } from '../tiers/context.ts';
import { baseHearthEnv, hearthDataDir, serverTierFilesEnv } from '../tiers/hearth-container.ts';
import { publicUrl } from '../tiers/ingress.ts';
import { selectorLabels } from '../tiers/labels.ts';
import { dataClaimName, objectNames } from '../tiers/names.ts';
import { containerSecurityContext, imageUsers, podSecurityContext, secretEnv, tmpMount, tmpVolume, valueEnv } from '../tiers/pod.ts';
import { postgresEnv } from '../tiers/postgres.ts';

/** Where a claim of archives is mounted in the pod. */
export const archivesDir = '/var/lib/hearth-archives';
const archivesVolume = 'archives';
const storeVolume = 'store';

/** Where the archive is, as the pod sees it: a directory under archivesDir, or s3://bucket/prefix. */
export function archivePlace(destination: ArchiveDestination): string {
  if (destination.s3 !== undefined) return s3Url(destination.s3);
  const path = destination.volumeClaim?.path;
  return path === undefined || path === '' ? archivesDir : `${archivesDir}/${path}`;
}

function s3Url(s3: S3Location): string {
  return s3.prefix === undefined || s3.prefix === '' ? `s3://${s3.bucket}` : `s3://${s3.bucket}/${s3.prefix}`;
}

/**
 * The location the pod reports, as the status says it: s3://… as it is, a file on the claim as
 * `<claim>:<path in the claim>`, since the pod's mount point means nothing outside it.
 */
export function archiveLocationOf(reported: string, destination: ArchiveDestination): string {
  const claim = destination.volumeClaim?.claimName;
  if (claim === undefined || !reported.startsWith(`${archivesDir}/`)) return reported;
  return `${claim}:${reported.slice(archivesDir.length + 1)}`;
}

/** The inverse of archiveLocationOf: where the pod reads an archive the status names. */
export function archiveFileOf(location: string, destination: ArchiveDestination): string {
  const claim = destination.volumeClaim?.claimName;
  if (claim === undefined || !location.startsWith(`${claim}:`)) return location;
  return `${archivesDir}/${location.slice(claim.length + 1)}`;
}

/** The S3 variables of `hearth backup` and `hearth restore` (docs/operations.md), the key from its Secret. */
function archiveEnv(destination: ArchiveDestination): V1EnvVar[] {
  const s3 = destination.s3;
  if (s3 === undefined) return [];
  const env: V1EnvVar[] = [];
  if (s3.endpoint !== undefined) env.push(valueEnv('HEARTH_S3_ENDPOINT', s3.endpoint));
  if (s3.region !== undefined) env.push(valueEnv('HEARTH_S3_REGION', s3.region));
  if (s3.forcePathStyle !== undefined) env.push(valueEnv('HEARTH_S3_FORCE_PATH_STYLE', String(s3.forcePathStyle)));
  const secret = s3.credentialsSecretRef.name;
  return [
    ...env,
    secretEnv('AWS_ACCESS_KEY_ID', secret, s3CredentialKeys.accessKeyId),
    secretEnv('AWS_SECRET_ACCESS_KEY', secret, s3CredentialKeys.secretAccessKey),
  ];
}

function isEmbedded(hearth: Hearth): boolean {
  return (hearth.spec.tier ?? 'embedded') === 'embedded';
}

/** The store as the Hearth's pods reach it: the embedded tier's claim, or the server tiers' PostgreSQL. */
function storeEnv(hearth: Hearth): V1EnvVar[] {
  return isEmbedded(hearth) ? [valueEnv('HEARTH_DATA_DIR', hearthDataDir)] : [...postgresEnv(hearth), ...serverTierFilesEnv];
}

/**
 * The embedded tier's volume is ReadWriteOnce: a second pod can mount it only on the node where
 * the Hearth's pod has it mounted.
 */
function nextToEmbeddedPod(hearth: Hearth): V1Affinity {
  const instance = hearth.metadata.name ?? '';
  return {
    podAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels(instance, 'all') } },
      ],
    },
  };
}

/** What one container of the pod runs: `hearth <args>`, with extra variables and mounts. */
export interface ArchiveStep {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: readonly V1EnvVar[];
  readonly volumeMounts?: readonly V1VolumeMount[];
}

export interface ArchivePod {
  readonly hearth: Hearth;
  readonly ctx: TierContext;
  readonly destination: ArchiveDestination;
  /** Run in order, each only if the one before succeeded; the last is the pod's container. */
  readonly steps: readonly ArchiveStep[];
  readonly extraVolumes?: readonly V1Volume[];
  /** A ServiceAccount whose token the pod gets: a restore that creates Secrets (restore-access.ts). */
  readonly serviceAccountName?: string;
}

function volumesOf({ hearth, destination, extraVolumes = [] }: ArchivePod): { volumes: V1Volume[]; mounts: V1VolumeMount[] } {
  const volumes: V1Volume[] = [tmpVolume, ...extraVolumes];
  const mounts: V1VolumeMount[] = [tmpMount];
  if (isEmbedded(hearth)) {
    volumes.push({ name: storeVolume, persistentVolumeClaim: { claimName: dataClaimName(objectNames(hearth.metadata.name ?? '').embedded) } });
    mounts.push({ name: storeVolume, mountPath: hearthDataDir });
  }
  if (destination.volumeClaim !== undefined) {
    volumes.push({ name: archivesVolume, persistentVolumeClaim: { claimName: destination.volumeClaim.claimName } });
    mounts.push({ name: archivesVolume, mountPath: archivesDir });
  }
  return { volumes, mounts };
}

/**
 * The pod of an archive Job or CronJob: every step a `hearth` container with the store's and the
 * archive's variables; restartPolicy Never, so a failed step fails the pod and the Job decides.
 */
export function buildArchivePodSpec(pod: ArchivePod): V1PodSpec {
  const { hearth, ctx, destination, steps } = pod;
  const { volumes, mounts } = volumesOf(pod);
  const env = [
    ...baseHearthEnv(hearth, publicUrl(hearth, objectNames(hearth.metadata.name ?? '').embedded), ctx),
    ...storeEnv(hearth),
    ...archiveEnv(destination),
  ];
  const containers = steps.map((step): V1Container => ({
    name: step.name,
    image: hearthImage(hearth, ctx),
    imagePullPolicy: imagePullPolicy(hearth),
    // The image's entrypoint is the `hearth` command.
    args: [...step.args],
    env: [...env, ...(step.env ?? [])],
    resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
    securityContext: containerSecurityContext(),
    volumeMounts: [...mounts, ...(step.volumeMounts ?? [])],
    // A failure's one line on stderr becomes the termination message the status shows.
    terminationMessagePolicy: 'FallbackToLogsOnError',
  }));
  const last = containers.pop();
  if (last === undefined) throw new Error('an archive pod runs at least one step');
  const spec: V1PodSpec = {
    restartPolicy: 'Never',
    containers: [last],
    volumes,
    securityContext: podSecurityContext(imageUsers.hearth),
    // `hearth` calls the Kubernetes API only to create a restore's Secrets, as the account given for it.
    automountServiceAccountToken: pod.serviceAccountName !== undefined,
    enableServiceLinks: false,
  };
  if (pod.serviceAccountName !== undefined) spec.serviceAccountName = pod.serviceAccountName;
  if (containers.length > 0) spec.initContainers = containers;
  if (isEmbedded(hearth)) spec.affinity = nextToEmbeddedPod(hearth);
  return spec;
}
