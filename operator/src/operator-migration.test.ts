// Tier migrations, carried out by `node operator/src/main.ts` against a real kube-apiserver. The
// test control plane runs no Job controller nor kubelet: the test kit plays them (migration-kit.ts),
// creating the copy Job's pods with the termination message `hearth migrate` would leave and
// writing the Job's status, as it writes the workloads' status for their controllers. The copy
// itself (`hearth migrate` on real stores) is tested with the services; here, what the operator
// does around it: every stage, its status and Events, a kill -9 of the operator in each stage,
// a failed copy leaving the old tier serving, a retry, a cancel, and spec.migration.deleteOldData.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, thirdPartyCrd, type Child } from '@hearth/harness';
import { eventually } from '@hearth/kube-runtime/testing';
import type { Condition, MigrationStage, MigrationStatus } from './api/index.ts';
import { e2eTarget, skipUnlessControlPlane, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { migrationKit, type JobItem } from './migration-kit.ts';
import { examples, operatorTestKit, type Item } from './operator-test-support.ts';

const target = e2eTarget(process.env);
/** The kit stands in for the Job controller and the kubelet, which a real cluster runs and would contradict. */
const onTheTestControlPlane = { skip: skipUnlessControlPlane(target, 'plays the Job controller and kubelet') };
const operatorSettings = { HEARTH_OPERATOR_LEADER_ELECTION: 'false', HEARTH_OPERATOR_DISCOVERY_SECONDS: '1' };

interface KubeEvent {
  type: string;
  reason: string;
  message: string;
}

describe('tier migrations on a real API server', { timeout: suiteTimeoutMs(target, 600_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;
  const kit = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const { kubectl, getJson, exists, hearthOf, applyExample, markReady, isHearthReady, statusPatch, startOperator, stopOperator } = kit;
  const jobs = migrationKit(() => cluster, kit);

  const migrationOf = async (name: string): Promise<MigrationStatus | undefined> => (await hearthOf(name)).status?.migration;
  const reachStage = async (name: string, stage: MigrationStage, timeoutMs = 30_000): Promise<MigrationStatus> => {
    await eventually(`${name} ${stage}`, async () => (await migrationOf(name))?.stage === stage, timeoutMs, 200).catch(async (error: unknown) => {
      throw new Error(`${String(error)}; status.migration: ${JSON.stringify(await migrationOf(name))}`);
    });
    const migration = await migrationOf(name);
    if (migration === undefined) throw new Error('no status.migration');
    return migration;
  };
  const condition = async (name: string, type: string): Promise<Condition | undefined> =>
    (await hearthOf(name)).status?.conditions?.find((c) => c.type === type);
  const eventsOf = async (name: string): Promise<KubeEvent[]> =>
    (await getJson<{ items: KubeEvent[] }>('events', '--field-selector', `involvedObject.name=${name},involvedObject.kind=Hearth`)).items;
  const patchSpec = (name: string, spec: unknown): Promise<string> => kubectl('patch', 'hearth', name, '--type=merge', '-p', JSON.stringify({ spec }));
  const statefulSet = (name: string): Promise<Item> => getJson<Item>('statefulset', name);
  const serviceSelector = async (name: string): Promise<string | undefined> =>
    (await getJson<{ spec: { selector: Record<string, string> } }>('service', name)).spec.selector['app.kubernetes.io/component'];
  const ingressBackends = async (name: string): Promise<string[]> =>
    ((await getJson<Item>('ingress', name)).spec?.rules?.[0]?.http?.paths ?? []).map((p) => p.backend?.service?.name ?? '');

  /** kill -9, then a new operator process: it knows only what the API server holds. */
  const killAndRestart = async (): Promise<void> => {
    operator?.process.kill('SIGKILL');
    await operator?.exited;
    operator = await startOperator(metricsPort, operatorSettings);
  };
  /** kill -9 in a stage: the new operator carries on from the same stage. */
  const restartIn = async (name: string, stage: MigrationStage, why?: string): Promise<void> => {
    await killAndRestart();
    await reconciled();
    assert.equal(await stageOf(name), stage, why);
  };
  const servicesOf = (name: string): string[] => ['gateway', 'realtime', 'messaging'].map((service) => `${name}-${service}`);
  const stageOf = async (name: string): Promise<string> => (await migrationOf(name))?.stage ?? '';
  const replicasOf = async (name: string): Promise<number | undefined> => (await statefulSet(name)).spec?.replicas;
  const tierAndPhase = async (name: string): Promise<[string, string]> => {
    const { status = {} } = await hearthOf(name);
    return [status.tier ?? '', status.phase ?? ''];
  };
  /** The one copy Job of a Hearth. */
  const onlyJob = async (name: string): Promise<JobItem> => {
    const found = await jobs.jobsOf(name);
    assert.equal(found.length, 1, found.map((job) => job.metadata.name).join());
    const [job] = found;
    if (job === undefined) throw new Error('no Job');
    return job;
  };
  /** embedded → single: hearth migrate, next to the embedded pod, its volume as the source. */
  const assertCopiesFromEmbedded = (job: JobItem, claim: string): void => {
    const pod = job.spec.template.spec;
    assert.deepEqual(pod.containers[0]?.args, ['migrate']);
    assert.equal((pod.volumes ?? []).find((volume) => volume.name === 'source')?.persistentVolumeClaim?.claimName, claim);
    assert.ok(pod.affinity?.podAffinity !== undefined, 'on the embedded pod’s node');
  };
  /** single → clustered: from one PostgreSQL to the other, on any node. */
  const assertCopiesBetweenDatabases = (job: JobItem): void => {
    const pod = job.spec.template.spec;
    const env = Object.fromEntries((pod.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
    assert.equal(env['HEARTH_SOURCE_DATABASE_URL'], 'postgres://hearth:$(SOURCE_DATABASE_PASSWORD)@charlie-postgres:5432/hearth');
    assert.equal(env['HEARTH_DATABASE_URL'], 'postgres://hearth:$(DATABASE_PASSWORD)@charlie-postgres-rw:5432/hearth');
    assert.equal(pod.affinity, undefined);
  };
  /** After a restart: its first pass over every Hearth is done once it has reconciled this many times more. */
  const reconciled = async (): Promise<void> => {
    const attempts = (): Promise<number> => kit.metric(/^controller_runtime_reconcile_total\{/);
    const start = await attempts();
    await eventually('the restarted operator to reconcile', async () => (await attempts()) >= start + 3, 30_000, 200);
  };

  const readyHearth = async (file: string, name: string): Promise<void> => {
    await applyExample(file, name);
    await eventually(`the workloads of ${name}`, async () => (await kit.workloads(name)).length > 0, 30_000, 200);
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 30_000, 200);
  };

  before(async () => {
    cluster = await startE2eCluster('migration');
    metricsPort = await freePort();
    operator = await startOperator(metricsPort, operatorSettings);
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it('embedded → single: every stage in status.migration and an Event, and a kill -9 of the operator in each resumes it', onTheTestControlPlane, async () => {
    await readyHearth(examples.embedded, 'alpha');
    await jobs.createClaim('data-alpha-0', 'alpha', 'all');
    await patchSpec('alpha', { tier: 'single' });

    // StartingBackends: the single tier's backends beside the embedded tier, none of its services.
    const starting = await reachStage('alpha', 'StartingBackends');
    assert.deepEqual([starting.from, starting.to], ['embedded', 'single']);
    assert.match(starting.message ?? '', /StatefulSet alpha-postgres/);
    for (const backend of ['alpha-postgres', 'alpha-nats', 'alpha-redis']) assert.ok(await exists('statefulset', backend), backend);
    assert.equal(await exists('deployment', 'alpha-gateway'), false, 'the services wait for the copy');
    assert.deepEqual(await tierAndPhase('alpha'), ['embedded', 'Migrating']);
    await restartIn('alpha', 'StartingBackends');
    assert.deepEqual(await jobs.jobsOf('alpha'), [], 'no copy before the backends are up');

    // Copying: one Job, owned by the Hearth.
    await markReady('alpha');
    const copying = await reachStage('alpha', 'Copying');
    const job = await onlyJob('alpha');
    assert.equal(copying.job, job.metadata.name);
    assert.deepEqual(
      (job.metadata.ownerReferences ?? []).map((owner) => owner.uid),
      [(await hearthOf('alpha')).metadata.uid],
    );
    assertCopiesFromEmbedded(job, 'data-alpha-0');
    assert.equal(await serviceSelector('alpha'), 'all', 'the embedded tier serves');
    await restartIn('alpha', 'Copying');
    assert.equal((await onlyJob('alpha')).metadata.uid, job.metadata.uid, 'the restarted operator finds its Job, and makes no second');

    // Verifying: a first pod failed its verification (the Job retries it): its last words are the progress.
    await jobs.podEnded(job, 'failed', [
      '{"stage":"copying","copied":120,"total":240}',
      '{"stage":"verifying","copied":240,"total":240}',
      'verification failed: rooms checksum differs',
    ]);
    await jobs.setJobStatus(job, { active: 1, failed: 1 });
    const verifying = await reachStage('alpha', 'Verifying');
    assert.deepEqual([verifying.copied, verifying.total], [240, 240]);
    await restartIn('alpha', 'Verifying');
    await onlyJob('alpha');
    assert.equal(await exists('deployment', 'alpha-gateway'), false, 'the services wait for the copy');

    // StartingServices: the Job succeeded; the single tier's services come up while the embedded tier serves.
    await jobs.podEnded(job, 'succeeded', []);
    await jobs.setJobStatus(job, 'succeeded');
    await reachStage('alpha', 'StartingServices');
    for (const service of servicesOf('alpha')) await eventually(`Deployment ${service}`, () => exists('deployment', service), 20_000, 200);
    await eventually(
      'the message to name a service not ready',
      async () => /Deployment alpha-(gateway|realtime|messaging): /.test((await migrationOf('alpha'))?.message ?? ''),
      20_000,
      200,
    );
    assert.deepEqual(await tierAndPhase('alpha'), ['embedded', 'Migrating'], 'status.tier changes only at the switch');
    assert.equal(await serviceSelector('alpha'), 'all', 'the embedded pod serves until the services are ready');
    assert.deepEqual(await ingressBackends('alpha'), ['alpha']);
    await restartIn('alpha', 'StartingServices', 'no switch before the services are ready');
    assert.equal(await serviceSelector('alpha'), 'all');

    // Switching, once they are: the single tier serves, and the Service named after the Hearth reaches its gateway. With
    // every new workload ready already, ScalingDown follows at once (a kill -9 in Switching: single → clustered below).
    await markReady('alpha');
    await eventually('status.tier single', async () => (await tierAndPhase('alpha'))[0] === 'single', 20_000, 200);
    assert.equal(await serviceSelector('alpha'), 'gateway');
    assert.deepEqual(await ingressBackends('alpha'), ['alpha-realtime', 'alpha-gateway']);

    // ScalingDown, then Succeeded: the embedded StatefulSet to 0 pods, then pruned; its volume kept.
    await reachStage('alpha', 'ScalingDown');
    await eventually('the embedded StatefulSet at 0', async () => (await replicasOf('alpha')) === 0, 20_000, 200);
    await restartIn('alpha', 'ScalingDown', 'not done before its pods are gone');
    await markReady('alpha');
    const done = await reachStage('alpha', 'Succeeded');
    assert.equal(done.startedAt, starting.startedAt);
    await eventually('the embedded StatefulSet pruned', async () => !(await exists('statefulset', 'alpha')), 20_000, 200);
    await eventually('the Job deleted', async () => (await jobs.jobsOf('alpha')).length === 0, 20_000, 200);
    assert.ok(await exists('pvc', 'data-alpha-0'), 'the old data kept (spec.migration.deleteOldData is false)');
    await eventually('alpha Ready as single', () => isHearthReady('alpha'), 20_000, 200);
    assert.equal(await serviceSelector('alpha'), 'gateway');

    const reasons = (await eventsOf('alpha')).map((event) => event.reason);
    for (const stage of ['StartingBackends', 'Copying', 'Verifying', 'StartingServices', 'Switching', 'ScalingDown', 'Succeeded'])
      assert.ok(reasons.includes(`Migration${stage}`), `Migration${stage} in ${reasons.join(', ')}`);
  });

  it(
    'a failed copy: the old tier serves, MigrationFailed says why; a retry runs a new Job; cancel tears the new tier down',
    onTheTestControlPlane,
    async () => {
      await readyHearth(examples.embedded, 'bravo');
      await patchSpec('bravo', { tier: 'single' });
      await reachStage('bravo', 'StartingBackends');
      await markReady('bravo');
      await reachStage('bravo', 'Copying');
      const [job] = await jobs.jobsOf('bravo');
      assert.ok(job !== undefined);
      await jobs.podEnded(job, 'failed', ['{"stage":"copying","copied":10,"total":240}', 'hearth migrate: the target holds data not made by hearth migrate']);
      await jobs.setJobStatus(job, 'failed');

      const failed = await reachStage('bravo', 'Failed');
      assert.equal(failed.reason, 'CopyFailed');
      const why = await condition('bravo', 'MigrationFailed');
      assert.equal(why?.status, 'True');
      assert.match(
        why?.message ?? '',
        /^hearth migrate: the target holds data not made by hearth migrate; the embedded tier keeps serving, writable\. Retry: kubectl annotate hearth bravo/,
      );
      assert.deepEqual(await tierAndPhase('bravo'), ['embedded', 'Migrating']);
      assert.equal(await serviceSelector('bravo'), 'all', 'nothing switched');
      assert.equal(await replicasOf('bravo'), 1, 'nothing scaled down');
      assert.equal((await condition('bravo', 'Ready'))?.status, 'True', 'the embedded tier still Ready');
      await eventually(
        'a MigrationFailed Warning',
        async () => (await eventsOf('bravo')).some((event) => event.type === 'Warning' && event.reason === 'MigrationFailed'),
        10_000,
        200,
      );
      await restartIn('bravo', 'Failed', 'a restart retries nothing by itself');
      assert.deepEqual(
        (await jobs.jobsOf('bravo')).map((found) => found.metadata.name),
        [job.metadata.name],
      );

      await kubectl('annotate', 'hearth', 'bravo', 'hearth.dev/retry-migration=1');
      const retried = await reachStage('bravo', 'Copying');
      assert.notEqual(retried.job, job.metadata.name);
      assert.equal(retried.attempt, '1');
      await eventually('only the new Job', async () => (await jobs.jobsOf('bravo')).map((found) => found.metadata.name).join() === retried.job, 20_000, 200);
      assert.equal(await condition('bravo', 'MigrationFailed'), undefined);

      // Cancel: back to the tier that serves.
      await patchSpec('bravo', { tier: 'embedded' });
      await reachStage('bravo', 'Cancelled');
      await eventually('the Job deleted', async () => (await jobs.jobsOf('bravo')).length === 0, 20_000, 200);
      await eventually('the single tier’s backends pruned', async () => !(await exists('statefulset', 'bravo-postgres')), 20_000, 200);
      assert.equal(await serviceSelector('bravo'), 'all');
      await eventually(
        'bravo Ready as embedded',
        async () => (await isHearthReady('bravo')) && (await hearthOf('bravo')).status?.phase === 'Ready',
        20_000,
        200,
      );
    },
  );

  it(
    'cancelled while the new services start: they are pruned, the embedded tier serves, and the status says its store stays read-only',
    onTheTestControlPlane,
    async () => {
      await readyHearth(examples.embedded, 'delta');
      await patchSpec('delta', { tier: 'single' });
      await reachStage('delta', 'StartingBackends');
      await markReady('delta');
      await reachStage('delta', 'Copying');
      const job = await onlyJob('delta');
      await jobs.podEnded(job, 'succeeded', ['{"stage":"done","copied":240,"total":240}']);
      await jobs.setJobStatus(job, 'succeeded');
      await reachStage('delta', 'StartingServices');
      for (const service of servicesOf('delta')) await eventually(`Deployment ${service}`, () => exists('deployment', service), 20_000, 200);

      await patchSpec('delta', { tier: 'embedded' });
      const cancelled = await reachStage('delta', 'Cancelled');
      assert.equal(cancelled.reason, 'SourceLeftPaused');
      for (const service of servicesOf('delta'))
        await eventually(`Deployment ${service} pruned`, async () => !(await exists('deployment', service)), 20_000, 200);
      await eventually('the Job deleted', async () => (await jobs.jobsOf('delta')).length === 0, 20_000, 200);
      assert.equal(await serviceSelector('delta'), 'all');
      assert.deepEqual((await tierAndPhase('delta'))[0], 'embedded');
      await eventually(
        'a MigrationCancelled Warning',
        async () => (await eventsOf('delta')).some((event) => event.type === 'Warning' && event.reason === 'MigrationCancelled'),
        10_000,
        200,
      );
    },
  );

  it(
    'single → clustered with CloudNativePG, deleteOldData: the Cluster first, the copy, the switch, the single PostgreSQL and its volume gone',
    onTheTestControlPlane,
    async () => {
      await kubectl('apply', '--server-side', '-f', await thirdPartyCrd('cloudNativePG'));
      await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/clusters.postgresql.cnpg.io');
      await readyHearth(examples.single, 'charlie');
      await jobs.createClaim('data-charlie-postgres-0', 'charlie', 'postgres');
      // The clustered tier refuses a standalone Redis: the move says sentinel (its default there).
      await patchSpec('charlie', { tier: 'clustered', redis: { mode: null }, migration: { deleteOldData: true } });

      await reachStage('charlie', 'StartingBackends');
      await eventually('the Cluster', () => exists('clusters.postgresql.cnpg.io', 'charlie-postgres'), 30_000, 200);
      // The API server validated it against CloudNativePG's CRD when the operator applied it.
      const postgres = await getJson<{ spec: { bootstrap: unknown; instances: number } }>('clusters.postgresql.cnpg.io', 'charlie-postgres');
      assert.deepEqual(postgres.spec.bootstrap, { initdb: { database: 'hearth', owner: 'hearth' } }, 'an empty database: the copy Job fills it');
      assert.equal(await replicasOf('charlie-nats'), 1, 'NATS keeps its single-tier shape until the switch');
      assert.equal(await exists('statefulset', 'charlie-sentinel'), false);
      await statusPatch('clusters.postgresql.cnpg.io', 'charlie-postgres', { instances: 3, readyInstances: 3, phase: 'Cluster in healthy state' });

      const copying = await reachStage('charlie', 'Copying');
      const job = await onlyJob('charlie');
      assert.equal(job.metadata.name, copying.job);
      assertCopiesBetweenDatabases(job);
      await jobs.podEnded(job, 'succeeded', []);
      await jobs.setJobStatus(job, 'succeeded');

      await reachStage('charlie', 'Switching');
      await eventually(
        'the services on CloudNativePG’s PostgreSQL',
        async () => JSON.stringify((await getJson<Item>('deployment', 'charlie-messaging')).spec?.template).includes('charlie-postgres-rw'),
        20_000,
        200,
      ).catch(async (error: unknown) => {
        throw new Error(`${String(error)}: ${JSON.stringify((await hearthOf('charlie')).status)}`);
      });
      assert.equal(await replicasOf('charlie-nats'), 3, 'NATS reshaped as a cluster');
      await restartIn('charlie', 'Switching');
      await markReady('charlie');
      await reachStage('charlie', 'ScalingDown');
      await eventually('the single PostgreSQL at 0', async () => (await replicasOf('charlie-postgres')) === 0, 20_000, 200);
      await markReady('charlie');
      await reachStage('charlie', 'Succeeded');
      await eventually('the single PostgreSQL pruned', async () => !(await exists('statefulset', 'charlie-postgres')), 20_000, 200);
      const claim = await getJson<Item & { metadata: { deletionTimestamp?: string } }>('pvc', 'data-charlie-postgres-0').catch(() => undefined);
      assert.ok(claim === undefined || claim.metadata.deletionTimestamp !== undefined, 'the old volume deleted (spec.migration.deleteOldData)');
      assert.ok(await exists('clusters.postgresql.cnpg.io', 'charlie-postgres'));
      assert.deepEqual((await tierAndPhase('charlie'))[0], 'clustered');
      const reasons = (await eventsOf('charlie')).map((event) => event.reason);
      assert.ok(
        !reasons.includes('MigrationStartingServices'),
        'the services keep their names: updated in place at the switch, they pass StartingServices straight through',
      );
      const deleted = (await eventsOf('charlie')).filter((event) => event.reason === 'Deleted').map((event) => event.message);
      assert.ok(
        deleted.some((message) => message.startsWith('Deleted PersistentVolumeClaim data-charlie-postgres-0')),
        deleted.join('; '),
      );
    },
  );
});
