// The operator end to end: `node operator/src/main.ts` as a child process against a real
// kube-apiserver, driven the way a person would, through kubectl. There is no kubelet or
// controller manager: the test marks workloads ready through their status subresource, and
// nothing garbage-collects, so whatever goes on deletion went because the operator deleted it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort, kubeBinaries, removeDir, startChild, startControlPlane, tempDir, type Child, type ControlPlane } from '@hearth/harness';
import { repoRoot } from './api/generate.ts';
import { operatorTestKit, type Item } from './operator-test-support.ts';
import { eventually } from './controller/testing.ts';

const run = promisify(execFile);

if ((await kubeBinaries()) === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');



/** The steady-state window: a minute of resyncs every 5 s. */
const STEADY_STATE_MS = 60_000;

describe('the operator against a real API server', { timeout: 300_000 }, () => {
  let kube: ControlPlane;
  let work: string;
  const operators: Child[] = [];
  let metricsPort = 0;

  const { kubectl, getJson, exists, hearthOf, owned, markReady, markHalfRolledOut, isHearthReady, metric } = operatorTestKit(
    () => kube,
    () => work,
    () => metricsPort,
  );
  const versions = (items: readonly Item[]): Record<string, string> =>
    Object.fromEntries(items.map((item) => [`${item.kind}/${item.metadata.namespace}/${item.metadata.name}`, item.metadata.resourceVersion]));

  const startOperator = async (identity: string, port: number): Promise<Child> => {
    const child = startChild(process.execPath, [path.join(repoRoot, 'operator', 'src', 'main.ts')], {
      env: {
        ...process.env,
        KUBECONFIG: kube.kubeconfigPath,
        HEARTH_OPERATOR_HTTP_PORT: String(port),
        HEARTH_OPERATOR_HTTP_HOST: '127.0.0.1',
        HEARTH_OPERATOR_RESYNC_SECONDS: '5',
        HEARTH_OPERATOR_NOT_READY_REQUEUE_SECONDS: '2',
        HEARTH_OPERATOR_LEASE_NAMESPACE: 'default',
        HEARTH_OPERATOR_IDENTITY: identity,
        HEARTH_OPERATOR_LEASE_DURATION_SECONDS: '4',
        HEARTH_OPERATOR_RENEW_DEADLINE_SECONDS: '3',
        HEARTH_OPERATOR_RETRY_PERIOD_SECONDS: '1',
      },
    });
    operators.push(child);
    await eventually(`operator ${identity} /readyz`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 30_000, 200);
    return child;
  };

  before(async () => {
    kube = await startControlPlane();
    work = await tempDir('hearth-operator-test');
    await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev');
    metricsPort = await freePort();
    await startOperator('operator-a', metricsPort);
    await eventually('operator-a holds the Lease', async () => (await exists('-n', 'default', 'lease', 'hearth-operator')) && (await metric(/^hearth_operator_leader\{/)) === 1, 30_000, 200);
  });

  after(async () => {
    if (process.env.HEARTH_TEST_OPERATOR_LOG === '1') for (const child of operators) process.stderr.write(child.output());
    for (const child of operators) await child.stop('SIGTERM', 10_000);
    await kube?.stop();
    if (work !== undefined) await removeDir(work);
  });

  it('embedded.yaml: the objects appear owned by the Hearth, which goes Ready once its StatefulSet is', async () => {
    await kubectl('create', 'namespace', 'e1');
    await kubectl('apply', '-n', 'e1', '-f', path.join(repoRoot, 'docs', 'examples', 'embedded.yaml'));
    await eventually('the embedded objects', async () => (await owned('e1', 'acme')).length === 4, 30_000, 200);
    const hearth = await hearthOf('e1', 'acme');
    const items = await owned('e1', 'acme');
    assert.deepEqual(items.map((item) => `${item.kind}/${item.metadata.name}`).sort(), ['Ingress/acme', 'Secret/acme-session-key', 'Service/acme', 'StatefulSet/acme']);
    for (const item of items.filter((object) => object.kind !== 'Secret')) assert.deepEqual(item.metadata.ownerReferences?.map((o) => [o.uid, o.controller]), [[hearth.metadata.uid, true]]);
    assert.deepEqual(hearth.metadata.finalizers, ['hearth.dev/cleanup']);
    assert.notEqual(hearth.status?.phase, 'Ready');
    await markReady('e1', 'acme');
    await eventually('acme Ready', () => isHearthReady('e1', 'acme'), 20_000, 200);
    const ready = await hearthOf('e1', 'acme');
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    assert.equal(ready.status?.url, 'http://chat.acme.example');
    const columns = await kubectl('-n', 'e1', 'get', 'hearth', 'acme');
    assert.match(columns, /embedded\s+Ready\s+0\.1\.0\s+http:\/\/chat\.acme\.example/);
    const events = await kubectl('-n', 'e1', 'get', 'events', '--field-selector', 'involvedObject.name=acme', '-o', 'custom-columns=REASON:.reason,MSG:.message');
    assert.match(events, /Created\s+Created StatefulSet acme/);
    assert.match(events, /Ready\s+embedded tier 0\.1\.0 is ready/);
  });

  it('single.yaml: every object appears, the Hearth goes Ready, and its generated Secrets survive a reconcile', async () => {
    await kubectl('create', 'namespace', 's1');
    await kubectl('apply', '-n', 's1', '-f', path.join(repoRoot, 'docs', 'examples', 'single.yaml'));
    const count = async (kind: string): Promise<number> => (await owned('s1', 'globex')).filter((item) => item.kind === kind).length;
    await eventually('the single objects', async () => (await count('Deployment')) === 3 && (await count('StatefulSet')) === 3 && (await count('Ingress')) === 1, 30_000, 200);
    const secrets = (await owned('s1', 'globex')).filter((item) => item.kind === 'Secret');
    assert.ok(secrets.length >= 2, `generated secrets: ${secrets.map((s) => s.metadata.name).join(', ')}`);
    await markReady('s1', 'globex');
    await eventually('globex Ready', () => isHearthReady('s1', 'globex'), 20_000, 200);
    const ready = await hearthOf('s1', 'globex');
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    const reconcilesBefore = await metric(/^hearth_operator_reconcile_total\{.*result="success"/);
    await kubectl('-n', 's1', 'annotate', 'hearth', 'globex', 'test/poke=1');
    await eventually('a reconcile after the poke', async () => (await metric(/^hearth_operator_reconcile_total\{.*result="success"/)) > reconcilesBefore, 10_000, 100);
    const after = (await owned('s1', 'globex')).filter((item) => item.kind === 'Secret');
    assert.deepEqual(
      after.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.data]),
      secrets.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.data]),
    );
  });

  it('steady state: 60 s of resyncs of Ready Hearths write nothing', async () => {
    const snapshot = async (): Promise<Record<string, string>> => ({
      ...versions([...(await owned('e1', 'acme')), ...(await owned('s1', 'globex'))]),
      hearthAcme: (await hearthOf('e1', 'acme')).metadata.resourceVersion ?? '',
      hearthGlobex: (await hearthOf('s1', 'globex')).metadata.resourceVersion ?? '',
    });
    const before = await snapshot();
    const reconciles = await metric(/^hearth_operator_reconcile_total\{.*result="success"/);
    const applied = await metric(/^hearth_operator_apply_total\{.*result="(created|updated)"/);
    await new Promise((resolve) => setTimeout(resolve, STEADY_STATE_MS));
    assert.deepEqual(await snapshot(), before);
    assert.ok((await metric(/^hearth_operator_reconcile_total\{.*result="success"/)) >= reconciles + 20, 'at least ten resyncs of both Hearths');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(await metric(/^hearth_operator_apply_total\{.*result="(created|updated)"/), applied, `no server-side apply was even sent: ${text.split('\n').filter((l) => l.startsWith('hearth_operator_apply_total')).join('\n')}`);
  });

  it('drift: a deleted Service and an edited Deployment come back', async () => {
    await kubectl('-n', 's1', 'delete', 'service', 'globex-gateway');
    await kubectl('-n', 's1', 'scale', 'deployment', 'globex-gateway', '--replicas=5');
    await eventually('the Service back', () => exists('-n', 's1', 'service', 'globex-gateway'), 15_000, 200);
    await eventually('the replicas back', async () => (await getJson<Item>('-n', 's1', 'deployment', 'globex-gateway')).spec?.replicas === 2, 15_000, 200);
  });

  it('spec.version rolls the Hearth workloads and not the backends; status.version follows once they have rolled out', async () => {
    await kubectl('create', 'namespace', 'v1');
    await rollVersion('single.yaml', 'globex', {
      hearth: ['Deployment/globex-gateway', 'Deployment/globex-messaging', 'Deployment/globex-realtime'],
      backends: ['StatefulSet/globex-nats', 'StatefulSet/globex-postgres', 'StatefulSet/globex-redis'],
    });
    await rollVersion('embedded.yaml', 'acme', { hearth: ['StatefulSet/acme'], backends: [] });
  });

  /** Applies an example in namespace v1, makes it Ready on 0.1.0, then moves spec.version to 0.2.0 and follows the rollout. */
  const rollVersion = async (file: string, name: string, expected: { hearth: string[]; backends: string[] }): Promise<void> => {
    const workloads = async (): Promise<Item[]> => (await owned('v1', name)).filter((item) => item.kind === 'Deployment' || item.kind === 'StatefulSet');
    const ids = (items: readonly Item[]): string[] => items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
    await kubectl('apply', '-n', 'v1', '-f', path.join(repoRoot, 'docs', 'examples', file));
    await eventually(`${name}'s workloads`, async () => (await workloads()).length === expected.hearth.length + expected.backends.length, 30_000, 200);
    await markReady('v1', name);
    await eventually(`${name} Ready`, () => isHearthReady('v1', name), 20_000, 200);
    assert.equal((await hearthOf('v1', name)).status?.version, '0.1.0');
    const before = await workloads();
    assert.deepEqual(ids(before.filter(runsHearth)), expected.hearth);
    assert.deepEqual(ids(before.filter((item) => !runsHearth(item))), expected.backends);

    await kubectl('-n', 'v1', 'patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec: { version: '0.2.0' } }));
    const generation = (await hearthOf('v1', name)).metadata.generation;
    await eventually(`${name}: 0.2.0 in every Hearth pod template`, async () => (await workloads()).filter(runsHearth).every((item) => hearthImage(item) === 'ghcr.io/hearth/hearth:0.2.0'), 20_000, 200);
    const after = await workloads();
    for (const old of before) {
      const now = after.find((item) => item.kind === old.kind && item.metadata.name === old.metadata.name);
      assert.ok(now !== undefined, `${old.kind}/${old.metadata.name} still there`);
      if (runsHearth(old)) {
        assert.ok((now.metadata.generation ?? 0) > (old.metadata.generation ?? 0), `${old.metadata.name}: a new generation to roll out`);
      } else {
        // A backend's pods would restart for nothing: its template, hence its generation, stays.
        assert.equal(now.metadata.generation, old.metadata.generation, `${old.metadata.name}: generation`);
        assert.deepEqual(now.spec?.template, old.spec?.template, `${old.metadata.name}: pod template`);
      }
    }

    // The operator has seen the new spec, the workload controllers have not: the old release serves.
    const upgrading = (progress: RegExp) => async (): Promise<boolean> => {
      const hearth = await hearthOf('v1', name);
      const message = hearth.status?.conditions?.find((c) => c.type === 'Progressing')?.message ?? '';
      return hearth.status?.observedGeneration === generation && hearth.status?.phase === 'Upgrading' && progress.test(message);
    };
    const assertServing = async (version: string, reason: string): Promise<void> => {
      const status = (await hearthOf('v1', name)).status;
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual([status?.version, ready?.status, ready?.reason], [version, reason === 'AllComponentsReady' ? 'True' : 'False', reason]);
    };
    await eventually(`${name} Upgrading, the new spec not observed`, upgrading(/the new spec is not observed yet/), 20_000, 200);
    await assertServing('0.1.0', 'RollingOut');
    // Halfway: the new generation observed, not every pod updated yet.
    await markHalfRolledOut('v1', name, runsHearth);
    await eventually(`${name} Upgrading, pods being updated`, upgrading(/^(?!.*not observed).*pods updated/), 20_000, 200);
    await assertServing('0.1.0', 'RollingOut');

    await markReady('v1', name);
    await eventually(`${name} Ready on 0.2.0`, async () => (await hearthOf('v1', name)).status?.version === '0.2.0' && (await isHearthReady('v1', name)), 20_000, 200);
    await assertServing('0.2.0', 'AllComponentsReady');
  };

  it('deletion: the owned objects and the finalizer go, the volume claim stays', async () => {
    await run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, '-n', 'e1', 'create', '-f', await writeClaim(work)]);
    await kubectl('-n', 'e1', 'delete', 'hearth', 'acme', '--wait=false');
    await eventually('acme gone', async () => !(await exists('-n', 'e1', 'hearth', 'acme')), 20_000, 200);
    const left = (await owned('e1', 'acme')).map((item) => `${item.kind}/${item.metadata.name}`);
    // The session key has no owner while the volume is kept: the data would be unreadable without it.
    assert.deepEqual(left, ['Secret/acme-session-key']);
    assert.ok(await exists('-n', 'e1', 'pvc', 'data-acme-0'));
  });

  it('two operators: only the Lease holder acts; killed, the other takes over', async () => {
    const portB = await freePort();
    await startOperator('operator-b', portB);
    const holder = async (): Promise<string> =>
      (await getJson<{ spec: { holderIdentity?: string } }>('-n', 'default', 'lease', 'hearth-operator')).spec.holderIdentity ?? '';
    assert.equal(await holder(), 'operator-a');
    const leaderB = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${portB}/metrics`)).text();
      return Number(/^hearth_operator_leader\{[^}]*\} (\d+)/m.exec(text)?.[1] ?? -1);
    };
    const reconcilesB = async (): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${portB}/metrics`)).text();
      return [...text.matchAll(/^hearth_operator_reconcile_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal(await leaderB(), 0);
    assert.equal(await reconcilesB(), 0, 'the standby reconciled nothing');
    await kubectl('create', 'namespace', 'l1');
    const a = operators[0];
    a?.process.kill('SIGKILL');
    await a?.exited;
    const killedAt = Date.now();
    await eventually('operator-b leads', async () => (await holder()) === 'operator-b', 15_000, 100);
    const takeover = Date.now() - killedAt;
    assert.ok(takeover < 4_000 + 3_000, `took over in ${takeover} ms (lease 4 s)`);
    await kubectl('apply', '-n', 'l1', '-f', path.join(repoRoot, 'docs', 'examples', 'embedded.yaml'));
    await eventually('operator-b reconciles', async () => (await owned('l1', 'acme')).length === 4, 20_000, 200);
    const names = (await owned('s1', 'globex')).map((item) => `${item.kind}/${item.metadata.name}`);
    assert.equal(new Set(names).size, names.length, 'no duplicates');
  });
});

/** A workload whose pods run Hearth (gateway, realtime, messaging or the embedded process), not a backend. */
function runsHearth(item: Item): boolean {
  return hearthImage(item) !== undefined;
}

function hearthImage(item: Item): string | undefined {
  return item.spec?.template?.spec?.containers?.find((container) => container.name === 'hearth')?.image;
}

async function writeClaim(dir: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = path.join(dir, 'claim.json');
  const labels = {
    'app.kubernetes.io/name': 'hearth',
    'app.kubernetes.io/instance': 'acme',
    'app.kubernetes.io/component': 'all',
    'app.kubernetes.io/part-of': 'hearth',
    'app.kubernetes.io/managed-by': 'hearth-operator',
  };
  const claim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data-acme-0', labels },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
  };
  await writeFile(file, JSON.stringify(claim));
  return file;
}
