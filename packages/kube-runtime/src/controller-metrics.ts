import { resourceLabel, type Informer } from './informer.ts';
import type { MetricsRegistry } from './metrics.ts';
import type { ReconcileOutcome, WorkQueueMetrics } from './work-queue.ts';

/**
 * The operator's metrics under the names controller-runtime and client-go give them, so that
 * the dashboards and alerts SREs already have for Go operators work unchanged; the few
 * Hearth-specific ones keep a hearth_operator_ prefix. The families, labels and buckets follow
 * controller-runtime's pkg/metrics and pkg/internal/controller/metrics, and client-go's workqueue.
 */

/** controller-runtime's buckets for controller_runtime_reconcile_time_seconds. */
export const reconcileTimeBuckets: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10,
  15, 20, 25, 30, 40, 50, 60,
];

/** client-go's workqueue buckets: 10 ns to 1000 s, a decade apart (written as decimals, not 1e-8 × 10^i, to stay exact). */
export const workQueueBuckets: readonly number[] = Array.from({ length: 12 }, (_, index) => Number(`1e${index - 8}`));

/** Every result controller-runtime reports, each series started at 0 so that rate() sees the first one. */
export const reconcileResults = ['success', 'error', 'requeue', 'requeue_after'] as const;
export type ReconcileResultLabel = (typeof reconcileResults)[number];

/** Our queue has only requeue-after (a reconcile returns a delay); controller-runtime's `requeue` is Requeue: true. */
export function reconcileResultLabel(outcome: ReconcileOutcome): ReconcileResultLabel {
  switch (outcome) {
    case 'success':
      return 'success';
    case 'error':
      return 'error';
    case 'requeue':
      return 'requeue_after';
  }
}

/**
 * The reconcile_* and workqueue_* families of one controller, as the hooks its work queue calls.
 * `inFlightMs` reads how long each running reconcile has run, for the two gauges client-go
 * computes from the same thing.
 */
export function createControllerMetrics(registry: MetricsRegistry, controller: string, inFlightMs: () => readonly number[]): Required<WorkQueueMetrics> {
  const reconciles = registry.counter('controller_runtime_reconcile_total', 'Total number of reconciliations per controller.', ['controller', 'result']);
  const errors = registry.counter('controller_runtime_reconcile_errors_total', 'Total number of reconciliation errors per controller.', ['controller']);
  const reconcileTime = registry.histogram(
    'controller_runtime_reconcile_time_seconds',
    'Length of time per reconciliation per controller.',
    ['controller'],
    reconcileTimeBuckets,
  );
  const depth = registry.gauge('workqueue_depth', 'Current depth of workqueue.', ['name']);
  const adds = registry.counter('workqueue_adds_total', 'Total number of adds handled by workqueue.', ['name']);
  const retries = registry.counter('workqueue_retries_total', 'Total number of retries handled by workqueue.', ['name']);
  const queueDuration = registry.histogram(
    'workqueue_queue_duration_seconds',
    'How long in seconds an item stays in workqueue before being requested.',
    ['name'],
    workQueueBuckets,
  );
  const workDuration = registry.histogram(
    'workqueue_work_duration_seconds',
    'How long in seconds processing an item from workqueue takes.',
    ['name'],
    workQueueBuckets,
  );
  const longest = registry.gauge(
    'workqueue_longest_running_processor_seconds',
    'How many seconds has the longest running processor for workqueue been running.',
    ['name'],
  );
  const unfinished = registry.gauge(
    'workqueue_unfinished_work_seconds',
    'How many seconds of work has been done that is in progress and has not been observed by work_duration. ' +
      'Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.',
    ['name'],
  );

  const name = { name: controller };
  for (const result of reconcileResults) reconciles.inc({ controller, result }, 0);
  errors.inc({ controller }, 0);
  adds.inc(name, 0);
  retries.inc(name, 0);
  depth.set(name, 0);
  // Histograms too, so that a query of their _count finds a series before the first reconcile.
  reconcileTime.zero({ controller });
  queueDuration.zero(name);
  workDuration.zero(name);
  registry.onCollect(() => {
    const running = inFlightMs();
    longest.set(name, running.length === 0 ? 0 : Math.max(...running) / 1000);
    unfinished.set(name, running.reduce((sum, ms) => sum + ms, 0) / 1000);
  });

  return {
    depth: (value) => depth.set(name, value),
    added: () => adds.inc(name),
    started: (_key, queuedSeconds) => queueDuration.observe(name, queuedSeconds),
    retried: () => retries.inc(name),
    reconciled: (_key, seconds, outcome) => {
      reconciles.inc({ controller, result: reconcileResultLabel(outcome) });
      if (outcome === 'error') errors.inc({ controller });
      reconcileTime.observe({ controller }, seconds);
      workDuration.observe(name, seconds);
    },
  };
}

/** leader_election_master_status{name}: 1 while `isLeader()`, read at every scrape. */
export function trackLeadership(registry: MetricsRegistry, name: string, isLeader: () => boolean): void {
  const status = registry.gauge(
    'leader_election_master_status',
    'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master.',
    ['name'],
  );
  registry.onCollect(() => status.set({ name }, isLeader() ? 1 : 0));
}

/** What one API request came to: its HTTP status, or undefined when no response came (refused, reset, timed out). */
export interface RequestOutcome {
  readonly method: string;
  /** host:port of the API server. */
  readonly host: string;
  readonly status: number | undefined;
}

export type RequestRecorder = (outcome: RequestOutcome) => void;

/** client-go's code label: the status, or `<error>` for a request that got no response. */
export function requestCode(status: number | undefined): string {
  return status === undefined ? '<error>' : String(status);
}

/** rest_client_requests_total{code,method,host}: every request the operator's clients send. */
export function createRequestRecorder(registry: MetricsRegistry): RequestRecorder {
  const requests = registry.counter('rest_client_requests_total', 'Number of HTTP requests, partitioned by status code, method, and host.', [
    'code',
    'method',
    'host',
  ]);
  return ({ method, host, status }) => requests.inc({ code: requestCode(status), method: method.toUpperCase(), host });
}

/**
 * The informers' health, which controller-runtime does not report: whether each has synced, its
 * relists (410 Gone) and its restarted watches. The informer counts them itself; the counters
 * follow its totals at each scrape.
 */
export function trackInformers(registry: MetricsRegistry, controller: string, informers: readonly Informer[]): void {
  const synced = registry.gauge('hearth_operator_informer_synced', 'Whether the informer has listed (1) or not yet (0).', ['controller', 'resource']);
  const relists = registry.counter('hearth_operator_informer_relists_total', 'LISTs after the first (410 Gone).', ['controller', 'resource']);
  const restarts = registry.counter('hearth_operator_informer_watch_errors_total', 'Watches restarted after an error or a stall.', ['controller', 'resource']);
  const mirrored = new Map<Informer, { relists: number; restarts: number }>();
  registry.onCollect(() => {
    for (const informer of informers) {
      const labels = { controller, resource: resourceLabel(informer.resource) };
      const stats = informer.stats();
      const previous = mirrored.get(informer) ?? { relists: 0, restarts: 0 };
      const current = { relists: stats.relists, restarts: stats.errors + stats.stalls };
      synced.set(labels, informer.hasSynced() ? 1 : 0);
      relists.inc(labels, Math.max(0, current.relists - previous.relists));
      restarts.inc(labels, Math.max(0, current.restarts - previous.restarts));
      mirrored.set(informer, current);
    }
  });
}
