// The operator end to end: `node operator/src/main.ts` as a child process against a real
// kube-apiserver, driven the way a person would, through kubectl, in one namespace of the run's own.
// On the test control plane (the default) there is no kubelet or controller manager: the kit marks
// workloads ready through their status subresource, and nothing garbage-collects, so whatever goes
// on deletion went because the operator deleted it. With HEARTH_E2E_KUBECONFIG the same cases run
// on that cluster (e2e-cluster.ts), waiting for real pods where its controllers run.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, startChild, type Child } from '@hearth/harness';
import type { Condition, Hearth } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { e2eTarget, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { examples, isRolledOut, operatorTestKit, writtenVersion, type Item } from './operator-test-support.ts';
import { eventually } from '@hearth/kube-runtime/testing';

/** The steady-state window: a minute of resyncs every 5 s. */
const STEADY_STATE_MS = 60_000;

describe('the operator against a real API server', { timeout: suiteTimeoutMs(e2eTarget(process.env), 300_000) }, () => {
  let cluster: E2eCluster;
  const operators: Child[] = [];
  let metricsPort = 0;

  const {
    kubectl,
    getJson,
    exists,
    hearthOf,
    owned,
    workloads,
    applyExample,
    markReady,
    markHalfRolledOut,
    isHearthReady,
    metric,
    operatorEnv,
    operatorReady,
    deleteHearths,
  } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  /** What a write would change, by object (writtenVersion). */
  const versions = (items: readonly Item[]): Record<string, string> =>
    Object.fromEntries(items.map((item) => [`${item.kind}/${item.metadata.name}`, writtenVersion(item, cluster.workloadControllers)]));

  const startOperator = async (identity: string, port: number): Promise<Child> => {
    const child = startChild(process.execPath, [path.join(repoRoot, 'operator', 'src', 'main.ts')], {
      env: operatorEnv(port, {
        HEARTH_OPERATOR_IDENTITY: identity,
        HEARTH_OPERATOR_LEASE_DURATION_SECONDS: '4',
        HEARTH_OPERATOR_RENEW_DEADLINE_SECONDS: '3',
        HEARTH_OPERATOR_RETRY_PERIOD_SECONDS: '1',
      }),
    });
    operators.push(child);
    await operatorReady(child, port, `operator ${identity}`);
    return child;
  };

  before(async () => {
    cluster = await startE2eCluster('operator');
    metricsPort = await freePort();
    await startOperator('operator-a', metricsPort);
    await eventually(
      'operator-a holds the Lease',
      async () => (await exists('lease', 'hearth-operator')) && (await metric(/^leader_election_master_status\{name="hearth"\}/)) === 1,
      30_000,
      200,
    );
  });

  after(async () => {
    if (cluster !== undefined && operators.some((child) => child.process.exitCode === null)) await deleteHearths();
    if (process.env.HEARTH_TEST_OPERATOR_LOG === '1') for (const child of operators) process.stderr.write(child.output());
    for (const child of operators) await child.stop('SIGTERM', 10_000);
    await cluster?.stop();
  });

  it('embedded.yaml: the objects appear owned by the Hearth, which goes Ready once its StatefulSet is', async () => {
    await applyExample(examples.embedded);
    await eventually('the embedded objects', async () => (await owned('acme')).length === 4, 30_000, 200);
    const hearth = await hearthOf('acme');
    const items = await owned('acme');
    assert.deepEqual(items.map((item) => `${item.kind}/${item.metadata.name}`).sort(), [
      'Ingress/acme',
      'Secret/acme-session-key',
      'Service/acme',
      'StatefulSet/acme',
    ]);
    for (const item of items.filter((object) => object.kind !== 'Secret'))
      assert.deepEqual(
        item.metadata.ownerReferences?.map((o) => [o.uid, o.controller]),
        [[hearth.metadata.uid, true]],
      );
    assert.deepEqual(hearth.metadata.finalizers, ['hearth.dev/cleanup']);
    assert.notEqual(hearth.status?.phase, 'Ready');
    await markReady('acme');
    await eventually('acme Ready', () => isHearthReady('acme'), 20_000, 200);
    const ready = await hearthOf('acme');
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    assert.equal(ready.status?.url, 'http://chat.acme.example');
    const columns = await kubectl('get', 'hearth', 'acme');
    assert.match(columns, /embedded\s+Ready\s+0\.1\.0\s+http:\/\/chat\.acme\.example/);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=acme', '-o', 'custom-columns=REASON:.reason,MSG:.message');
    // One Event for everything the first reconcile made, not one per object.
    const created = events.split('\n').filter((line) => line.startsWith('Created '));
    assert.equal(created.length, 1, events);
    for (const object of ['Secret acme-session-key', 'Service acme', 'StatefulSet acme', 'Ingress acme']) assert.ok(created[0]?.includes(object), events);
    assert.match(events, /Ready\s+embedded tier 0\.1\.0 is ready/);
  });

  it('single.yaml: every object appears, the Hearth goes Ready, and its generated Secrets survive a reconcile', async () => {
    await applyExample(examples.single);
    const count = async (kind: string): Promise<number> => (await owned('globex')).filter((item) => item.kind === kind).length;
    await eventually(
      'the single objects',
      async () => (await count('Deployment')) === 3 && (await count('StatefulSet')) === 3 && (await count('Ingress')) === 1,
      30_000,
      200,
    );
    const secrets = (await owned('globex')).filter((item) => item.kind === 'Secret');
    assert.ok(secrets.length >= 2, `generated secrets: ${secrets.map((s) => s.metadata.name).join(', ')}`);
    await markReady('globex');
    await eventually('globex Ready', () => isHearthReady('globex'), 20_000, 200);
    const ready = await hearthOf('globex');
    assert.equal(ready.status?.observedGeneration, ready.metadata.generation);
    const reconcilesBefore = await metric(/^controller_runtime_reconcile_total\{.*result="success"/);
    await kubectl('annotate', 'hearth', 'globex', 'test/poke=1');
    await eventually(
      'a reconcile after the poke',
      async () => (await metric(/^controller_runtime_reconcile_total\{.*result="success"/)) > reconcilesBefore,
      10_000,
      100,
    );
    const after = (await owned('globex')).filter((item) => item.kind === 'Secret');
    assert.deepEqual(
      after.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.data]),
      secrets.map((s) => [s.metadata.name, s.metadata.resourceVersion, s.data]),
    );
  });

  it('steady state: 60 s of resyncs of Ready Hearths write nothing', async () => {
    const snapshot = async (): Promise<Record<string, string>> => ({
      ...versions([...(await owned('acme')), ...(await owned('globex'))]),
      hearthAcme: (await hearthOf('acme')).metadata.resourceVersion ?? '',
      hearthGlobex: (await hearthOf('globex')).metadata.resourceVersion ?? '',
    });
    const before = await snapshot();
    const reconciles = await metric(/^controller_runtime_reconcile_total\{.*result="success"/);
    const applied = await metric(/^hearth_operator_apply_total\{.*result="(created|updated)"/);
    await new Promise((resolve) => setTimeout(resolve, STEADY_STATE_MS));
    assert.deepEqual(await snapshot(), before);
    assert.ok((await metric(/^controller_runtime_reconcile_total\{.*result="success"/)) >= reconciles + 20, 'at least ten resyncs of both Hearths');
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    assert.equal(
      await metric(/^hearth_operator_apply_total\{.*result="(created|updated)"/),
      applied,
      `no server-side apply was even sent: ${text
        .split('\n')
        .filter((l) => l.startsWith('hearth_operator_apply_total'))
        .join('\n')}`,
    );
  });

  it('drift: a deleted Service and an edited Deployment come back', async () => {
    await kubectl('delete', 'service', 'globex-gateway');
    await kubectl('scale', 'deployment', 'globex-gateway', '--replicas=5');
    await eventually('the Service back', () => exists('service', 'globex-gateway'), 15_000, 200);
    await eventually('the replicas back', async () => (await getJson<Item>('deployment', 'globex-gateway')).spec?.replicas === 2, 15_000, 200);
  });

  it('spec.paused: the operator stands back and says so, then picks up again', async () => {
    const success = /^controller_runtime_reconcile_total\{.*result="success"/;
    const condition = (hearth: Hearth, type: string): Condition | undefined => hearth.status?.conditions?.find((c) => c.type === type);
    const actedOn = (await hearthOf('globex')).status?.observedGeneration;
    await kubectl('patch', 'hearth', 'globex', '--type=merge', '-p', JSON.stringify({ spec: { paused: true } }));
    const generation = (await hearthOf('globex')).metadata.generation;
    await eventually('the Paused condition', async () => condition(await hearthOf('globex'), 'Paused')?.observedGeneration === generation, 15_000, 200);
    const paused = await hearthOf('globex');
    assert.deepEqual([condition(paused, 'Paused')?.status, condition(paused, 'Paused')?.reason], ['True', 'SpecPaused']);
    assert.equal(paused.status?.observedGeneration, actedOn, 'the paused generation is not acted on');
    assert.match(await kubectl('get', 'hearth', 'globex'), /^globex\s+single\s+\S+\s+True\s+0\.1\.0\s/m);

    // Nothing is put back while paused, through several resyncs.
    await kubectl('delete', 'service', 'globex-gateway');
    const reconciles = await metric(success);
    await eventually('resyncs while paused', async () => (await metric(success)) >= reconciles + 3, 20_000, 200);
    assert.equal(await exists('service', 'globex-gateway'), false);

    await kubectl('patch', 'hearth', 'globex', '--type=merge', '-p', JSON.stringify({ spec: { paused: false } }));
    await eventually('the Service back', () => exists('service', 'globex-gateway'), 15_000, 200);
    await eventually(
      'the Paused condition gone',
      async () => {
        const hearth = await hearthOf('globex');
        return hearth.status?.observedGeneration === hearth.metadata.generation && condition(hearth, 'Paused') === undefined;
      },
      15_000,
      200,
    );
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=globex', '-o', 'custom-columns=REASON:.reason');
    assert.match(events, /^Paused$/m);
    assert.match(events, /^Resumed$/m);
  });

  it('spec.version rolls the Hearth workloads and not the backends; status.version follows once they have rolled out', async () => {
    await rollVersion('globex', {
      hearth: ['Deployment/globex-gateway', 'Deployment/globex-messaging', 'Deployment/globex-realtime'],
      backends: ['StatefulSet/globex-nats', 'StatefulSet/globex-postgres', 'StatefulSet/globex-redis'],
    });
    await rollVersion('acme', { hearth: ['StatefulSet/acme'], backends: [] });
  });

  /** Makes a Hearth Ready on 0.1.0 (the drift case left globex rolling out), moves spec.version to 0.2.0 and follows the rollout. */
  const rollVersion = async (name: string, expected: { hearth: string[]; backends: string[] }): Promise<void> => {
    const ids = (items: readonly Item[]): string[] => items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 20_000, 200);
    assert.equal((await hearthOf(name)).status?.version, '0.1.0');
    const before = await workloads(name);
    assert.deepEqual(ids(before.filter(runsHearth)), expected.hearth);
    assert.deepEqual(ids(before.filter((item) => !runsHearth(item))), expected.backends);

    await kubectl('patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec: { version: '0.2.0' } }));
    const generation = (await hearthOf(name)).metadata.generation;
    const image = `${cluster.image ?? 'ghcr.io/hearth/hearth'}:0.2.0`;
    await eventually(
      `${name}: ${image} in every Hearth pod template`,
      async () => (await workloads(name)).filter(runsHearth).every((item) => hearthImage(item) === image),
      20_000,
      200,
    );
    const after = await workloads(name);
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
    const assertServing = async (version: string, reason: string): Promise<void> => {
      const status = (await hearthOf(name)).status;
      const ready = status?.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual([status?.version, ready?.status, ready?.reason], [version, reason === 'AllComponentsReady' ? 'True' : 'False', reason]);
    };

    if (cluster.workloadControllers) {
      // Real controllers roll the pods at their own pace: what can be checked is that status.version never runs ahead of them.
      await eventually(
        `${name} Ready on 0.2.0`,
        async () => {
          const served = (await hearthOf(name)).status?.version === '0.2.0';
          if (served) assert.ok((await workloads(name)).filter(runsHearth).every(isRolledOut), 'status.version moved before the rollout was done');
          return served && (await isHearthReady(name));
        },
        600_000,
        500,
      );
      return;
    }
    // The operator has seen the new spec, the workload controllers have not: the old release serves.
    const upgrading = (progress: RegExp) => async (): Promise<boolean> => {
      const hearth = await hearthOf(name);
      const message = hearth.status?.conditions?.find((c) => c.type === 'Progressing')?.message ?? '';
      return hearth.status?.observedGeneration === generation && hearth.status?.phase === 'Upgrading' && progress.test(message);
    };
    await eventually(`${name} Upgrading, the new spec not observed`, upgrading(/the new spec is not observed yet/), 20_000, 200);
    await assertServing('0.1.0', 'RollingOut');
    // Halfway: the new generation observed, not every pod updated yet.
    await markHalfRolledOut(name, runsHearth);
    await eventually(`${name} Upgrading, pods being updated`, upgrading(/^(?!.*not observed).*pods updated/), 20_000, 200);
    await assertServing('0.1.0', 'RollingOut');

    await markReady(name);
    await eventually(`${name} Ready on 0.2.0`, async () => (await hearthOf(name)).status?.version === '0.2.0' && (await isHearthReady(name)), 20_000, 200);
    await assertServing('0.2.0', 'AllComponentsReady');
  };

  it('spec.storage.size: the StatefulSet keeps its claim template, a bound claim is asked to grow, a smaller size is refused with a Warning', async () => {
    type Claim = { spec?: { resources?: { requests?: { storage?: string } } } };
    type Set = { spec?: { volumeClaimTemplates?: Claim[] } };
    const templateSize = async (): Promise<string | undefined> =>
      (await getJson<Set>('statefulset', 'acme')).spec?.volumeClaimTemplates?.[0]?.spec?.resources?.requests?.storage;
    const claimSize = async (): Promise<string | undefined> => (await getJson<Claim>('pvc', 'data-acme-0')).spec?.resources?.requests?.storage;
    const warnings = async (): Promise<string[]> =>
      (await getJson<{ items: { message: string }[] }>('events', '--field-selector', 'involvedObject.name=acme,reason=StorageUnchanged')).items.map(
        (event) => event.message,
      );
    assert.equal(await templateSize(), '10Gi');
    if (!cluster.workloadControllers) {
      // Standing in for the StatefulSet controller and a provisioner: a bound claim in a class that can grow.
      await kubectl('apply', '-f', await writeExpandableClass(cluster.work));
      await kubectl('create', '-f', await writeClaim(cluster.work, 'expandable'));
      await kubectl(
        'patch',
        'pvc',
        'data-acme-0',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { phase: 'Bound', capacity: { storage: '10Gi' } } }),
      );
    }
    await kubectl('patch', 'hearth', 'acme', '--type=merge', '-p', JSON.stringify({ spec: { storage: { size: '20Gi' } } }));
    if (!cluster.workloadControllers) {
      await eventually('data-acme-0 asked to grow to 20Gi', async () => (await claimSize()) === '20Gi', 20_000, 200);
    }
    // The status is written after every object applied: a StatefulSet refused for its new claim template would stop it here.
    const generation = (await hearthOf('acme')).metadata.generation;
    await eventually('the new spec observed', async () => (await hearthOf('acme')).status?.observedGeneration === generation, 20_000, 200);
    assert.equal(await templateSize(), '10Gi', 'the claim template, which cannot change, is left as it was made');

    await kubectl('patch', 'hearth', 'acme', '--type=merge', '-p', JSON.stringify({ spec: { storage: { size: '5Gi' } } }));
    await eventually('a Warning that volumes cannot shrink', async () => (await warnings()).some((message) => /cannot shrink/.test(message)), 20_000, 200);
    if (!cluster.workloadControllers) assert.equal(await claimSize(), '20Gi');
    assert.equal(await templateSize(), '10Gi');
  });

  it('deletion: the owned objects and the finalizer go, the volume claim stays', async () => {
    // Where a StatefulSet controller runs it made the claim; elsewhere the test makes the one it would have.
    if (!(await exists('pvc', 'data-acme-0'))) await kubectl('create', '-f', await writeClaim(cluster.work));
    await kubectl('delete', 'hearth', 'acme', '--wait=false');
    await eventually('acme gone', async () => !(await exists('hearth', 'acme')), 20_000, 200);
    const left = (await owned('acme')).map((item) => `${item.kind}/${item.metadata.name}`);
    // The session key has no owner while the volume is kept: the data would be unreadable without it.
    assert.deepEqual(left, ['Secret/acme-session-key']);
    assert.ok(await exists('pvc', 'data-acme-0'));
  });

  it('two operators: only the Lease holder acts; killed, the other takes over', async () => {
    const portB = await freePort();
    await startOperator('operator-b', portB);
    const holder = async (): Promise<string> => (await getJson<{ spec: { holderIdentity?: string } }>('lease', 'hearth-operator')).spec.holderIdentity ?? '';
    assert.equal(await holder(), 'operator-a');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    assert.equal(await metric(/^leader_election_master_status\{name="hearth"\}/, portB), 0);
    assert.equal(await metric(/^controller_runtime_reconcile_total\{/, portB), 0, 'the standby reconciled nothing');
    const a = operators[0];
    a?.process.kill('SIGKILL');
    await a?.exited;
    const killedAt = Date.now();
    await eventually('operator-b leads', async () => (await holder()) === 'operator-b', 15_000, 100);
    const takeover = Date.now() - killedAt;
    assert.ok(takeover < 4_000 + 3_000, `took over in ${takeover} ms (lease 4 s)`);
    await applyExample(examples.embedded, 'lima');
    await eventually('operator-b reconciles', async () => (await owned('lima')).length === 4, 20_000, 200);
    const names = (await owned('globex')).map((item) => `${item.kind}/${item.metadata.name}`);
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

async function writeExpandableClass(dir: string): Promise<string> {
  const file = path.join(dir, 'storage-class.json');
  const storageClass = {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'expandable' },
    provisioner: 'example.com/none',
    allowVolumeExpansion: true,
  };
  await writeFile(file, JSON.stringify(storageClass));
  return file;
}

async function writeClaim(dir: string, storageClassName?: string): Promise<string> {
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
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } }, ...(storageClassName === undefined ? {} : { storageClassName }) },
  };
  await writeFile(file, JSON.stringify(claim));
  return file;
}
