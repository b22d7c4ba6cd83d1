// The operator's configuration, read once from the environment. A bad value stops the start with
// one line naming the variable (main.ts exits 2).
import { hostname } from 'node:os';
import { leaderElectionTiming } from '@hearth/kube-runtime';
import { defaultHearthImage, defaultHearthVersion, maxReplicasCeiling } from './api/index.ts';
import { defaultBackendImages, type BackendImages } from './tiers/index.ts';

export interface OperatorConfig {
  /** A kubeconfig file; undefined: in-cluster when running in a pod, else ~/.kube/config. */
  readonly kubeconfig: string | undefined;
  readonly inCluster: boolean;
  /** Watch only these namespaces (one informer per namespace and kind); undefined: all namespaces. */
  readonly namespaces: readonly string[] | undefined;
  readonly leaderElection:
    | { readonly enabled: false }
    | {
        readonly enabled: true;
        readonly name: string;
        readonly namespace: string;
        readonly identity: string;
        readonly leaseDurationMs: number;
        readonly renewDeadlineMs: number;
        readonly retryPeriodMs: number;
      };
  readonly httpPort: number;
  readonly httpHost: string;
  readonly resyncMs: number;
  readonly workers: number;
  readonly notReadyRequeueMs: number;
  /** How long the answer to "is CloudNativePG installed?" is trusted before asking again. */
  readonly discoveryMs: number;
  readonly shutdownDeadlineMs: number;
  readonly image: string;
  readonly version: string;
  readonly backendImages: BackendImages;
  /** The most replicas a Hearth may ask for in one workload; a spec above it is Failed (InvalidResource). */
  readonly maxReplicas: number;
}

export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A whole number's default when unset, and the range it must be in (no upper end when max is not given). */
interface IntegerBounds {
  readonly fallback: number;
  readonly min: number;
  readonly max?: number;
}

function integer(env: Env, name: string, { fallback, min, max = Number.MAX_SAFE_INTEGER }: IntegerBounds): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `${value} is outside ${min}..${max}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `"${raw}" is not true or false`);
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

function name(env: Env, variable: string, pattern: RegExp, fallback?: string): string | undefined {
  const value = text(env, variable) ?? fallback;
  if (value !== undefined && !pattern.test(value)) throw new ConfigError(variable, `"${value}" is not a valid Kubernetes name`);
  return value;
}

/**
 * A comma-separated list of namespaces, each a DNS label and none twice; undefined when unset. A
 * bad item is refused rather than dropped: watching fewer namespaces than asked would go unnoticed.
 */
function namespaceList(env: Env, variable: string): readonly string[] | undefined {
  const raw = text(env, variable);
  if (raw === undefined) return undefined;
  const namespaces = raw.split(',').map((item) => item.trim());
  const seen = new Set<string>();
  for (const namespace of namespaces) {
    if (namespace === '') throw new ConfigError(variable, `"${raw}" has an empty namespace; give names separated by commas`);
    if (!dnsLabel.test(namespace)) throw new ConfigError(variable, `"${namespace}" is not a valid namespace name (a DNS label: a-z, 0-9 and -, at most 63)`);
    if (seen.has(namespace)) throw new ConfigError(variable, `namespace "${namespace}" is listed twice`);
    seen.add(namespace);
  }
  return Object.freeze(namespaces);
}

function leaderElection(env: Env, watched: readonly string[] | undefined): OperatorConfig['leaderElection'] {
  if (!boolean(env, 'HEARTH_OPERATOR_LEADER_ELECTION', true)) return { enabled: false };
  const leaseName = name(env, 'HEARTH_OPERATOR_LEASE_NAME', dnsSubdomain, 'hearth-operator') ?? 'hearth-operator';
  const leaseNamespace = name(env, 'HEARTH_OPERATOR_LEASE_NAMESPACE', dnsLabel, text(env, 'POD_NAMESPACE') ?? watched?.[0] ?? 'default') ?? 'default';
  const identity = text(env, 'HEARTH_OPERATOR_IDENTITY') ?? `${text(env, 'POD_NAME') ?? hostname()}_${process.pid}`;
  const leaseDurationMs = integer(env, 'HEARTH_OPERATOR_LEASE_DURATION_SECONDS', { fallback: 15, min: 1, max: 3600 }) * 1000;
  const renewDeadlineMs = integer(env, 'HEARTH_OPERATOR_RENEW_DEADLINE_SECONDS', { fallback: 10, min: 1, max: 3600 }) * 1000;
  const retryPeriodMs = integer(env, 'HEARTH_OPERATOR_RETRY_PERIOD_SECONDS', { fallback: 2, min: 1, max: 3600 }) * 1000;
  try {
    leaderElectionTiming({ leaseDurationMs, renewDeadlineMs, retryPeriodMs });
  } catch (error) {
    throw new ConfigError('HEARTH_OPERATOR_LEASE_DURATION_SECONDS', `with the renew deadline and retry period: ${(error as Error).message}`);
  }
  return { enabled: true, name: leaseName, namespace: leaseNamespace, identity, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

export function loadConfig(env: Env = process.env): OperatorConfig {
  const namespaces = namespaceList(env, 'HEARTH_OPERATOR_NAMESPACE');
  const config: OperatorConfig = {
    kubeconfig: text(env, 'KUBECONFIG'),
    inCluster: text(env, 'KUBERNETES_SERVICE_HOST') !== undefined,
    namespaces,
    leaderElection: leaderElection(env, namespaces),
    httpPort: integer(env, 'HEARTH_OPERATOR_HTTP_PORT', { fallback: 8080, min: 0, max: 65535 }),
    httpHost: text(env, 'HEARTH_OPERATOR_HTTP_HOST') ?? '0.0.0.0',
    resyncMs: integer(env, 'HEARTH_OPERATOR_RESYNC_SECONDS', { fallback: 600, min: 0 }) * 1000,
    workers: integer(env, 'HEARTH_OPERATOR_WORKERS', { fallback: 4, min: 1, max: 256 }),
    notReadyRequeueMs: integer(env, 'HEARTH_OPERATOR_NOT_READY_REQUEUE_SECONDS', { fallback: 15, min: 1 }) * 1000,
    discoveryMs: integer(env, 'HEARTH_OPERATOR_DISCOVERY_SECONDS', { fallback: 30, min: 1 }) * 1000,
    shutdownDeadlineMs: integer(env, 'HEARTH_OPERATOR_SHUTDOWN_SECONDS', { fallback: 30, min: 0 }) * 1000,
    image: text(env, 'HEARTH_OPERATOR_DEFAULT_IMAGE') ?? defaultHearthImage,
    version: text(env, 'HEARTH_OPERATOR_DEFAULT_VERSION') ?? defaultHearthVersion,
    maxReplicas: integer(env, 'HEARTH_OPERATOR_MAX_REPLICAS', { fallback: maxReplicasCeiling, min: 1, max: maxReplicasCeiling }),
    backendImages: {
      postgres: text(env, 'HEARTH_OPERATOR_POSTGRES_IMAGE') ?? defaultBackendImages.postgres,
      nats: text(env, 'HEARTH_OPERATOR_NATS_IMAGE') ?? defaultBackendImages.nats,
      redis: text(env, 'HEARTH_OPERATOR_REDIS_IMAGE') ?? defaultBackendImages.redis,
      cloudNativePG: text(env, 'HEARTH_OPERATOR_CLOUDNATIVEPG_IMAGE') ?? defaultBackendImages.cloudNativePG,
    },
  };
  return Object.freeze(config);
}
