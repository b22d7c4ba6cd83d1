// Rotating the bundled PostgreSQL's password, carried out by `node operator/src/main.ts` against a
// real kube-apiserver. The test control plane runs no Job controller nor kubelet: the test kit
// plays them (migration-kit.ts), ending the rotation Job's pod and writing the Job's status. What
// the Job runs (ALTER ROLE with psql) is tested on a real PostgreSQL in
// tiers/postgres-password-job.test.ts; here, what the operator does around it: the pending Secret
// and the Job, the credentials replaced only once the Job succeeded, exactly the services rolled,
// a failed Job leaving the Secret untouched with a Warning, a kill -9 at any point resuming, and
// the clustered tier's refusal (CloudNativePG's password is CloudNativePG's to rotate).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, thirdPartyCrd, type Child } from '@hearth/harness';
import { eventually } from '@hearth/kube-runtime/testing';
import type { Condition, Hearth } from './api/index.ts';
import { e2eTarget, skipUnlessControlPlane, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { migrationKit, type JobItem } from './migration-kit.ts';
import { examples, operatorTestKit } from './operator-test-support.ts';
import { dataClaimName } from './tiers/index.ts';

const target = e2eTarget(process.env);
/** The kit stands in for the Job controller and the kubelet, which a real cluster runs and would contradict. */
const onTheTestControlPlane = { skip: skipUnlessControlPlane(target, 'plays the Job controller and kubelet') };
// Resyncs every 5 s: the tests wait for a few more reconciles to show a request is not carried out again.
const operatorSettings = { HEARTH_OPERATOR_LEADER_ELECTION: 'false', HEARTH_OPERATOR_DISCOVERY_SECONDS: '1', HEARTH_OPERATOR_RESYNC_SECONDS: '5' };
const checksumAnnotation = 'hearth.dev/secrets-checksum';

interface KubeEvent {
  type: string;
  reason: string;
  message: string;
}

interface SecretItem {
  metadata: { name: string; uid: string; annotations?: Record<string, string>; ownerReferences?: { uid: string }[] };
  data?: Record<string, string>;
}

describe('rotating the bundled PostgreSQL’s password on a real API server', { timeout: suiteTimeoutMs(target, 300_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;
  const kit = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const { kubectl, getJson, exists, workloads, markReady, isHearthReady, startOperator, stopOperator } = kit;
  const jobs = migrationKit(() => cluster, kit);

  const name = 'delta';
  const credentials = `${name}-postgres-credentials`;
  const pendingName = `${credentials}-next`;
  const secretOf = (secret: string): Promise<SecretItem> => getJson<SecretItem>('secret', secret);
  const passwordOf = (secret: SecretItem): string => Buffer.from(secret.data?.['password'] ?? '', 'base64').toString();
  const eventsOf = async (hearth = name): Promise<KubeEvent[]> =>
    (await getJson<{ items: KubeEvent[] }>('events', '--field-selector', `involvedObject.name=${hearth},involvedObject.kind=Hearth`)).items;
  const eventCount = async (reason: string): Promise<number> => (await eventsOf()).filter((event) => event.reason === reason).length;
  const condition = async (type: string): Promise<Condition | undefined> => (await kit.hearthOf(name)).status?.conditions?.find((c) => c.type === type);
  const rotationJobs = async (): Promise<JobItem[]> =>
    (await getJson<{ items: JobItem[] }>('jobs', '-l', `app.kubernetes.io/instance=${name},app.kubernetes.io/component=rotation`)).items;
  const checksums = async (): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(
      (await workloads(name)).map((item) => [
        `${item.kind}/${item.metadata.name}`,
        (item.spec?.template?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[checksumAnnotation],
      ]),
    );
  const changed = (before: Record<string, string | undefined>, after: Record<string, string | undefined>): string[] =>
    Object.keys({ ...before, ...after })
      .filter((key) => before[key] !== after[key])
      .sort();
  const reconciles = (): Promise<number> => kit.metric(/^controller_runtime_reconcile_total\{/);
  const moreReconciles = async (count: number): Promise<void> => {
    const start = await reconciles();
    await eventually(`${count} more reconciles`, async () => (await reconciles()) >= start + count, 30_000, 200);
  };
  const killAndRestart = async (): Promise<void> => {
    operator?.process.kill('SIGKILL');
    await operator?.exited;
    operator = await startOperator(metricsPort, operatorSettings);
    await moreReconciles(2);
  };
  /** Asks for a new PostgreSQL password; waits for the pending Secret and its one Job. */
  const askAndWaitForJob = async (request: string): Promise<{ job: JobItem; pending: SecretItem }> => {
    await kubectl('annotate', '--overwrite', 'hearth', name, `hearth.dev/rotate-secrets=${request}`, 'hearth.dev/rotate-secrets-only=postgres');
    await eventually('the rotation Job', async () => (await rotationJobs()).length === 1, 30_000, 200);
    const [job] = await rotationJobs();
    if (job === undefined) throw new Error('no Job');
    return { job, pending: await secretOf(pendingName) };
  };
  /** No value of `secrets` in the Job's spec nor in any Event. */
  const assertNoValues = async (secrets: readonly SecretItem[], job?: JobItem): Promise<void> => {
    const values = secrets.map(passwordOf).filter((value) => value !== '');
    const texts = [...(await eventsOf()).map((event) => event.message), ...(job === undefined ? [] : [JSON.stringify(job)])];
    for (const text of texts) for (const value of values) assert.ok(!text.includes(value), 'no password in a Job or an Event');
  };

  before(async () => {
    cluster = await startE2eCluster('pg-rotation');
    metricsPort = await freePort();
    operator = await startOperator(metricsPort, operatorSettings);
    const hearth: Hearth = { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name }, spec: { tier: 'single', version: '0.1.0' } };
    const file = path.join(cluster.work, `${name}.json`);
    await writeFile(file, JSON.stringify(hearth));
    await kubectl('apply', '-f', file);
    // postgres, nats, redis; gateway, realtime, messaging.
    await eventually(`the workloads of ${name}`, async () => (await workloads(name)).length === 6, 30_000, 200);
    // The claim PostgreSQL's StatefulSet would have made: its data is what the password opens.
    await jobs.createClaim(dataClaimName(`${name}-postgres`), name, 'postgres');
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 30_000, 200);
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it(
    'sets the new password by a Job first; replaces the Secret only once it succeeded, rolling exactly the services; a kill -9 meanwhile resumes',
    onTheTestControlPlane,
    async () => {
      const before = await secretOf(credentials);
      const sums = await checksums();
      const { job, pending } = await askAndWaitForJob('r1');
      assert.equal(pending.metadata.annotations?.['hearth.dev/rotation-request'], 'r1');
      assert.ok(pending.metadata.ownerReferences?.length === 1, 'the pending Secret goes with the Hearth');
      assert.notEqual(passwordOf(pending), passwordOf(before));
      assert.equal(job.metadata.name.startsWith(`${name}-pg-password-`), true);
      await eventually('RotationStarted', async () => (await eventCount('RotationStarted')) === 1, 10_000, 200);

      // While the Job runs: nothing else changes, and a new operator process finds the same Job.
      await killAndRestart();
      assert.deepEqual(
        (await rotationJobs()).map((item) => item.metadata.uid),
        [job.metadata.uid],
      );
      assert.equal((await secretOf(pendingName)).metadata.uid, pending.metadata.uid);
      assert.deepEqual(await secretOf(credentials), before, 'the credentials untouched while the Job runs');
      assert.deepEqual(await checksums(), sums, 'nothing rolled yet');

      await jobs.podEnded(job, 'succeeded', ['password changed']);
      await jobs.setJobStatus(job, 'succeeded');
      await eventually('the credentials replaced', async () => passwordOf(await secretOf(credentials)) === passwordOf(pending), 30_000, 200);
      const after = await secretOf(credentials);
      assert.notEqual(after.metadata.uid, before.metadata.uid);
      assert.equal(after.metadata.annotations?.['hearth.dev/rotation-request'], 'r1');
      assert.equal(after.metadata.ownerReferences, undefined, 'the credentials stay with the volume, not the Hearth');
      await eventually(
        'the pending Secret and the Job removed',
        async () => !(await exists('secret', pendingName)) && (await rotationJobs()).length === 0,
        30_000,
        200,
      );
      await eventually('the services rolled', async () => changed(sums, await checksums()).length > 0, 30_000, 200);
      await moreReconciles(2);
      // The StatefulSet's POSTGRES_PASSWORD is read at initdb only: PostgreSQL is not restarted.
      assert.deepEqual(changed(sums, await checksums()), [`Deployment/${name}-gateway`, `Deployment/${name}-messaging`, `Deployment/${name}-realtime`]);
      assert.equal(await eventCount('Rotated'), 1);
      assert.ok(
        (await eventsOf()).some((event) => event.reason === 'Rotated' && event.message.startsWith(`Rotated Secret ${credentials} (rotate-secrets r1)`)),
      );
      await assertNoValues([before, pending], job);

      // Carried out once.
      const settled = await checksums();
      await moreReconciles(3);
      assert.equal((await secretOf(credentials)).metadata.uid, after.metadata.uid);
      assert.deepEqual(await checksums(), settled);
      assert.equal((await rotationJobs()).length, 0);
      await markReady(name);
    },
  );

  it('a failed Job leaves the Secret as it was, with a Warning quoting its last line; the request is not retried', onTheTestControlPlane, async () => {
    const before = await secretOf(credentials);
    const sums = await checksums();
    const { job, pending } = await askAndWaitForJob('r2');
    const why =
      'psql: error: connection to server at "delta-postgres" (10.96.0.12), port 5432 failed: FATAL:  password authentication failed for user "hearth"';
    await jobs.podEnded(job, 'failed', [why]);
    await jobs.setJobStatus(job, 'failed');
    await eventually('RotationFailed', async () => (await eventCount('RotationFailed')) === 1, 30_000, 200);
    const warning = (await eventsOf()).find((event) => event.reason === 'RotationFailed');
    assert.equal(warning?.type, 'Warning');
    assert.match(
      warning?.message ?? '',
      new RegExp(`^Secret ${credentials} was not rotated: Job ${job.metadata.name}.*its last line: psql: error: .*password authentication failed`),
    );
    await eventually(
      'the pending Secret and the Job removed',
      async () => !(await exists('secret', pendingName)) && (await rotationJobs()).length === 0,
      30_000,
      200,
    );
    const after = await secretOf(credentials);
    assert.equal(after.metadata.uid, before.metadata.uid, 'not made again');
    assert.deepEqual(after.data, before.data, 'the password in force stays in the Secret');
    assert.equal(after.metadata.annotations?.['hearth.dev/rotation-request'], 'r2', 'recorded as handled');
    await moreReconciles(3);
    assert.equal((await rotationJobs()).length, 0, 'not retried');
    assert.deepEqual(await checksums(), sums, 'nothing rolled');
    await assertNoValues([before, pending], job);
  });

  it(
    'an operator killed between deleting the credentials and creating them again makes them from the pending Secret, not reporting them lost',
    onTheTestControlPlane,
    async () => {
      const sums = await checksums();
      const { job, pending } = await askAndWaitForJob('r3');
      // What the operator would leave had it died right after its delete: the Job succeeded, the credentials gone.
      operator?.process.kill('SIGKILL');
      await operator?.exited;
      await jobs.podEnded(job, 'succeeded', ['password changed']);
      await jobs.setJobStatus(job, 'succeeded');
      await kubectl('delete', 'secret', credentials);
      operator = await startOperator(metricsPort, operatorSettings);
      await eventually(
        'the credentials made from the pending Secret',
        async () => (await exists('secret', credentials)) && passwordOf(await secretOf(credentials)) === passwordOf(pending),
        30_000,
        200,
      );
      await eventually(
        'the pending Secret and the Job removed',
        async () => !(await exists('secret', pendingName)) && (await rotationJobs()).length === 0,
        30_000,
        200,
      );
      assert.notEqual((await condition('Degraded'))?.reason, 'CredentialsMissing');
      assert.equal(await eventCount('CredentialsMissing'), 0, 'never reported lost');
      await eventually('the services rolled', async () => changed(sums, await checksums()).length > 0, 30_000, 200);
      await moreReconciles(2);
      assert.deepEqual(changed(sums, await checksums()), [`Deployment/${name}-gateway`, `Deployment/${name}-messaging`, `Deployment/${name}-realtime`]);
    },
  );
  it('the clustered tier: CloudNativePG’s password is refused once per request, with a Warning naming CloudNativePG’s way', onTheTestControlPlane, async () => {
    await kubectl('apply', '--server-side', '-f', await thirdPartyCrd('cloudNativePG'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/clusters.postgresql.cnpg.io');
    await kit.applyExample(examples.clustered, 'echo');
    await eventually('the Cluster', () => exists('clusters.postgresql.cnpg.io', 'echo-postgres'), 30_000, 250);
    // What CloudNativePG makes for the Cluster (no CloudNativePG runs here).
    await kubectl('create', 'secret', 'generic', 'echo-postgres-app', '--from-literal=username=hearth', '--from-literal=password=made-by-cnpg');
    await kubectl('annotate', 'hearth', 'echo', 'hearth.dev/rotate-secrets=c1');
    const refusals = async (): Promise<KubeEvent[]> => (await eventsOf('echo')).filter((event) => event.reason === 'RotationRefused');
    await eventually(
      'RotationRefused for CloudNativePG’s Secret',
      async () => (await refusals()).some((event) => event.message.includes('echo-postgres-app')),
      30_000,
      200,
    );
    const refused = (await refusals()).find((event) => event.message.includes('echo-postgres-app'));
    assert.equal(refused?.type, 'Warning');
    assert.match(refused?.message ?? '', /^Secret echo-postgres-app was not rotated: .*CloudNativePG's way/);
    assert.ok(!(refused?.message ?? '').includes('made-by-cnpg'), 'no value');
    const app = await secretOf('echo-postgres-app');
    assert.equal(app.metadata.annotations?.['hearth.dev/rotation-request'], 'c1', 'recorded, so told once');
    assert.equal(passwordOf(app), 'made-by-cnpg', 'its data untouched');
    await moreReconciles(3);
    assert.equal((await refusals()).filter((event) => event.message.includes('echo-postgres-app')).length, 1);
    const counts = await getJson<{ items: { reason: string; message: string; count?: number }[] }>(
      'events',
      '--field-selector',
      'involvedObject.name=echo,reason=RotationRefused',
    );
    assert.equal(counts.items.find((event) => event.message.includes('echo-postgres-app'))?.count, 1, 'not recorded again');
    assert.equal((await getJson<{ items: unknown[] }>('jobs', '-l', 'app.kubernetes.io/instance=echo,app.kubernetes.io/component=rotation')).items.length, 0);
  });
});
