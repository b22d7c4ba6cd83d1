// The operator recovering from what a real API server does to its watches: a restart mid-watch,
// and 410 Gone once etcd has compacted past the versions it watched from. Then a tier change
// embedded → single, which waits beside the serving tier since the data cannot be copied yet.
// `node operator/src/main.ts` runs as a child process, talking to kube-apiserver through a TCP
// proxy the test can cut; the test drives everything else through kubectl.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { freePort, kubeBinaries, removeDir, startChild, startControlPlane, tempDir, type Child, type ControlPlane } from '@hearth/harness';
import { repoRoot } from './api/generate.ts';
import { operatorTestKit, type Item } from './operator-test-support.ts';
import { eventually, kubeConfigOf, startTcpProxy, type TcpProxy } from './controller/testing.ts';


if ((await kubeBinaries()) === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

const embeddedYaml = path.join(repoRoot, 'docs', 'examples', 'embedded.yaml');
const embeddedObjects = ['Ingress/acme', 'Secret/acme-session-key', 'Service/acme', 'StatefulSet/acme'];


/** Generous: the operator's informers back off up to 30 s (±20%) between failed watches, and a restart takes ~25 s. */
const RECOVERY_MS = 60_000;

describe('the operator recovering against a real API server', { timeout: 240_000 }, () => {
  let kube: ControlPlane;
  let work: string;
  let proxy: TcpProxy;
  let operator: Child | undefined;
  let metricsPort = 0;

  const { kubectl, getJson, exists, hearthOf, owned, markReady, isHearthReady, metric } = operatorTestKit(
    () => kube,
    () => work,
    () => metricsPort,
  );
  const ownedNames = async (namespace: string, name: string): Promise<string[]> =>
    (await owned(namespace, name)).map((item) => `${item.kind}/${item.metadata.name}`).sort();
  const successes = (): Promise<number> => metric(/^hearth_operator_reconcile_total\{.*result="success"/);
  /** An embedded Hearth `acme` in a new namespace, with its objects made. */
  const embeddedHearth = async (namespace: string): Promise<void> => {
    await kubectl('create', 'namespace', namespace);
    await kubectl('apply', '-n', namespace, '-f', embeddedYaml);
    await eventually(`the embedded objects in ${namespace}`, async () => (await owned(namespace, 'acme')).length === 4, 30_000, 200);
  };
  const readyEmbeddedHearth = async (namespace: string): Promise<void> => {
    await embeddedHearth(namespace);
    await markReady(namespace, 'acme');
    await eventually(`${namespace}/acme Ready`, () => isHearthReady(namespace, 'acme'), 20_000, 200);
  };

  before(async () => {
    kube = await startControlPlane();
    work = await tempDir('hearth-operator-recovery-test');
    await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev');
    // The operator reaches kube-apiserver only through the proxy, so a test can partition it.
    proxy = await startTcpProxy(Number(new URL(kube.url).port));
    const kubeconfigPath = path.join(work, 'operator-kubeconfig');
    await writeFile(kubeconfigPath, (await readFile(kube.kubeconfigPath, 'utf8')).replace(kube.url, `https://127.0.0.1:${proxy.port}`), { mode: 0o600 });
    metricsPort = await freePort();
    operator = startChild(process.execPath, [path.join(repoRoot, 'operator', 'src', 'main.ts')], {
      env: {
        ...process.env,
        KUBECONFIG: kubeconfigPath,
        HEARTH_OPERATOR_HTTP_PORT: String(metricsPort),
        HEARTH_OPERATOR_HTTP_HOST: '127.0.0.1',
        HEARTH_OPERATOR_RESYNC_SECONDS: '5',
        HEARTH_OPERATOR_NOT_READY_REQUEUE_SECONDS: '2',
        // One operator: what is under test is the informers' recovery, not the Lease's.
        HEARTH_OPERATOR_LEADER_ELECTION: 'false',
      },
    });
    await eventually('operator /readyz', async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.status === 200, 30_000, 200);
  });

  after(async () => {
    if (process.env.HEARTH_TEST_OPERATOR_LOG === '1' && operator !== undefined) process.stderr.write(operator.output());
    await operator?.stop('SIGTERM', 10_000);
    await proxy?.close();
    await kube?.stop();
    if (work !== undefined) await removeDir(work);
  });

  it('kube-apiserver restarts mid-watch: the operator keeps reconciling, old Hearths and new', async () => {
    await readyEmbeddedHearth('r1');
    const watchErrors = await metric(/^hearth_operator_informer_watch_errors_total\{/);
    await kube.restartApiServer();
    await eventually('the watches to notice the restart', async () => (await metric(/^hearth_operator_informer_watch_errors_total\{/)) > watchErrors, RECOVERY_MS, 200);

    await kubectl('-n', 'r1', 'delete', 'service', 'acme');
    await eventually('r1/acme Service back', () => exists('-n', 'r1', 'service', 'acme'), RECOVERY_MS, 200);

    await embeddedHearth('r2');
    assert.deepEqual(await ownedNames('r2', 'acme'), embeddedObjects);
    assert.ok(await isHearthReady('r1', 'acme'), 'r1/acme still Ready');
  });

  it('410 Gone: changes made while the operator was cut off and etcd compacted are found by a relist', async () => {
    await kubectl('create', 'namespace', 'g2');
    await kubectl('create', 'namespace', 'churn');
    const core = kubeConfigOf(kube).makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'churn', body: { metadata: { name: 'churn' }, data: { n: '0' } } });
    const relistsOf = (resource: string): Promise<number> => metric(new RegExp(`^hearth_operator_informer_relists_total\\{.*resource="${resource}"`));
    const [hearthRelists, serviceRelists] = [await relistsOf('hearth.dev/v1alpha1/hearths'), await relistsOf('core/v1/services')];
    const statefulSetUid = (await getJson<Item>('-n', 'r1', 'statefulset', 'acme')).metadata.uid;

    proxy.cut();
    // Missed events only a relist can reveal: a deleted owned object, a new Hearth.
    await kubectl('-n', 'r1', 'delete', 'service', 'acme');
    await kubectl('-n', 'r1', 'delete', 'statefulset', 'acme');
    await kubectl('apply', '-n', 'g2', '-f', embeddedYaml);
    // Enough unrelated writes that every version the operator watched from falls out of history.
    for (let n = 1; n <= 60; n++) {
      await core.patchNamespacedConfigMap({ namespace: 'churn', name: 'churn', body: [{ op: 'replace', path: '/data', value: { n: String(n) } }] });
    }
    await kube.compactEtcd();
    await kube.restartApiServer(); // empties the watch cache, which would still serve the old versions
    proxy.restore();

    await eventually('the Hearth and Service informers relist', async () => (await relistsOf('hearth.dev/v1alpha1/hearths')) > hearthRelists && (await relistsOf('core/v1/services')) > serviceRelists, RECOVERY_MS, 200);
    await eventually('r1/acme Service and StatefulSet back', async () => (await exists('-n', 'r1', 'service', 'acme')) && (await exists('-n', 'r1', 'statefulset', 'acme')), RECOVERY_MS, 200);
    assert.notEqual((await getJson<Item>('-n', 'r1', 'statefulset', 'acme')).metadata.uid, statefulSetUid, 'a new StatefulSet');
    await eventually('g2/acme objects', async () => (await owned('g2', 'acme')).length === 4, RECOVERY_MS, 200);
    assert.deepEqual(await ownedNames('g2', 'acme'), embeddedObjects);

    // And it keeps watching after the relist: changes made now are seen too.
    await kubectl('-n', 'g2', 'delete', 'service', 'acme');
    await kubectl('create', 'namespace', 'g3');
    await kubectl('apply', '-n', 'g3', '-f', embeddedYaml);
    await eventually('g2/acme Service back', () => exists('-n', 'g2', 'service', 'acme'), 15_000, 200);
    await eventually('g3/acme objects', async () => (await owned('g3', 'acme')).length === 4, 15_000, 200);
  });

  it('tier change embedded → single: the single objects wait beside the embedded tier, which keeps serving', async () => {
    await readyEmbeddedHearth('t1');
    const before = await hearthOf('t1', 'acme');
    assert.equal(before.status?.tier, 'embedded');
    await kubectl('-n', 't1', 'patch', 'hearth', 'acme', '--type=merge', '-p', JSON.stringify({ spec: { tier: 'single' } }));

    const count = async (kind: string): Promise<number> => (await owned('t1', 'acme')).filter((item) => item.kind === kind).length;
    await eventually('the single objects', async () => (await count('Deployment')) === 3 && (await count('StatefulSet')) === 4, 30_000, 200);
    const migrating = async (): Promise<boolean> => {
      const hearth = await hearthOf('t1', 'acme');
      return hearth.status?.phase === 'Migrating' && hearth.status.observedGeneration === hearth.metadata.generation;
    };
    await eventually('t1/acme Migrating', migrating, 20_000, 200);

    const hearth = await hearthOf('t1', 'acme');
    assert.equal(hearth.status?.tier, 'embedded', 'the embedded tier serves');
    assert.equal(hearth.status?.url, 'http://chat.acme.example');
    const condition = (type: string) => hearth.status?.conditions?.find((c) => c.type === type);
    assert.deepEqual(
      { status: condition('MigrationRequired')?.status, reason: condition('MigrationRequired')?.reason, message: condition('MigrationRequired')?.message },
      {
        status: 'True',
        reason: 'DataCopyNotAvailable',
        message:
          'spec.tier is single but the embedded tier holds the data: this operator cannot copy it yet, so the embedded tier keeps serving and its volume is kept',
      },
    );
    assert.equal(condition('Ready')?.status, 'True', 'the embedded tier is still ready');

    // Several resyncs later the embedded tier is still there: nothing pruned it.
    const reconciles = await successes();
    await eventually('more reconciles', async () => (await successes()) >= reconciles + 3, 20_000, 200);
    const names = await ownedNames('t1', 'acme');
    for (const name of ['StatefulSet/acme', 'Service/acme', 'Ingress/acme', 'Secret/acme-session-key']) assert.ok(names.includes(name), `${name} kept: ${names.join(', ')}`);
    for (const name of ['Deployment/acme-gateway', 'Deployment/acme-realtime', 'Deployment/acme-messaging']) assert.ok(names.includes(name), `${name} created: ${names.join(', ')}`);
    assert.equal(names.filter((name) => name.startsWith('Ingress/')).length, 1, 'one Ingress');
    const set = await getJson<Item>('-n', 't1', 'statefulset', 'acme');
    assert.deepEqual(
      set.spec?.volumeClaimTemplates?.map((template) => template.metadata?.name),
      ['data'],
      'the embedded volume claim template stays',
    );
    const ingress = await getJson<Item>('-n', 't1', 'ingress', 'acme');
    const backends = ingress.spec?.rules?.flatMap((rule) => rule.http?.paths?.map((p) => p.backend?.service?.name) ?? []);
    assert.deepEqual(backends, ['acme'], 'the Ingress still routes to the embedded Service');
    assert.equal((await hearthOf('t1', 'acme')).status?.phase, 'Migrating');
  });
});
