// The operator: a controller for Hearth with the kinds it owns, wired to the reconcile chain.
// main.ts runs it as a process; tests may run it in theirs.
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { hearthApiVersion, hearthGroup, hearthKind, type Hearth } from './api/index.ts';
import {
  createController,
  createInformer,
  createKubeHttp,
  createMergedInformer,
  createMetricsRegistry,
  createOwnWrites,
  createRequestRecorder,
  objectKey,
  ownerKeys,
  specChanged,
  type Controller,
  type ControllerEvent,
  type Informer,
  type InformerOptions,
  type KubeHttp,
  type KubeObject,
  type MetricsRegistry,
  type RequestRecorder,
  type ResourceRef,
} from '@hearth/kube-runtime';
import { cloudNativePGGroupVersion, labelKeys, managedBy } from './tiers/index.ts';
import type { OperatorConfig } from './config.ts';
import type { CachedKind } from './reconcile/context.ts';
import { createGroupDiscovery, createMonitoringDiscovery } from './reconcile/discovery.ts';
import { createEventRecorder, type EventRecorder } from './reconcile/events.ts';
import { createHearthReconciler } from './reconcile/reconcile-hearth.ts';
import { resourceOf, watchedKinds, type OwnedKindName } from './reconcile/kinds.ts';
import { createKubeClient, tellingOwnWrites, type KubeClient } from './reconcile/kube-client.ts';
import { createArchiveControllers, type BackupControllerOptions, type InformerFactory } from './backup/backup-controller.ts';
import { createMetadataHttp, createSecretReferenceIndex, secretWatchFieldSelector } from './secret-watch.ts';

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface Operator {
  readonly controller: Controller;
  readonly client: KubeClient;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function loadKubeConfig(config: OperatorConfig): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (config.kubeconfig !== undefined) kubeConfig.loadFromFile(config.kubeconfig);
  else if (config.inCluster) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}

const hearthOwner = { apiVersion: `${hearthGroup}/${hearthApiVersion}`, kind: hearthKind };

/** The Hearths an owned object belongs to: its owner references, else its instance label (a kept Secret has no owner). */
function hearthKeysOf(object: KubeObject): string[] {
  const keys = ownerKeys(object, hearthOwner);
  const instance = object.metadata?.labels?.[labelKeys.instance];
  const namespace = object.metadata?.namespace;
  if (keys.length === 0 && instance !== undefined && namespace !== undefined) keys.push(`${namespace}/${instance}`);
  return keys;
}

/**
 * One informer of `resource` in the watched namespaces: a plain one for every namespace or for one;
 * for several, one per namespace merged, since a Role per namespace allows no request that spans them.
 */
function informerIn<T extends KubeObject>(
  namespaces: readonly string[] | undefined,
  resource: ResourceRef,
  options: Omit<InformerOptions, 'resource'>,
): Informer<T> {
  if (namespaces === undefined || namespaces.length <= 1) return createInformer<T>({ ...options, resource: { ...resource, namespace: namespaces?.[0] } });
  return createMergedInformer(namespaces.map((namespace) => createInformer<T>({ ...options, resource: { ...resource, namespace } })));
}

/**
 * An informer of each kind the operator makes, of its own objects only (the cache holds no one
 * else's Secrets), indexed by instance; and each as the reconcile's CachedKind.
 */
function ownedInformers(
  namespaces: readonly string[] | undefined,
  http: KubeHttp,
): { owned: Map<OwnedKindName, Informer>; cachedKinds: Map<OwnedKindName, CachedKind> } {
  const owned = new Map<OwnedKindName, Informer>(
    watchedKinds.map((kind) => [
      kind,
      informerIn(namespaces, resourceOf(kind), { http, labelSelector: `${labelKeys.managedBy}=${managedBy}`, indexLabel: labelKeys.instance }),
    ]),
  );
  const cachedKinds = new Map<OwnedKindName, CachedKind>(
    [...owned].map(([kind, informer]) => [
      kind,
      {
        ofInstance: (namespace, instance) => informer.listIn(namespace, instance),
        get: (namespace, name) => informer.get(objectKey({ metadata: { namespace, name } })),
      },
    ]),
  );
  return { owned, cachedKinds };
}

/** What the reconcile did with each desired object; controller-runtime has no such metric. */
function applyCounter(registry: MetricsRegistry) {
  const applies = registry.counter('hearth_operator_apply_total', 'Desired objects by what the reconcile did with them (created, updated, unchanged).', [
    'kind',
    'result',
  ]);
  return (kind: string, result: string): void => applies.inc({ kind, result });
}

export function createOperator(config: OperatorConfig, kubeConfig: KubeConfig, log: Log): Operator {
  // The process's one registry: process and Node metrics with the controller's.
  const registry = createMetricsRegistry({ defaultMetrics: true });
  // Every client of the API server counts its requests, as client-go's do.
  const recordRequest = createRequestRecorder(registry);
  const client = createKubeClient(kubeConfig, { recordRequest });
  const http = createKubeHttp(kubeConfig, { recordRequest });
  const primary = informerIn<Hearth & KubeObject>(config.namespaces, { group: hearthGroup, version: hearthApiVersion, plural: 'hearths' }, { http });
  const { owned, cachedKinds } = ownedInformers(config.namespaces, http);
  // Every Secret, metadata only, to notice a change to one a Hearth names (secret-watch.ts).
  const secretMetadata = informerIn(config.namespaces, resourceOf('Secret'), {
    http: createMetadataHttp(kubeConfig, { recordRequest }),
    fieldSelector: secretWatchFieldSelector,
  });
  const secretReferences = createSecretReferenceIndex(primary);
  const recorder = createEventRecorder(client, { instance: config.leaderElection.enabled ? config.leaderElection.identity : 'hearth-operator', log });
  // The watch events of the reconcile's own applies do not queue its Hearth again.
  const ownWrites = createOwnWrites();
  const reconcile = createHearthReconciler({
    client: tellingOwnWrites(client, ownWrites),
    tierContext: { image: config.image, version: config.version, backendImages: config.backendImages, maxReplicas: config.maxReplicas, cloudNativePG: false },
    random: (count) => randomBytes(count),
    now: () => new Date(),
    events: recorder,
    getHearth: (key) => primary.get(key),
    cached: (kind) => cachedKinds.get(kind),
    hasCloudNativePG: createGroupDiscovery(client, { groupVersion: cloudNativePGGroupVersion, plural: 'clusters' }, config.discoveryMs),
    servedMonitoringKinds: createMonitoringDiscovery(client, config.discoveryMs),
    notReadyRequeueMs: config.notReadyRequeueMs,
    onApply: applyCounter(registry),
    log,
  });
  // HearthBackups and HearthRestores: controllers of their own beside the Hearth's (backup/).
  const archives = createArchiveControllers(
    backupControllerOptions(
      config,
      { kubeConfig, recordRequest, registry, client, log, events: recorder },
      {
        informer: (resource, options) => informerIn(config.namespaces, resource, { ...options, http }),
        getHearth: (key) => primary.get(key),
      },
    ),
  );
  const controller = createController({
    name: 'hearth',
    primary,
    owned: [...[...owned.values()].map((informer) => ({ informer, keysOf: hearthKeysOf })), { informer: secretMetadata, keysOf: secretReferences.keysOf }],
    // The status is the operator's own to write: writing it is no reason to reconcile again.
    primaryChanged: specChanged,
    ownWrites,
    reconcile,
    workers: config.workers,
    resyncPeriodMs: config.resyncMs,
    shutdownDeadlineMs: config.shutdownDeadlineMs,
    registry,
    http: { port: config.httpPort, host: config.httpHost },
    log: (event) => log(`controller ${event.type}`, describeEvent(event)),
    ...(config.leaderElection.enabled
      ? {
          leaderElection: {
            kubeConfig,
            recordRequest,
            name: config.leaderElection.name,
            namespace: config.leaderElection.namespace,
            identity: config.leaderElection.identity,
            leaseDurationMs: config.leaderElection.leaseDurationMs,
            renewDeadlineMs: config.leaderElection.renewDeadlineMs,
            retryPeriodMs: config.leaderElection.retryPeriodMs,
          },
        }
      : {}),
  });
  return {
    controller,
    client,
    start: async () => {
      await controller.start();
      for (const archive of archives) await archive.start();
    },
    stop: async () => void (await Promise.all([controller, ...archives].map((each) => each.stop()))),
  };
}

interface Shared {
  readonly kubeConfig: KubeConfig;
  readonly recordRequest: RequestRecorder;
  readonly registry: MetricsRegistry;
  readonly client: KubeClient;
  readonly log: Log;
  readonly events: EventRecorder;
}

interface Caches {
  readonly informer: InformerFactory;
  readonly getHearth: (key: string) => Hearth | undefined;
}

/** The HearthBackup and HearthRestore controllers share the operator's settings, each under a Lease of its own (<lease>-backup, <lease>-restore). */
function backupControllerOptions(config: OperatorConfig, shared: Shared, { informer, getHearth }: Caches): BackupControllerOptions {
  const { kubeConfig, recordRequest, registry, client, log, events } = shared;
  const tierContext = {
    image: config.image,
    version: config.version,
    backendImages: config.backendImages,
    maxReplicas: config.maxReplicas,
    cloudNativePG: false,
  };
  const election = config.leaderElection;
  return {
    informer,
    reconcile: { client, tierContext, now: () => new Date(), getHearth, retryMs: config.notReadyRequeueMs, log, events },
    shared: {
      workers: config.workers,
      resyncPeriodMs: config.resyncMs,
      shutdownDeadlineMs: config.shutdownDeadlineMs,
      registry,
      log: (event) => log(`archive controller ${event.type}`, describeEvent(event)),
    },
    ...(election.enabled ? { leaderElection: (controller) => ({ ...election, kubeConfig, recordRequest, name: `${election.name}-${controller}` }) } : {}),
  };
}

function describeEvent(event: ControllerEvent): Record<string, unknown> {
  switch (event.type) {
    case 'reconcile-error':
      return { key: event.key, error: event.error instanceof Error ? event.error.message : String(event.error), retryInMs: event.retryInMs };
    case 'drained':
      return { drained: event.drained, abandoned: event.abandoned };
    default:
      return {};
  }
}
