// The operator recovering from what a real API server does to its watches: a restart mid-watch,
// and 410 Gone once etcd has compacted past the versions it watched from.
// `node operator/src/main.ts` runs as a child process; on the test control plane it talks to
// kube-apiserver through a TCP proxy the test can cut. With HEARTH_E2E_KUBECONFIG (e2e-cluster.ts)
// the cases that restart the API server or compact etcd are skipped and the rest run on that cluster.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { freePort, type Child, type ControlPlane } from '@hearth/harness';
import { e2eTarget, skipUnlessControlPlane, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { examples, operatorTestKit, type Item } from './operator-test-support.ts';
import { eventually, kubeConfigOf, startTcpProxy, type TcpProxy } from '@hearth/kube-runtime/testing';

const target = e2eTarget(process.env);
const embeddedObjects = (name: string): string[] => [`Ingress/${name}`, `Secret/${name}-session-key`, `Service/${name}`, `StatefulSet/${name}`];

/** Generous: the operator's informers back off up to 30 s (±20%) between failed watches, and a restart takes ~25 s. */
const RECOVERY_MS = 60_000;

describe('the operator recovering against a real API server', { timeout: suiteTimeoutMs(target, 240_000) }, () => {
  let cluster: E2eCluster;
  let proxy: TcpProxy | undefined;
  let operator: Child | undefined;
  let metricsPort = 0;

  const { kubectl, getJson, exists, owned, applyExample, markReady, isHearthReady, metric, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  /** The control plane of the cases that restart it; they are skipped without one. */
  const controlPlane = (): ControlPlane => {
    if (cluster.controlPlane === undefined) throw new Error('this case needs the test control plane');
    return cluster.controlPlane;
  };
  const ownedNames = async (name: string): Promise<string[]> => (await owned(name)).map((item) => `${item.kind}/${item.metadata.name}`).sort();
  /** An embedded Hearth with its objects made. */
  const embeddedHearth = async (name: string): Promise<void> => {
    await applyExample(examples.embedded, name);
    await eventually(`the objects of ${name}`, async () => (await owned(name)).length === 4, 30_000, 200);
  };
  const readyEmbeddedHearth = async (name: string): Promise<void> => {
    await embeddedHearth(name);
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 20_000, 200);
  };

  before(async () => {
    cluster = await startE2eCluster('recovery');
    let kubeconfigPath = cluster.kubeconfigPath;
    const kube = cluster.controlPlane;
    if (kube !== undefined) {
      // The operator reaches kube-apiserver only through the proxy, so a test can partition it.
      proxy = await startTcpProxy(Number(new URL(kube.url).port));
      kubeconfigPath = path.join(cluster.work, 'operator-kubeconfig');
      await writeFile(kubeconfigPath, (await readFile(kube.kubeconfigPath, 'utf8')).replace(kube.url, `https://127.0.0.1:${proxy.port}`), { mode: 0o600 });
    }
    metricsPort = await freePort();
    // One operator: what is under test is the informers' recovery, not the Lease's.
    operator = await startOperator(metricsPort, { KUBECONFIG: kubeconfigPath, HEARTH_OPERATOR_LEADER_ELECTION: 'false' });
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await proxy?.close();
    await cluster?.stop();
  });

  it(
    'kube-apiserver restarts mid-watch: the operator keeps reconciling, old Hearths and new',
    { skip: skipUnlessControlPlane(target, 'restarts the API server') },
    async () => {
      await readyEmbeddedHearth('alpha');
      const watchErrors = await metric(/^hearth_operator_informer_watch_errors_total\{/);
      await controlPlane().restartApiServer();
      await eventually(
        'the watches to notice the restart',
        async () => (await metric(/^hearth_operator_informer_watch_errors_total\{/)) > watchErrors,
        RECOVERY_MS,
        200,
      );

      await kubectl('delete', 'service', 'alpha');
      await eventually('the Service of alpha back', () => exists('service', 'alpha'), RECOVERY_MS, 200);

      await embeddedHearth('bravo');
      assert.deepEqual(await ownedNames('bravo'), embeddedObjects('bravo'));
      assert.ok(await isHearthReady('alpha'), 'alpha still Ready');
    },
  );

  it(
    '410 Gone: changes made while the operator was cut off and etcd compacted are found by a relist',
    { skip: skipUnlessControlPlane(target, 'cuts the operator off, compacts etcd and restarts the API server') },
    async () => {
      const kube = controlPlane();
      const cut = proxy;
      if (cut === undefined) throw new Error('no proxy');
      const namespace = cluster.namespace;
      const core = kubeConfigOf(kube).makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'churn' }, data: { n: '0' } } });
      const relistsOf = (resource: string): Promise<number> => metric(new RegExp(`^hearth_operator_informer_relists_total\\{.*resource="${resource}"`));
      const [hearthRelists, serviceRelists] = [await relistsOf('hearth.dev/v1alpha1/hearths'), await relistsOf('core/v1/services')];
      const statefulSetUid = (await getJson<Item>('statefulset', 'alpha')).metadata.uid;

      cut.cut();
      // Missed events only a relist can reveal: a deleted owned object, a new Hearth.
      await kubectl('delete', 'service', 'alpha');
      await kubectl('delete', 'statefulset', 'alpha');
      await applyExample(examples.embedded, 'golf');
      // Enough unrelated writes that every version the operator watched from falls out of history.
      for (let n = 1; n <= 60; n++) {
        await core.patchNamespacedConfigMap({ namespace, name: 'churn', body: [{ op: 'replace', path: '/data', value: { n: String(n) } }] });
      }
      await kube.compactEtcd();
      await kube.restartApiServer(); // empties the watch cache, which would still serve the old versions
      cut.restore();

      await eventually(
        'the Hearth and Service informers relist',
        async () => (await relistsOf('hearth.dev/v1alpha1/hearths')) > hearthRelists && (await relistsOf('core/v1/services')) > serviceRelists,
        RECOVERY_MS,
        200,
      );
      await eventually(
        'the Service and StatefulSet of alpha back',
        async () => (await exists('service', 'alpha')) && (await exists('statefulset', 'alpha')),
        RECOVERY_MS,
        200,
      );
      assert.notEqual((await getJson<Item>('statefulset', 'alpha')).metadata.uid, statefulSetUid, 'a new StatefulSet');
      await eventually('the objects of golf', async () => (await owned('golf')).length === 4, RECOVERY_MS, 200);
      assert.deepEqual(await ownedNames('golf'), embeddedObjects('golf'));

      // And it keeps watching after the relist: changes made now are seen too.
      await kubectl('delete', 'service', 'golf');
      await applyExample(examples.embedded, 'hotel');
      await eventually('the Service of golf back', () => exists('service', 'golf'), 15_000, 200);
      await eventually('the objects of hotel', async () => (await owned('hotel')).length === 4, 15_000, 200);
    },
  );
});
