// What a platform team does to a Hearth and its objects by hand, and how the operator keeps (or
// takes back) control without losing data: a Service edited under it, a spec the API server refuses,
// quantities it rewrites, storage it cannot change, a lost credentials Secret, retainOnDelete
// flipped before a delete, and a tier an earlier release let change. `node operator/src/main.ts`
// runs as a child process against a real kube-apiserver (e2e-cluster.ts); each case failed on the
// operator before these fixes (issue 9).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { freePort, type Child } from '@hearth/harness';
import type { Condition, Hearth } from './api/index.ts';
import { e2eTarget, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { examples, operatorTestKit, writtenVersion, type Item } from './operator-test-support.ts';
import { eventually } from '@hearth/kube-runtime/testing';

interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  count?: number;
}

/** The objects the Deleted Events name (`Deleted Secret a, Service b`: one Event per reconcile of a deletion). */
function deletedIn(events: readonly KubeEvent[]): string[] {
  return events.filter((event) => event.reason === 'Deleted').flatMap((event) => event.message.replace(/^Deleted /, '').split(', '));
}

describe('the operator keeps control of a Hearth edited by hand', { timeout: suiteTimeoutMs(e2eTarget(process.env), 420_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;

  const { kubectl, getJson, exists, hearthOf, owned, workloads, applyExample, markReady, isHearthReady, metric, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const patchHearth = (name: string, spec: unknown): Promise<string> => kubectl('patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec }));
  const condition = async (name: string, type: string): Promise<Condition | undefined> =>
    (await hearthOf(name)).status?.conditions?.find((c) => c.type === type);
  const eventsOf = async (name: string): Promise<KubeEvent[]> =>
    (await getJson<{ items: KubeEvent[] }>('events', '--field-selector', `involvedObject.name=${name}`)).items;
  const successes = (): Promise<number> => metric(/^controller_runtime_reconcile_total\{.*result="success"/);
  const attempts = (): Promise<number> => metric(/^controller_runtime_reconcile_total\{/);
  /** Waits for this many more reconciles (of any Hearth, any result): resyncs come every 5 s. */
  const moreReconciles = async (count: number): Promise<void> => {
    const before = await attempts();
    await eventually(`${count} more reconciles`, async () => (await attempts()) >= before + count, 40_000, 200);
  };
  const written = (item: Item): string => writtenVersion(item, cluster.workloadControllers);
  /** The latest spec observed: status.observedGeneration caught up with metadata.generation. */
  const observed = async (name: string): Promise<boolean> => {
    const hearth = await hearthOf(name);
    return hearth.status?.observedGeneration === hearth.metadata.generation;
  };
  const readyHearth = async (file: string, name: string, count: number): Promise<void> => {
    await applyExample(file, name);
    await eventually(`the objects of ${name}`, async () => (await owned(name)).filter((item) => item.kind !== 'Secret').length === count, 30_000, 200);
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 20_000, 200);
  };
  /** A volume claim as a StatefulSet's claim template would make it; Bound, or waiting for a volume. */
  const createClaim = async (name: string, instance: string, component: string, bound: boolean): Promise<void> => {
    const labels = {
      'app.kubernetes.io/name': 'hearth',
      'app.kubernetes.io/instance': instance,
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': 'hearth',
      'app.kubernetes.io/managed-by': 'hearth-operator',
    };
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, labels },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    };
    const file = path.join(cluster.work, `${name}.json`);
    await writeFile(file, JSON.stringify(claim));
    await kubectl('create', '-f', file);
    if (bound)
      await kubectl(
        'patch',
        'pvc',
        name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { phase: 'Bound', capacity: { storage: '10Gi' } } }),
      );
  };

  /**
   * The claim a StatefulSet's template makes, Bound: where controllers run, the one they made and
   * bound, waited for; elsewhere made and bound by the test as they would.
   */
  const boundClaim = async (name: string, instance: string, component: string): Promise<void> => {
    if (!cluster.workloadControllers) {
      await createClaim(name, instance, component, true);
      return;
    }
    const phase = async (): Promise<string | undefined> => (await getJson<{ status?: { phase?: string } }>('pvc', name).catch(() => undefined))?.status?.phase;
    await eventually(`${name} made and bound by the cluster`, async () => (await phase()) === 'Bound', 120_000, 500);
  };

  /**
   * This case reaches states (a claim not made yet, one waiting for its volume) that controllers
   * and a provisioner move past at once: where they run (an existing cluster), skipped.
   */
  const standsInForClaims = (t: TestContext): boolean => {
    if (!cluster.workloadControllers) return false;
    t.skip('makes and binds volume claims by hand, which this cluster’s controllers do');
    return true;
  };

  before(async () => {
    cluster = await startE2eCluster('repair');
    metricsPort = await freePort();
    operator = await startOperator(metricsPort, { HEARTH_OPERATOR_LEADER_ELECTION: 'false' });
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it('a Service port edited by hand is taken back, and later spec changes are still carried out', async () => {
    await readyHearth(examples.embedded, 'alpha', 3);
    // The command: server-side apply would add port 80 back beside 8081 under the same name (422, for good).
    await kubectl('patch', 'svc', 'alpha', '--type=merge', '-p', JSON.stringify({ spec: { ports: [{ name: 'http', port: 8081, targetPort: 'http' }] } }));
    const ports = async (): Promise<string> =>
      JSON.stringify((await getJson<{ spec: { ports: { name: string; port: number }[] } }>('svc', 'alpha')).spec.ports.map((p) => [p.name, p.port]));
    await eventually('the Service back on port 80 alone', async () => (await ports()) === '[["http",80]]', 20_000, 200);

    await patchHearth('alpha', { version: '0.2.0' });
    await eventually('the new spec observed', () => observed('alpha'), 20_000, 200);
    const image = (await getJson<Item>('statefulset', 'alpha')).spec?.template?.spec?.containers?.find((c) => c.name === 'hearth')?.image;
    assert.match(image ?? '', /:0\.2\.0$/);
    assert.equal((await condition('alpha', 'Degraded'))?.reason, 'AsExpected');
  });

  it('an env var added by hand (kubectl set env) is taken out, and then a steady Hearth writes nothing', async () => {
    // alpha, from the case above: the env entry is kubectl's own under server-side apply, so an apply alone would leave it, and re-apply for ever.
    const env = async (): Promise<string[]> =>
      (
        (await getJson<Item>('statefulset', 'alpha')).spec?.template?.spec?.containers?.find((c) => c.name === 'hearth') as { env?: { name: string }[] }
      )?.env?.map((variable) => variable.name) ?? [];
    await kubectl('set', 'env', 'statefulset/alpha', '-c', 'hearth', 'AUDIT_EXTRA=1');
    await eventually('AUDIT_EXTRA taken out', async () => !(await env()).includes('AUDIT_EXTRA'), 20_000, 200);
    await markReady('alpha');
    await eventually('alpha Ready', () => isHearthReady('alpha'), 20_000, 200);
    const version = written(await getJson<Item>('statefulset', 'alpha'));
    const applies = await metric(/^hearth_operator_apply_total\{.*result="updated"/);
    await moreReconciles(4);
    assert.equal(written(await getJson<Item>('statefulset', 'alpha')), version, 'the StatefulSet not written again');
    assert.equal(await metric(/^hearth_operator_apply_total\{.*result="updated"/), applies, 'no apply sent');
  });

  it('a step after the objects fails (admission refuses the backup CronJob): Degraded with the API server’s words and one Warning; allowed again, it recovers', async () => {
    // A ValidatingAdmissionPolicy of the run's namespace only, as a platform team might have: the CronJob is Forbidden (403).
    const name = `hearth-e2e-no-cronjobs-${cluster.namespace}`;
    const policy = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: ['batch'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['cronjobs'] }] },
        validations: [{ expression: 'false', message: 'CronJobs are made by the platform team here', reason: 'Forbidden' }],
      },
    };
    const binding = {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': cluster.namespace } } },
      },
    };
    const file = path.join(cluster.work, 'no-cronjobs.json');
    await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [policy, binding] }));
    await kubectl('apply', '-f', file);
    try {
      // The API server takes a new policy up within seconds: a dry run says when.
      const refused = (): Promise<boolean> =>
        kubectl('create', 'cronjob', 'probe', '--image=probe', '--schedule=@daily', '--dry-run=server').then(
          () => false,
          (error: unknown) => /CronJobs are made by the platform team here/.test(String(error)),
        );
      await eventually('the policy in force', refused, 30_000, 250);
      const s3 = { bucket: 'acme-backups', endpoint: 'http://s3.example:8333', credentialsSecretRef: { name: 'backup-s3' } };
      await patchHearth('alpha', { backup: { schedule: '@daily', retention: 1, destination: { s3 } } });
      await eventually('alpha Degraded: ReconcileError', async () => (await condition('alpha', 'Degraded'))?.reason === 'ReconcileError', 30_000, 200);
      assert.match((await condition('alpha', 'Degraded'))?.message ?? '', /CronJobs are made by the platform team here/);
      assert.equal((await hearthOf('alpha')).status?.phase, 'Degraded');
      await moreReconciles(3);
      const warnings = (await eventsOf('alpha')).filter(
        (event) => event.type === 'Warning' && /CronJobs are made by the platform team here/.test(event.message),
      );
      assert.deepEqual(
        warnings.map((event) => event.count ?? 1),
        [1],
        'one Warning, not one per retry',
      );
    } finally {
      await kubectl('delete', '-f', file, '--ignore-not-found');
    }
    await eventually('the CronJob made once allowed', () => exists('cronjob', 'alpha-backup'), 60_000, 200);
    await eventually('alpha no longer Degraded', async () => (await condition('alpha', 'Degraded'))?.reason === 'AsExpected', 30_000, 200);
    await patchHearth('alpha', { backup: null });
    await eventually('the CronJob gone with spec.backup', async () => !(await exists('cronjob', 'alpha-backup')), 30_000, 200);
  });

  it('a spec the API server refuses: Failed with InvalidResource and its message, one Warning however often it is retried; fixed, it recovers', async () => {
    await readyHearth(examples.single, 'bravo', 15);
    // Passes the CRD (a resource name with a domain) but not the Deployment: an extended resource needs a limit.
    await patchHearth('bravo', { services: { gateway: { resources: { requests: { 'example.com/gpu': '1' } } } } });
    await eventually(
      'bravo Failed on the new spec',
      async () => (await observed('bravo')) && (await hearthOf('bravo')).status?.phase === 'Failed',
      20_000,
      200,
    );
    const degraded = await condition('bravo', 'Degraded');
    assert.equal(degraded?.reason, 'InvalidResource');
    assert.match(
      degraded?.message ?? '',
      /^the API server refused Deployment bravo-gateway of this spec: Deployment.apps "bravo-gateway" is invalid: .*Limit must be set/,
    );
    assert.match(await kubectl('get', 'hearth', 'bravo'), /^bravo\s+single\s+Failed\s/m);
    await moreReconciles(3);
    const warnings = (await eventsOf('bravo')).filter((event) => event.reason === 'InvalidResource');
    assert.deepEqual(
      warnings.map((event) => [event.type, event.count]),
      [['Warning', 1]],
      'one Warning, not one per retry',
    );

    await patchHearth('bravo', { services: { gateway: { resources: { requests: { 'example.com/gpu': null } } } } });
    await eventually(
      'bravo observed without the refusal',
      async () => (await observed('bravo')) && (await condition('bravo', 'Degraded'))?.reason !== 'InvalidResource',
      20_000,
      200,
    );
    await markReady('bravo');
    await eventually('bravo Ready again', () => isHearthReady('bravo'), 20_000, 200);
  });

  it('quantities the API server rewrites (0.5 → 500m, 1024Mi → 1Gi): a steady Hearth writes nothing and records no Updated event', async () => {
    await patchHearth('bravo', { services: { realtime: { resources: { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { memory: '2048Mi' } } } } });
    await eventually('the new spec observed', () => observed('bravo'), 20_000, 200);
    assert.equal(
      (await getJson<{ spec: { template: { spec: { containers: { resources: { requests: { cpu: string } } }[] } } } }>('deployment', 'bravo-realtime')).spec
        .template.spec.containers[0]?.resources.requests.cpu,
      '500m',
    );
    await markReady('bravo');
    await eventually('bravo Ready', () => isHearthReady('bravo'), 20_000, 200);
    const updated = async (): Promise<number> =>
      (await eventsOf('bravo')).filter((event) => event.reason === 'Updated').reduce((sum, event) => sum + (event.count ?? 1), 0);
    const before = { updated: await updated(), versions: (await workloads('bravo')).map(written) };
    const applies = await metric(/^hearth_operator_apply_total\{.*result="updated"/);
    await moreReconciles(4);
    assert.equal(await updated(), before.updated, 'no Updated event');
    assert.deepEqual((await workloads('bravo')).map(written), before.versions);
    assert.equal(await metric(/^hearth_operator_apply_total\{.*result="updated"/), applies, 'no apply sent');
  });

  it('a storage change the volumes cannot take: a StorageUnchanged condition saying why, and one Warning per change, not per resync', async (t) => {
    if (standsInForClaims(t)) return;
    await readyHearth(examples.embedded, 'charlie', 3);
    // No claim yet: the StatefulSet will make it from its template, which keeps 10Gi.
    await patchHearth('charlie', { storage: { size: '5Gi' } });
    await eventually(
      'StorageUnchanged for a claim not made yet',
      async () => /will be made at 10Gi/.test((await condition('charlie', 'StorageUnchanged'))?.message ?? ''),
      20_000,
      200,
    );
    assert.equal((await condition('charlie', 'StorageUnchanged'))?.reason, 'CannotShrink');
    await moreReconciles(3);
    const storageWarnings = async (): Promise<KubeEvent[]> => (await eventsOf('charlie')).filter((event) => event.reason === 'StorageUnchanged');
    assert.deepEqual(
      (await storageWarnings()).map((event) => [event.type, event.count]),
      [['Warning', 1]],
    );

    // A claim waiting for its volume cannot grow yet; that is not a storage class problem.
    await createClaim('data-charlie-0', 'charlie', 'all', false);
    await patchHearth('charlie', { storage: { size: '20Gi' } });
    await eventually('StorageUnchanged: not bound', async () => (await condition('charlie', 'StorageUnchanged'))?.reason === 'ClaimNotBound', 20_000, 200);
    const message = (await condition('charlie', 'StorageUnchanged'))?.message ?? '';
    assert.match(message, /PersistentVolumeClaim data-charlie-0 is not bound to a volume yet: it is asked for 20Gi once it is/);
    assert.doesNotMatch(message, /expansion/);
    // A resync may see the claim before the new size (CannotShrink with the claim's size, a state of its own): at least one more.
    const warnings = async (): Promise<number> => (await storageWarnings()).reduce((sum, event) => sum + (event.count ?? 1), 0);
    const warned = await warnings();
    assert.ok(warned >= 2, 'a second Warning for the new state');
    await moreReconciles(3);
    assert.equal(await warnings(), warned, 'and none per resync');

    await patchHearth('charlie', { storage: { size: '10Gi' } });
    await eventually(
      'no StorageUnchanged once the spec matches',
      async () => (await observed('charlie')) && (await condition('charlie', 'StorageUnchanged')) === undefined,
      20_000,
      200,
    );
  });

  it('a deleted credentials Secret whose volume holds data is not made again with a new password: Degraded until it is restored', async () => {
    await readyHearth(examples.single, 'delta', 15);
    await boundClaim('data-delta-postgres-0', 'delta', 'postgres');
    const saved = await getJson<Item & { type: string; immutable: boolean; metadata: { annotations?: Record<string, string> } }>(
      'secret',
      'delta-postgres-credentials',
    );
    const generations = async (): Promise<string[]> =>
      (await workloads('delta')).map((item) => `${item.kind}/${item.metadata.name}@${item.metadata.generation ?? 0}`).sort();
    const before = await generations();

    await kubectl('delete', 'secret', 'delta-postgres-credentials');
    await eventually('delta Degraded: CredentialsMissing', async () => (await condition('delta', 'Degraded'))?.reason === 'CredentialsMissing', 20_000, 200);
    assert.equal((await hearthOf('delta')).status?.phase, 'Degraded');
    assert.match(
      (await condition('delta', 'Degraded'))?.message ?? '',
      /Secret delta-postgres-credentials is missing while PersistentVolumeClaim data-delta-postgres-0 holds data its password opens.*Restore the Secret/,
    );
    assert.equal((await condition('delta', 'Ready'))?.status, 'True', 'the running pods still serve');
    await moreReconciles(3);
    assert.equal(await exists('secret', 'delta-postgres-credentials'), false, 'no new password');
    assert.deepEqual(await generations(), before, 'no pod rolled');
    assert.equal((await eventsOf('delta')).filter((event) => event.reason === 'CredentialsMissing' && event.type === 'Warning').length, 1);

    // Restored from a backup, as the message says: the Hearth is whole again, with the old password.
    const restored = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: saved.type,
      immutable: saved.immutable,
      data: saved.data,
      metadata: { name: saved.metadata.name, labels: saved.metadata.labels, annotations: saved.metadata.annotations },
    };
    const file = path.join(cluster.work, 'restored.json');
    await writeFile(file, JSON.stringify(restored));
    await kubectl('apply', '-f', file);
    await eventually(
      'delta Ready again',
      async () => (await isHearthReady('delta')) && (await condition('delta', 'Degraded'))?.reason === 'AsExpected',
      20_000,
      200,
    );
    assert.deepEqual((await getJson<Item>('secret', 'delta-postgres-credentials')).data, saved.data);

    // Redis keeps nothing on disk: its lost password is simply made again.
    await kubectl('delete', 'secret', 'delta-redis-credentials');
    await eventually('delta-redis-credentials made again', () => exists('secret', 'delta-redis-credentials'), 20_000, 200);
  });

  it('retainOnDelete false → true before a delete: the volume and its credentials are both kept, with no owner left to collect them', async () => {
    await applyExample(examples.embedded, 'echo');
    await patchHearth('echo', { storage: { retainOnDelete: false } });
    await eventually('the objects of echo', async () => (await owned('echo')).length === 4, 30_000, 200);
    const hearth = await hearthOf('echo');
    // As an earlier release made them: the Secret owned by the Hearth, the claim by its StatefulSet.
    const owner = { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', name: 'echo', uid: hearth.metadata.uid };
    await kubectl('patch', 'secret', 'echo-session-key', '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: [owner] } }));
    await boundClaim('data-echo-0', 'echo', 'all');
    const set = await getJson<Item>('statefulset', 'echo');
    const setOwner = { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'echo', uid: set.metadata.uid };
    await kubectl('patch', 'pvc', 'data-echo-0', '--type=merge', '-p', JSON.stringify({ metadata: { ownerReferences: [setOwner] } }));

    await patchHearth('echo', { storage: { retainOnDelete: true } });
    await eventually('the change observed', () => observed('echo'), 20_000, 200);
    await kubectl('delete', 'hearth', 'echo', '--wait=false');
    await eventually('echo gone', async () => !(await exists('hearth', 'echo')), 20_000, 200);

    const secret = await getJson<Item>('secret', 'echo-session-key');
    assert.deepEqual(secret.metadata.ownerReferences ?? [], [], 'the garbage collector cannot take the Secret');
    const claim = await getJson<Item>('pvc', 'data-echo-0');
    assert.deepEqual(claim.metadata.ownerReferences ?? [], [], 'nor the claim');
    const events = await eventsOf('echo');
    assert.ok(deletedIn(events).includes('StatefulSet echo'), 'a Deleted event naming the objects');
    assert.ok(events.some((event) => event.reason === 'Retained' && /PersistentVolumeClaim data-echo-0, Secret echo-session-key/.test(event.message)));
  });

  it('retainOnDelete true → false before a delete: the volume and its credentials both go, named in a Deleted event', async () => {
    await applyExample(examples.embedded, 'foxtrot');
    await eventually('the objects of foxtrot', async () => (await owned('foxtrot')).length === 4, 30_000, 200);
    await boundClaim('data-foxtrot-0', 'foxtrot', 'all');
    await patchHearth('foxtrot', { storage: { retainOnDelete: false } });
    await eventually('the change observed', () => observed('foxtrot'), 20_000, 200);
    await kubectl('delete', 'hearth', 'foxtrot', '--wait=false');
    await eventually('foxtrot gone', async () => !(await exists('hearth', 'foxtrot')), 20_000, 200);
    assert.equal(await exists('secret', 'foxtrot-session-key'), false);
    // On the test control plane nothing lifts pvc-protection; a claim being deleted is on its way out.
    const claim = await getJson<Item & { metadata: { deletionTimestamp?: string } }>('pvc', 'data-foxtrot-0').catch(() => undefined);
    assert.ok(claim === undefined || claim.metadata.deletionTimestamp !== undefined, 'the claim is deleted');
    const deleted = deletedIn(await eventsOf('foxtrot'));
    // Where a StatefulSet controller runs, its claim retention policy (whenDeleted: Delete) may have the claim collected with the StatefulSet first.
    const claimEvent = cluster.workloadControllers ? [] : ['PersistentVolumeClaim data-foxtrot-0'];
    for (const expected of ['StatefulSet foxtrot', 'Service foxtrot', 'Secret foxtrot-session-key', ...claimEvent])
      assert.ok(deleted.includes(expected), `${expected} in ${deleted.join('; ')}`);
  });

  it('single → clustered where CloudNativePG is not installed: the migration waits, saying what to install, and the single tier goes on being reconciled', async () => {
    await readyHearth(examples.single, 'hotel', 15);
    // The example's standalone Redis is refused in the clustered tier; left unset it becomes Sentinels.
    await kubectl(
      'patch',
      'hearth',
      'hotel',
      '--type=json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/tier', value: 'clustered' },
        { op: 'remove', path: '/spec/redis/mode' },
      ]),
    );
    await eventually('hotel waiting for its new tier', async () => (await hearthOf('hotel')).status?.migration?.reason === 'TierNotAvailable', 30_000, 200);
    const { status } = await hearthOf('hotel');
    assert.deepEqual([status?.tier, status?.phase, status?.migration?.stage], ['single', 'Migrating', 'StartingBackends']);
    assert.match(
      status?.migration?.message ?? '',
      /^the clustered tier cannot be built in this cluster yet: .*install CloudNativePG .*or set spec\.database\.external\.secretRef/,
    );

    // Still reconciled meanwhile: a deleted Service of the single tier comes back, a version change is rolled out.
    await kubectl('delete', 'service', 'hotel-gateway');
    await eventually('the gateway Service back', () => exists('service', 'hotel-gateway'), 20_000, 200);
    await patchHearth('hotel', { version: '0.2.0' });
    const onNewVersion = async (): Promise<boolean> =>
      (await workloads('hotel'))
        .filter((item) => item.kind === 'Deployment')
        .every((item) => item.spec?.template?.spec?.containers?.[0]?.image?.endsWith(':0.2.0') === true);
    await eventually('the single tier’s Deployments on 0.2.0', onNewVersion, 20_000, 200);
    assert.equal((await hearthOf('hotel')).status?.migration?.reason, 'TierNotAvailable', 'and the migration still says why it waits');
  });

  it('spec.version back below the newest release served, by way of a tag that is none: Failed, nothing applied, what serves keeps serving', async () => {
    await readyHearth(examples.embedded, 'india', 3);
    const image = async (): Promise<string | undefined> =>
      (await getJson<Item>('statefulset', 'india')).spec?.template?.spec?.containers?.find((c) => c.name === 'hearth')?.image;
    for (const version of ['0.3.0', 'nightly']) {
      await patchHearth('india', { version });
      await eventually(`india on ${version}`, async () => (await image())?.endsWith(`:${version}`) === true, 20_000, 200);
      await markReady('india');
      await eventually(`india serving ${version}`, async () => (await hearthOf('india')).status?.version === version, 30_000, 200);
    }
    assert.equal((await hearthOf('india')).status?.newestVersion, '0.3.0');
    // The API server cannot order nightly and 0.1.0, so it takes the change; the operator does not carry it out.
    await patchHearth('india', { version: '0.1.0' });
    await eventually('india Failed', async () => (await hearthOf('india')).status?.phase === 'Failed', 20_000, 200);
    assert.equal((await condition('india', 'Degraded'))?.reason, 'InvalidResource');
    assert.match(
      (await condition('india', 'Degraded'))?.message ?? '',
      /^spec\.version 0\.1\.0 is older than 0\.3\.0, the newest release this Hearth has served/,
    );
    assert.match((await image()) ?? '', /:nightly$/, 'what served still serves');
    await patchHearth('india', { version: '0.3.1' });
    await eventually('india carrying out 0.3.1', async () => (await image())?.endsWith(':0.3.1') === true, 20_000, 200);
  });

  it('a tier two steps up (an earlier release let it change): the serving tier goes on being reconciled, nothing is copied, going back is allowed', async () => {
    // Stored as an earlier release could leave it: spec.tier clustered, status.tier embedded (the CRD refuses the change itself).
    const file = path.join(cluster.work, 'golf.json');
    const golf = {
      apiVersion: 'hearth.dev/v1alpha1',
      kind: 'Hearth',
      metadata: { name: 'golf' },
      spec: { tier: 'clustered', paused: true, ingress: { host: 'chat.golf.example' } },
    };
    await writeFile(file, JSON.stringify(golf));
    await kubectl('apply', '-f', file);
    await kubectl('patch', 'hearth', 'golf', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { tier: 'embedded', version: '0.1.0' } }));
    await patchHearth('golf', { paused: false });
    await eventually('golf Migrating', async () => (await observed('golf')) && (await hearthOf('golf')).status?.phase === 'Migrating', 30_000, 200);
    const failed = await condition('golf', 'MigrationFailed');
    assert.equal(failed?.reason, 'UnsupportedMove');
    assert.match(failed?.message ?? '', /set spec\.tier back to embedded/);

    // Still reconciled: a deleted Service of the serving tier comes back, a version change is rolled out.
    await kubectl('delete', 'service', 'golf');
    await eventually('the Service back', () => exists('service', 'golf'), 20_000, 200);
    await patchHearth('golf', { version: '0.2.0' });
    await eventually(
      'the embedded StatefulSet on 0.2.0',
      async () => (await getJson<Item>('statefulset', 'golf')).spec?.template?.spec?.containers?.[0]?.image?.endsWith(':0.2.0') === true,
      20_000,
      200,
    );
    assert.equal(await exists('statefulset', 'golf-postgres'), false, 'nothing of a tier it cannot migrate to');

    await assert.rejects(patchHearth('golf', { tier: 'single' }), /spec\.tier/);
    await patchHearth('golf', { tier: 'embedded' });
    await markReady('golf');
    await eventually(
      'golf Ready as embedded',
      async () => (await isHearthReady('golf')) && (await condition('golf', 'MigrationFailed')) === undefined,
      20_000,
      200,
    );
    assert.equal((await hearthOf('golf')).status?.migration?.stage, 'Cancelled');
    assert.equal(((await hearthOf('golf')) as Hearth).status?.tier, 'embedded');
    assert.ok((await successes()) > 0);
  });
});
