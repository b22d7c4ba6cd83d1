// The `hearth` container and its pod, the same in every tier; only the target, the environment
// and the volumes differ.
import type { V1Container, V1EnvVar, V1PodSpec, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { Hearth, HearthServiceName, OidcSpec } from '../api/index.ts';
import { hearthImage, hearthVersion, imagePullPolicy, type TierContext } from './context.ts';
import { objectNames } from './names.ts';
import type { GeneratedSecret } from './secrets.ts';
import { containerSecurityContext, httpProbe, imageUsers, podSecurityContext, secretEnv, tmpMount, tmpVolume, valueEnv } from './pod.ts';

export type HearthTarget = 'all' | HearthServiceName;

export const hearthContainerName = 'hearth';
export const hearthPort = 8080;
export const hearthPortName = 'http';
/** The port of the Services in front of Hearth pods: 80, like any web service. */
export const hearthServicePort = 80;
/** Where the embedded tier's volume is mounted (HEARTH_DATA_DIR). */
export const hearthDataDir = '/var/lib/hearth';
/** The key of the generated session Secret. */
export const sessionKeyKey = 'key';

export interface HearthContainerOptions {
  readonly target: HearthTarget;
  readonly env: readonly V1EnvVar[];
  readonly resources: V1ResourceRequirements;
  readonly volumeMounts?: readonly V1VolumeMount[];
}

/**
 * V8's young generation capped for the targets that hold the realtime connections: its default
 * (16 MiB a semi-space here) keeps each connect burst's garbage resident, and at 8 MiB a
 * connection costs about a third of the memory with no change in latency or CPU per frame
 * (bench/README.md, "The young generation, measured again"). The e2e harness gives the same
 * (e2e/harness.ts, CONNECTION_HOLDER_NODE_OPTIONS), so the benchmarks measure what runs here.
 */
export const connectionHolderNodeOptions = '--max-semi-space-size=8';

/** The Node.js options of a target's process, if it needs any. */
export function nodeOptionsEnv(target: HearthTarget): V1EnvVar[] {
  return target === 'realtime' || target === 'all' ? [valueEnv('NODE_OPTIONS', connectionHolderNodeOptions)] : [];
}

/** The variables every target reads (docs/architecture.md, Configuration). */
export function baseHearthEnv(hearth: Hearth, publicUrl: string, ctx: TierContext): V1EnvVar[] {
  const env = [
    valueEnv('HEARTH_HTTP_PORT', String(hearthPort)),
    valueEnv('HEARTH_PUBLIC_URL', publicUrl),
    valueEnv('HEARTH_INSTANCE', hearth.metadata.name ?? ''),
    // The release the image runs, for hearth_build_info.
    valueEnv('HEARTH_VERSION', hearthVersion(hearth, ctx)),
  ];
  // Behind the Ingress the client's address is the one the ingress controller (one hop) saw;
  // without this, rate limits would count every client as the controller.
  if (hearth.spec.ingress !== undefined) env.push(valueEnv('HEARTH_TRUST_PROXY', '1'));
  // Traces go to the collector; each process names itself hearth-<target> (docs/observability.md).
  const otlpEndpoint = hearth.spec.observability?.otlpEndpoint;
  if (otlpEndpoint !== undefined) env.push(valueEnv('OTEL_EXPORTER_OTLP_ENDPOINT', otlpEndpoint));
  // Hearth pushes by default: only turning it off needs saying.
  if (hearth.spec.features?.webPush === false) env.push(valueEnv('HEARTH_PUSH', 'false'));
  const allowedNetworks = hearth.spec.webhooks?.allowedNetworks ?? [];
  if (allowedNetworks.length > 0) env.push(valueEnv('HEARTH_WEBHOOK_ALLOWED_NETWORKS', allowedNetworks.join(',')));
  return env;
}

/**
 * Files (spec.features.files, spec.files), for the targets that take, serve and delete them
 * (gateway, messaging, or `all`): kept in `storage`, the tier's own place for data (the embedded
 * tier's volume, the server tiers' PostgreSQL). Set either way, since Hearth's own default for
 * the embedded tier is on.
 */
export function filesEnv(hearth: Hearth, storage: 'directory' | 'postgres'): V1EnvVar[] {
  if (hearth.spec.features?.files !== true) return [valueEnv('HEARTH_FILES_STORAGE', 'off')];
  const env = [valueEnv('HEARTH_FILES_STORAGE', storage)];
  const { maxSizeMiB, allowedTypes } = hearth.spec.files ?? {};
  if (maxSizeMiB !== undefined) env.push(valueEnv('HEARTH_FILES_MAX_BYTES', String(maxSizeMiB * 1024 * 1024)));
  if (allowedTypes !== undefined) env.push(valueEnv('HEARTH_FILES_TYPES', allowedTypes.join(',')));
  return env;
}

/**
 * Where a server tier's files are, for the Jobs that copy data (backup, restore, migrate): set
 * whether files are on or not, so that files posted while they were on are never left behind.
 * (The embedded tier's are found beside its database, where HEARTH_DATA_DIR points.)
 */
export const serverTierFilesEnv: readonly V1EnvVar[] = Object.freeze([valueEnv('HEARTH_FILES_STORAGE', 'postgres')]);

/** The most a request body may be through the Ingress: a file at the limit, and room for the request around it. */
export function uploadBodyMiB(hearth: Hearth): number | undefined {
  if (hearth.spec.features?.files !== true) return undefined;
  return (hearth.spec.files?.maxSizeMiB ?? DEFAULT_FILE_MAX_MIB) + 1;
}

/** Hearth's own default for HEARTH_FILES_MAX_BYTES (services/core/src/config.ts), in MiB. */
const DEFAULT_FILE_MAX_MIB = 25;

/**
 * How people sign in (docs/sso.md), for the targets that serve the REST API: only they read it,
 * and only they get the OIDC client secret.
 */
export function authEnv(hearth: Hearth): V1EnvVar[] {
  const { local, oidc } = hearth.spec.auth ?? {};
  // Without SSO passwords stay on whatever the spec says: the CRD refuses that combination.
  if (oidc === undefined) return [];
  const env = oidcEnv(oidc);
  if (local?.enabled === false) env.push(valueEnv('HEARTH_PASSWORD_SIGN_IN', 'admins'));
  return env;
}

/** The OIDC settings the spec gives; an optional one left out is Hearth's default. */
function oidcEnv(oidc: OidcSpec): V1EnvVar[] {
  const env = [valueEnv('HEARTH_OIDC_ISSUER_URL', oidc.issuerURL), valueEnv('HEARTH_OIDC_CLIENT_ID', oidc.clientID)];
  // Hearth refuses an http:// issuer on its own; the CRD lets one through only with this field.
  if (oidc.allowInsecureIssuer === true) env.push(valueEnv('HEARTH_OIDC_ALLOW_INSECURE_ISSUER', 'true'));
  // The CRD refuses an oidc block without the reference; the key defaults to clientSecret.
  if (oidc.clientSecretRef !== undefined)
    env.push(secretEnv('HEARTH_OIDC_CLIENT_SECRET', oidc.clientSecretRef.name, oidc.clientSecretRef.key ?? 'clientSecret'));
  if (oidc.groupsClaim !== undefined) env.push(valueEnv('HEARTH_OIDC_GROUPS_CLAIM', oidc.groupsClaim));
  if (oidc.emailVerifiedClaim !== undefined) env.push(valueEnv('HEARTH_OIDC_EMAIL_VERIFIED_CLAIM', oidc.emailVerifiedClaim));
  return [...env, ...listEnv('HEARTH_OIDC_SCOPES', oidc.scopes, ' '), ...listEnv('HEARTH_OIDC_ADMIN_GROUPS', oidc.adminGroups, ',')];
}

/** A list joined by `separator`; no variable for a list absent or empty. */
function listEnv(name: string, list: readonly string[] | undefined, separator: string): V1EnvVar[] {
  return list === undefined || list.length === 0 ? [] : [valueEnv(name, list.join(separator))];
}

/**
 * The generated session key. Not read by the services yet (they keep sessions in the store); it is
 * provisioned now so that the Secret exists, unchanged, from the first day of every Hearth.
 */
export function sessionSecretEnv(hearth: Hearth): V1EnvVar {
  return secretEnv('HEARTH_SESSION_SECRET', objectNames(hearth.metadata.name ?? '').sessionKey, sessionKeyKey);
}

/** Shared by both tiers: a Hearth keeps its session key across a tier change. */
export function sessionKeySecret(hearth: Hearth): GeneratedSecret {
  return {
    name: objectNames(hearth.metadata.name ?? '').sessionKey,
    component: 'session',
    keys: [{ key: sessionKeyKey, bytes: 32, encoding: 'base64url', description: 'signs session cookies (HEARTH_SESSION_SECRET)' }],
  };
}

export function buildHearthContainer(hearth: Hearth, ctx: TierContext, options: HearthContainerOptions): V1Container {
  return {
    name: hearthContainerName,
    image: hearthImage(hearth, ctx),
    imagePullPolicy: imagePullPolicy(hearth),
    // The image's entrypoint is the `hearth` command; the target picks the role.
    args: [`--target=${options.target}`],
    ports: [{ name: hearthPortName, containerPort: hearthPort, protocol: 'TCP' }],
    env: [...nodeOptionsEnv(options.target), ...options.env],
    resources: options.resources,
    securityContext: containerSecurityContext(),
    volumeMounts: [...(options.volumeMounts ?? []), tmpMount],
    // /healthz answers as soon as the process listens, even while backends are awaited.
    startupProbe: httpProbe('/healthz', hearthPortName, { periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 90 }),
    livenessProbe: httpProbe('/healthz', hearthPortName, { periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }),
    readinessProbe: httpProbe('/readyz', hearthPortName, { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 }),
    // Endpoints take a moment to drop a terminating pod; keep serving until they have.
    lifecycle: { preStop: { sleep: { seconds: 5 } } },
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export function buildHearthPodSpec(container: V1Container, volumes: readonly V1Volume[] = []): V1PodSpec {
  return {
    containers: [container],
    volumes: [...volumes, tmpVolume],
    securityContext: podSecurityContext(imageUsers.hearth),
    // Hearth never calls the Kubernetes API, and Service links would add variables nobody reads.
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
  };
}
