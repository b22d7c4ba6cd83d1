import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createController, type Controller, type ControllerOptions } from './controller.ts';
import { createInformer } from './informer.ts';
import { splitKey, type KubeObject } from './kube-object.ts';
import { createOwnWrites } from './own-writes.ts';
import { eventually, kubeConfigOf } from './testing.ts';

const leaseTiming = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

const get = async (controller: Controller, path: string): Promise<{ status: number; body: string }> => {
  const response = await fetch(`http://127.0.0.1:${controller.port()}${path}`);
  return { status: response.status, body: await response.text() };
};
const metric = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('controller against a real kube-apiserver', () => {
  let kube: ControlPlane;
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;

  before(async () => {
    kube = await startControlPlane();
    kubeConfig = kubeConfigOf(kube);
    core = kubeConfig.makeApiClient(CoreV1Api);
  });
  after(async () => {
    await kube.stop();
  });

  const namespace = async (name: string): Promise<string> => {
    await core.createNamespace({ body: { metadata: { name } } });
    return name;
  };
  const primary = (ns: string, name: string) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { role: 'primary' } }, data: { v: '1' } } });
  const informers = (ns: string): Pick<ControllerOptions, 'primary' | 'owned'> => ({
    primary: createInformer({ kubeConfig, resource: { group: '', version: 'v1', plural: 'configmaps', namespace: ns }, labelSelector: 'role=primary' }),
    owned: [
      {
        informer: createInformer({ kubeConfig, resource: { group: '', version: 'v1', plural: 'secrets', namespace: ns } }),
        owner: { apiVersion: 'v1', kind: 'ConfigMap' },
      },
    ],
  });

  /** Ensures a Secret owned by the ConfigMap: the reconcile of these tests. */
  const ensureOwnedSecret = async (key: string): Promise<void> => {
    const { namespace: ns = 'default', name } = splitKey(key);
    const owner = (await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: `metadata.name=${name}` })).items[0];
    if (owner?.metadata?.uid === undefined) return; // deleted: its Secret goes with it
    try {
      await core.createNamespacedSecret({
        namespace: ns,
        body: {
          metadata: { name: `${name}-owned`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid: owner.metadata.uid, controller: true }] },
          stringData: { from: name },
        },
      });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409)) throw error;
    }
  };

  it('reconciles primaries, hears of owned objects through owner references, retries failures and serves its endpoints', async () => {
    const ns = await namespace('controller-basic');
    await primary(ns, 'one');
    const reconciled: string[] = [];
    let failuresLeft = 2;
    const controller = createController({
      name: 'basic',
      ...informers(ns),
      backoff: { baseMs: 50, capMs: 200 },
      http: { port: 0, host: '127.0.0.1' },
      reconcile: async (key) => {
        reconciled.push(key);
        if (key.endsWith('/flaky') && failuresLeft-- > 0) throw new Error('flaky');
        await ensureOwnedSecret(key);
      },
    });
    await controller.start();
    try {
      await eventually('the owned secret', async () =>
        (await core.listNamespacedSecret({ namespace: ns })).items.some((secret) => secret.metadata?.name === 'one-owned'),
      );
      await eventually('ready', () => controller.isReady());
      assert.equal((await get(controller, '/readyz')).status, 200);
      assert.equal((await get(controller, '/healthz')).status, 200);

      // An owned object changes (or goes): its owner is reconciled, which restores it.
      const before = reconciled.filter((key) => key === `${ns}/one`).length;
      await core.deleteNamespacedSecret({ namespace: ns, name: 'one-owned' });
      await eventually('the owned secret back', async () =>
        (await core.listNamespacedSecret({ namespace: ns })).items.some((secret) => secret.metadata?.name === 'one-owned'),
      );
      // Not asserted at once: a reconcile already running when the secret went may put it back before the one the deletion queued has started.
      await eventually('the owner reconciled again', () => reconciled.filter((key) => key === `${ns}/one`).length > before);

      await primary(ns, 'flaky');
      await eventually('flaky reconciled after two failures', async () =>
        (await core.listNamespacedSecret({ namespace: ns })).items.some((secret) => secret.metadata?.name === 'flaky-owned'),
      );
      assert.equal(reconciled.filter((key) => key === `${ns}/flaky`).length >= 3, true);

      const metrics = (await get(controller, '/metrics')).body;
      assert.equal(metric(metrics, 'controller_runtime_reconcile_errors_total{controller="basic"}'), 2);
      assert.equal(metric(metrics, 'controller_runtime_reconcile_total{controller="basic",result="error"}'), 2);
      assert.ok((metric(metrics, 'controller_runtime_reconcile_total{controller="basic",result="success"}') ?? 0) >= 3);
      assert.ok((metric(metrics, 'controller_runtime_reconcile_time_seconds_count{controller="basic"}') ?? 0) >= 5);
      assert.equal(metric(metrics, 'workqueue_retries_total{name="basic"}'), 2);
      assert.equal(metric(metrics, 'workqueue_depth{name="basic"}'), 0);
      assert.equal(metric(metrics, 'leader_election_master_status{name="basic"}'), 1);
      assert.equal(metric(metrics, 'hearth_operator_informer_synced{controller="basic",resource="core/v1/secrets"}'), 1);
    } finally {
      await controller.stop();
    }
    assert.equal(controller.isHealthy(), false);
    await assert.rejects(fetch(`http://127.0.0.1:${controller.port() ?? 1}/healthz`));
  });

  it('does not reconcile an owner again for the watch event of its own write, but does for a change by someone else', async () => {
    const ns = await namespace('controller-own-writes');
    const ownWrites = createOwnWrites();
    let reconciles = 0;
    const controller = createController({
      name: 'own-writes',
      ...informers(ns),
      ownWrites,
      reconcile: async (key) => {
        reconciles += 1;
        const { name } = splitKey(key);
        const owner = (await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: `metadata.name=${name}` })).items[0];
        if (owner?.metadata?.uid === undefined) return;
        const write = ownWrites.begin(`/api/v1/namespaces/${ns}/secrets/${name}-owned`);
        const created = await core
          .createNamespacedSecret({
            namespace: ns,
            body: {
              metadata: { name: `${name}-owned`, ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid: owner.metadata.uid, controller: true }] },
            },
          })
          .catch(() => undefined);
        write.end(created as KubeObject | undefined);
      },
    });
    await controller.start();
    try {
      // Made once the controller has synced, so that its ADDED event is what queues it, once.
      await eventually('ready', () => controller.isReady());
      await primary(ns, 'one');
      await eventually('the owned secret', async () =>
        (await core.listNamespacedSecret({ namespace: ns })).items.some((secret) => secret.metadata?.name === 'one-owned'),
      );
      // Without the sifting the Secret's ADDED event queues the ConfigMap again, during or just after its reconcile.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.equal(reconciles, 1);
      await core.patchNamespacedSecret(
        { namespace: ns, name: 'one-owned', body: { metadata: { labels: { edited: 'by-hand' } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await eventually('the owner reconciled for the edit', () => reconciles === 2);
    } finally {
      await controller.stop();
    }
  });

  it('reconciles only while it holds the Lease, and the standby takes over every key when the leader stops', async () => {
    const ns = await namespace('controller-leader');
    await primary(ns, 'p1');
    const log: Array<{ by: string; key: string; at: number }> = [];
    const leadingSince = new Map<string, number>();
    const make = (identity: string): Controller =>
      createController({
        name: 'leader-test',
        ...informers(ns),
        leaderElection: { kubeConfig, namespace: ns, name: 'controller-leader', identity, ...leaseTiming },
        http: { port: 0, host: '127.0.0.1' },
        log: (event) => event.type === 'leading' && leadingSince.set(identity, performance.now()),
        reconcile: async (key) => void log.push({ by: identity, key, at: performance.now() }),
      });
    const a = make('a');
    const b = make('b');
    await a.start();
    await eventually('a leads', () => a.isLeader(), 5_000);
    await b.start();
    try {
      await eventually('both ready', () => a.isReady() && b.isReady());
      assert.equal((await get(b, '/readyz')).status, 200, 'a synced standby is ready');
      assert.equal(metric((await get(b, '/metrics')).body, 'leader_election_master_status{name="leader-test"}'), 0);
      assert.equal(metric((await get(a, '/metrics')).body, 'leader_election_master_status{name="leader-test"}'), 1);
      await primary(ns, 'p2');
      await eventually('a reconciles p1 and p2', () => ['p1', 'p2'].every((name) => log.some((entry) => entry.by === 'a' && entry.key === `${ns}/${name}`)));
      assert.equal(b.isLeader(), false);
      assert.deepEqual(
        log.filter((entry) => entry.by === 'b'),
        [],
        'the standby reconciles nothing',
      );

      const stoppedAt = performance.now();
      await a.stop();
      await eventually(
        'b reconciles every key once it leads',
        () => ['p1', 'p2'].every((name) => log.some((entry) => entry.by === 'b' && entry.key === `${ns}/${name}`)),
        5_000,
      );
      assert.ok((leadingSince.get('b') ?? Infinity) - stoppedAt < 1_000, 'the graceful release handed over at once');
      const lastByA = Math.max(...log.filter((entry) => entry.by === 'a').map((entry) => entry.at));
      assert.ok(lastByA < (leadingSince.get('b') ?? 0), 'no reconcile of a after b began to lead');
      await primary(ns, 'p3');
      await eventually('b reconciles p3', () => log.some((entry) => entry.by === 'b' && entry.key === `${ns}/p3`));
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it('lets in-flight reconciles finish on stop()', async () => {
    const ns = await namespace('controller-drain');
    await primary(ns, 'slow');
    let started = false;
    let finished = false;
    let aborted = false;
    const controller = createController({
      name: 'drain',
      primary: createInformer<KubeObject>({ kubeConfig, resource: { group: '', version: 'v1', plural: 'configmaps', namespace: ns } }),
      reconcile: async (_key, signal) => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 600));
        aborted = signal.aborted;
        finished = true;
      },
    });
    await controller.start();
    await eventually('the reconcile to start', () => started);
    await controller.stop();
    assert.equal(finished, true, 'stop() waited for it');
    assert.equal(aborted, false, 'and did not abort it');
  });
});
