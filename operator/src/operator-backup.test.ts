// Backups end to end: `node operator/src/main.ts` against a real kube-apiserver, driven through
// kubectl. The test control plane runs no Job or CronJob controller and no kubelet, so the test
// plays them: it writes a Job's status and makes the Job's pod with the termination message the
// `hearth backup` container would leave (its --location-file, or its one line on failure). What
// `hearth backup` itself writes is tested on processes (e2e/backup.test.ts).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, type Child } from '@hearth/harness';
import { eventually } from '@hearth/kube-runtime/testing';
import type { Condition, HearthBackup } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { startE2eCluster, type E2eCluster } from './e2e-cluster.ts';
import { examples, operatorTestKit } from './operator-test-support.ts';

const backupCrds = ['hearthbackups.hearth.dev', 'hearthrestores.hearth.dev'];
const s3 = { bucket: 'acme-backups', prefix: 'hearth/prod', endpoint: 'http://s3.example:8333', credentialsSecretRef: { name: 'backup-s3' } };

interface JobItem {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec: {
    template: { spec: { containers: { args: string[] }[]; affinity?: unknown; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] } };
  };
}

interface CronJobItem {
  spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: { containers: { args: string[] }[] } } } } };
}

interface RestoreItem {
  status?: { phase?: string; archive?: string; job?: string; hearthSpec?: { tier?: string }; conditions?: Condition[] };
}

describe('backups and restores through the operator on a real API server', { timeout: 240_000 }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let port = 0;
  const { kubectl, getJson, exists, applyExample, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => port,
  );
  let files = 0;

  const until = (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> =>
    eventually(what, probe, timeoutMs, 200).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${operator?.output().slice(-4_000) ?? ''}`);
    });
  const apply = async (object: unknown): Promise<void> => {
    const file = path.join(cluster.work, `backup-${files++}.json`);
    await writeFile(file, JSON.stringify(object));
    await kubectl('apply', '-f', file);
  };
  const backupOf = (name: string): Promise<HearthBackup> => getJson<HearthBackup>('hearthbackup', name);
  const condition = (backup: HearthBackup, type: string): Condition | undefined => backup.status?.conditions?.find((c) => c.type === type);
  /** The Events on one object, as REASON MESSAGE lines. */
  const eventsOf = (name: string): Promise<string> =>
    kubectl('get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'custom-columns=REASON:.reason,MSG:.message');
  const createBackup = (name: string, hearthName: string, destination: unknown): Promise<void> =>
    apply({ apiVersion: 'hearth.dev/v1alpha1', kind: 'HearthBackup', metadata: { name, namespace: cluster.namespace }, spec: { hearthName, destination } });

  /** What the Job controller writes: started, then complete or failed (with the conditions 1.31+ demands first). */
  const jobStatus = (name: string, status: unknown): Promise<string> =>
    kubectl('patch', 'job', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
  const started = '2026-12-05T02:00:00Z';
  const finished = '2026-12-05T02:01:30Z';
  const jobCondition = (type: string, reason: string, message = ''): unknown => ({
    type,
    status: 'True',
    reason,
    message,
    lastProbeTime: finished,
    lastTransitionTime: finished,
  });
  /** The Job's pod, as its controller would make it, finished as the kubelet would report it. */
  const finishedPod = async (job: string, phase: 'Succeeded' | 'Failed', exitCode: number, message: string): Promise<void> => {
    const name = `${job}-${phase.toLowerCase()}`;
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: cluster.namespace, labels: { 'job-name': job } },
      spec: { restartPolicy: 'Never', containers: [{ name: 'backup', image: 'ghcr.io/hearth/hearth:0.1.0' }] },
    });
    const terminated = { exitCode, message, startedAt: started, finishedAt: finished, reason: exitCode === 0 ? 'Completed' : 'Error' };
    const containerStatuses = [{ name: 'backup', image: 'ghcr.io/hearth/hearth:0.1.0', imageID: '', ready: false, restartCount: 0, state: { terminated } }];
    await kubectl('patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase, containerStatuses } }));
  };

  before(async () => {
    cluster = await startE2eCluster('backup');
    for (const file of ['hearth.dev_hearthbackups.yaml', 'hearth.dev_hearthrestores.yaml'])
      await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', file));
    const established = async (): Promise<boolean> =>
      (await kubectl('get', 'crd', ...backupCrds, '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Established")].status}')).trim() === 'True True';
    await eventually('the backup CRDs established', established, 30_000, 100);
    await applyExample(examples.embedded, 'bk');
    port = await freePort();
    operator = await startOperator(port, { HEARTH_OPERATOR_IDENTITY: 'backup' });
  });

  after(async () => {
    await stopOperator(operator);
    await cluster?.stop();
  });

  it('a HearthBackup makes one Job next to the embedded pod, and its status follows the Job to Succeeded with the archive’s location', async () => {
    await until('bk’s StatefulSet', () => exists('statefulset', 'bk'));
    await createBackup('nightly', 'bk', { volumeClaim: { claimName: 'backups', path: 'bk' } });
    await until('the Job', () => exists('job', 'nightly-backup'));
    const job = await getJson<JobItem>('job', 'nightly-backup');
    assert.deepEqual(
      job.metadata.ownerReferences?.map((owner) => [owner.kind, owner.name, owner.controller]),
      [['HearthBackup', 'nightly', true]],
    );
    const pod = job.spec.template.spec;
    assert.deepEqual(pod.containers[0]?.args.slice(0, 3), ['backup', '--to', '/var/lib/hearth-archives/bk']);
    assert.deepEqual(
      pod.volumes?.flatMap((volume) => (volume.persistentVolumeClaim === undefined ? [] : [volume.persistentVolumeClaim.claimName])),
      ['data-bk-0', 'backups'],
    );
    assert.notEqual(pod.affinity, undefined, 'pod affinity to the embedded pod');
    await until('Pending, with the spec it backs up', async () => {
      const backup = await backupOf('nightly');
      return backup.status?.phase === 'Pending' && backup.status.hearthSpec?.tier === 'embedded' && backup.status.job === 'nightly-backup';
    });

    await jobStatus('nightly-backup', { startTime: started, active: 1 });
    await until('Running', async () => (await backupOf('nightly')).status?.phase === 'Running');
    assert.equal((await backupOf('nightly')).status?.startedAt, started);

    const archive = '/var/lib/hearth-archives/bk/hearth-20261205T020100.000Z.ndjson.gz';
    await finishedPod('nightly-backup', 'Succeeded', 0, archive);
    await jobStatus('nightly-backup', {
      active: 0,
      succeeded: 1,
      completionTime: finished,
      conditions: [jobCondition('SuccessCriteriaMet', 'CompletionsReached'), jobCondition('Complete', 'CompletionsReached')],
    });
    await until('Succeeded', async () => (await backupOf('nightly')).status?.phase === 'Succeeded');
    const backup = await backupOf('nightly');
    assert.equal(backup.status?.archive, 'backups:bk/hearth-20261205T020100.000Z.ndjson.gz');
    assert.equal(backup.status?.completedAt, finished);
    assert.equal(condition(backup, 'Complete')?.status, 'True');
    assert.equal(condition(backup, 'Failed')?.status, 'False');
    await until('the Events', async () => /Succeeded\s+Job nightly-backup succeeded: backups:bk\//.test(await eventsOf('nightly')));
    assert.match(await eventsOf('nightly'), /Started\s+Job nightly-backup is running/);
    const columns = await kubectl('get', 'hearthbackup', 'nightly');
    assert.match(columns, /nightly\s+bk\s+Succeeded\s+backups:bk\/hearth-20261205T020100\.000Z\.ndjson\.gz/);
  });

  it('a failed backup says why, in the words of the container’s one line', async () => {
    await createBackup('to-s3', 'bk', { s3 });
    await until('the Job', () => exists('job', 'to-s3-backup'));
    const args = (await getJson<JobItem>('job', 'to-s3-backup')).spec.template.spec.containers[0]?.args;
    assert.deepEqual(args?.slice(0, 3), ['backup', '--to', 's3://acme-backups/hearth/prod']);
    await jobStatus('to-s3-backup', { startTime: started, active: 1 });
    await finishedPod('to-s3-backup', 'Failed', 1, 'hearth backup: cannot use s3://acme-backups: access denied\n');
    await jobStatus('to-s3-backup', {
      active: 0,
      failed: 1,
      conditions: [
        jobCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
        jobCondition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      ],
    });
    await until('Failed', async () => (await backupOf('to-s3')).status?.phase === 'Failed');
    const backup = await backupOf('to-s3');
    assert.equal(condition(backup, 'Failed')?.status, 'True');
    assert.equal(condition(backup, 'Failed')?.message, 'backup: hearth backup: cannot use s3://acme-backups: access denied');
    assert.equal(backup.status?.archive, undefined);
    assert.equal(backup.status?.completedAt, finished);
    await until('a Warning', async () => /JobFailed\s+backup: hearth backup: cannot use s3:\/\/acme-backups: access denied/.test(await eventsOf('to-s3')));
  });

  it('a HearthBackup of a Hearth that is not there waits, saying so, and makes no Job', async () => {
    await createBackup('orphan', 'nobody', { s3 });
    await until('HearthNotFound', async () => condition(await backupOf('orphan'), 'Complete')?.reason === 'HearthNotFound');
    const backup = await backupOf('orphan');
    assert.equal(backup.status?.phase, 'Pending');
    assert.match(condition(backup, 'Complete')?.message ?? '', /there is no Hearth nobody in hearth-e2e-backup-\w+ to back up/);
    assert.equal(await exists('job', 'orphan-backup'), false);
  });

  it('runs each controller under its own Lease, held by the one operator', async () => {
    const holder = async (name: string): Promise<string> =>
      (await getJson<{ spec: { holderIdentity?: string } }>('lease', name).catch(() => ({ spec: {} as { holderIdentity?: string } }))).spec.holderIdentity ??
      '';
    for (const lease of ['hearth-operator', 'hearth-operator-backup', 'hearth-operator-restore'])
      await until(`${lease} held`, async () => (await holder(lease)) === 'backup');
  });

  const restoreOf = (name: string): Promise<RestoreItem> => getJson<RestoreItem>('hearthrestore', name);
  const createRestore = (name: string, spec: unknown): Promise<void> =>
    apply({ apiVersion: 'hearth.dev/v1alpha1', kind: 'HearthRestore', metadata: { name, namespace: cluster.namespace }, spec });
  const restoreCondition = (restore: RestoreItem, type: string): Condition | undefined => restore.status?.conditions?.find((c) => c.type === type);

  it('a HearthRestore of a HearthBackup creates the new Hearth with the backed-up spec, then a Job that pauses, restores and resumes', async () => {
    await createRestore('back', { source: { backupRef: { name: 'nightly' } }, hearth: { name: 'bk2' } });
    await until('the new Hearth', () => exists('hearth', 'bk2'));
    const hearth = await getJson<{ spec: { tier?: string }; metadata: { annotations?: Record<string, string> } }>('hearth', 'bk2');
    assert.equal(hearth.spec.tier, 'embedded');
    assert.notEqual(hearth.metadata.annotations?.['hearth.dev/restored-by'], undefined);
    await until('the restore Job', () => exists('job', 'back-restore'));
    const job = await getJson<JobItem & { spec: { template: { spec: { initContainers: { name: string; args: string[] }[] } } } }>('job', 'back-restore');
    const pod = job.spec.template.spec;
    assert.deepEqual(
      [...pod.initContainers.map((c) => c.args.slice(0, 2)), pod.containers[0]?.args],
      [
        ['writes', 'pause'],
        ['restore', '--from'],
        ['writes', 'resume'],
      ],
    );
    assert.equal(pod.initContainers[1]?.args[2], '/var/lib/hearth-archives/bk/hearth-20261205T020100.000Z.ndjson.gz');
    assert.deepEqual(
      pod.volumes?.flatMap((volume) => (volume.persistentVolumeClaim === undefined ? [] : [volume.persistentVolumeClaim.claimName])),
      ['data-bk2-0', 'backups'],
    );
    await until('Pending, naming the archive', async () => (await restoreOf('back')).status?.archive === 'backups:bk/hearth-20261205T020100.000Z.ndjson.gz');

    await jobStatus('back-restore', { startTime: started, active: 1 });
    await jobStatus('back-restore', {
      active: 0,
      succeeded: 1,
      completionTime: finished,
      conditions: [jobCondition('SuccessCriteriaMet', 'CompletionsReached'), jobCondition('Complete', 'CompletionsReached')],
    });
    await until('Succeeded', async () => (await restoreOf('back')).status?.phase === 'Succeeded');
    assert.equal((await restoreOf('back')).status?.hearthSpec?.tier, 'embedded');
    assert.match(await eventsOf('back'), /Created\s+Created Hearth bk2 to restore into/);
  });

  it('refuses to restore into a Hearth that exists, making no Job', async () => {
    await createRestore('over-bk', { source: { backupRef: { name: 'nightly' } }, hearth: { name: 'bk' } });
    await until('Failed', async () => (await restoreOf('over-bk')).status?.phase === 'Failed');
    const failed = restoreCondition(await restoreOf('over-bk'), 'Failed');
    assert.equal(failed?.reason, 'HearthExists');
    assert.match(failed?.message ?? '', /a Hearth named bk already exists in .*: a restore only creates a new Hearth/);
    assert.equal(await exists('job', 'over-bk-restore'), false);
  });

  it('reports a failed restore with the restore step’s one line (a store that has records)', async () => {
    await createRestore('into-used', {
      source: { s3, archive: 'hearth-20261205T020100.000Z.ndjson.gz' },
      hearth: { name: 'bk3', spec: { tier: 'single' } },
    });
    await until('the restore Job', () => exists('job', 'into-used-restore'));
    const args = (await getJson<{ spec: { template: { spec: { initContainers: { args: string[] }[] } } } }>('job', 'into-used-restore')).spec.template.spec
      .initContainers[1]?.args;
    assert.deepEqual(args, ['restore', '--from', 's3://acme-backups/hearth/prod/hearth-20261205T020100.000Z.ndjson.gz']);
    await jobStatus('into-used-restore', { startTime: started, active: 1 });
    const name = 'into-used-restore-failed';
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: cluster.namespace, labels: { 'job-name': 'into-used-restore' } },
      spec: { restartPolicy: 'Never', initContainers: [{ name: 'restore', image: 'i' }], containers: [{ name: 'resume-writes', image: 'i' }] },
    });
    const line = 'hearth restore: cannot import into a store that has records (account is not empty): import into a new, empty database';
    const state = (exitCode: number, message?: string) => ({
      terminated: { exitCode, startedAt: started, finishedAt: finished, ...(message === undefined ? {} : { message }) },
    });
    await kubectl(
      'patch',
      'pod',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          phase: 'Failed',
          initContainerStatuses: [{ name: 'restore', image: 'i', imageID: '', ready: false, restartCount: 0, state: state(1, `${line}\n`) }],
          containerStatuses: [
            { name: 'resume-writes', image: 'i', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } },
          ],
        },
      }),
    );
    await jobStatus('into-used-restore', {
      active: 0,
      failed: 1,
      conditions: [
        jobCondition('FailureTarget', 'PodFailurePolicy', 'Container restore for pod into-used-restore-failed failed with exit code 1'),
        jobCondition('Failed', 'PodFailurePolicy', 'Container restore for pod into-used-restore-failed failed with exit code 1'),
      ],
    });
    await until('Failed', async () => (await restoreOf('into-used')).status?.phase === 'Failed');
    assert.equal(restoreCondition(await restoreOf('into-used'), 'Failed')?.message, `restore: ${line}`);
  });

  const includeSecrets = (name: string): unknown => ({ keySecretRef: { name, key: 'key' } });
  /** The key Secret, and a TLS Secret that bk's spec names: what a backup with includeSecrets keeps. */
  const secretsMade = async (): Promise<void> => {
    if (await exists('secret', 'archive-key')) return;
    await kubectl('create', 'secret', 'generic', 'archive-key', `--from-literal=key=${'k'.repeat(44)}`);
    await kubectl('create', 'secret', 'generic', 'bk-tls', '--from-literal=tls.crt=cert', '--from-literal=tls.key=key');
    await kubectl('patch', 'hearth', 'bk', '--type=merge', '-p', JSON.stringify({ spec: { ingress: { host: 'bk.example', tlsSecretName: 'bk-tls' } } }));
    await until('bk’s Ingress, so the informer has the new spec', () => exists('ingress', 'bk'));
  };

  it('a HearthBackup with includeSecrets mounts the Secrets the Hearth names and the key, and passes the flags; a missing key fails it with no Job', async () => {
    await secretsMade();
    const spec = { hearthName: 'bk', destination: { s3 }, includeSecrets: includeSecrets('archive-key') };
    await apply({ apiVersion: 'hearth.dev/v1alpha1', kind: 'HearthBackup', metadata: { name: 'with-secrets', namespace: cluster.namespace }, spec });
    await until('the Job', () => exists('job', 'with-secrets-backup'));
    type SecretPod = { containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: unknown }[] };
    const pod = (await getJson<{ spec: { template: { spec: SecretPod } } }>('job', 'with-secrets-backup')).spec.template.spec;
    assert.deepEqual(pod.containers[0]?.args.slice(7), [
      '--include-secrets',
      '--secrets-dir',
      '/var/run/hearth/secrets',
      '--key-file',
      '/var/run/hearth/archive-key/key',
    ]);
    assert.deepEqual(
      pod.volumes.filter((volume) => volume.secret !== undefined).map((volume) => [volume.name, volume.secret]),
      [
        ['secret-0', { secretName: 'bk-tls', defaultMode: 0o400 }],
        ['archive-key', { secretName: 'archive-key', items: [{ key: 'key', path: 'key' }], defaultMode: 0o400 }],
      ],
    );
    assert.ok(pod.containers[0]?.volumeMounts.some((mount) => mount.mountPath === '/var/run/hearth/secrets/bk-tls'));

    const keyless = { ...spec, includeSecrets: includeSecrets('no-such-key') };
    await apply({ apiVersion: 'hearth.dev/v1alpha1', kind: 'HearthBackup', metadata: { name: 'keyless', namespace: cluster.namespace }, spec: keyless });
    await until('Failed', async () => (await backupOf('keyless')).status?.phase === 'Failed');
    const failed = condition(await backupOf('keyless'), 'Failed');
    assert.equal(failed?.reason, 'ArchiveKeyInvalid');
    assert.match(failed?.message ?? '', /^Secret no-such-key \(spec\.includeSecrets\.keySecretRef\) is missing: create it/);
    assert.equal(await exists('job', 'keyless-backup'), false);
  });

  /** What the API server's authorizer says the account may do with Secrets in the namespace. */
  const accountMay = async (account: string, verb: string): Promise<boolean> => {
    const review = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: `system:serviceaccount:${cluster.namespace}:${account}`, resourceAttributes: { namespace: cluster.namespace, verb, resource: 'secrets' } },
    };
    const file = path.join(cluster.work, `review-${files++}.json`);
    await writeFile(file, JSON.stringify(review));
    return (await kubectl('create', '-f', file, '-o', 'jsonpath={.status.allowed}')).trim() === 'true';
  };

  it('a HearthRestore with includeSecrets runs as its own account, which may only create Secrets, gone once the restore is over; a missing key fails it before any Hearth', async () => {
    await secretsMade();
    await createRestore('with-secrets', { source: { backupRef: { name: 'nightly' } }, hearth: { name: 'bk5' }, includeSecrets: includeSecrets('archive-key') });
    await until('the restore Job', () => exists('job', 'with-secrets-restore'));
    type AccountPod = { serviceAccountName?: string; automountServiceAccountToken?: boolean; initContainers: { args: string[] }[] };
    const pod = (await getJson<{ spec: { template: { spec: AccountPod } } }>('job', 'with-secrets-restore')).spec.template.spec;
    assert.equal(pod.serviceAccountName, 'with-secrets-restore');
    assert.equal(pod.automountServiceAccountToken, true);
    assert.deepEqual(pod.initContainers[1]?.args.slice(3), [
      '--include-secrets',
      '--key-file',
      '/var/run/hearth/archive-key/key',
      '--secrets-namespace',
      cluster.namespace,
    ]);
    type Owned = { metadata: { ownerReferences?: { kind: string; name: string }[] }; rules?: unknown };
    for (const [kind, name] of [
      ['serviceaccount', 'with-secrets-restore'],
      ['role', 'with-secrets-restore-secrets'],
      ['rolebinding', 'with-secrets-restore-secrets'],
    ] as const)
      assert.deepEqual(
        (await getJson<Owned>(kind, name)).metadata.ownerReferences?.map((owner) => [owner.kind, owner.name]),
        [['HearthRestore', 'with-secrets']],
        kind,
      );
    assert.deepEqual((await getJson<Owned>('role', 'with-secrets-restore-secrets')).rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }]);
    assert.equal(await accountMay('with-secrets-restore', 'create'), true);
    assert.equal(await accountMay('with-secrets-restore', 'get'), false);
    assert.equal(await accountMay('with-secrets-restore', 'list'), false);

    await jobStatus('with-secrets-restore', { startTime: started, active: 1 });
    await jobStatus('with-secrets-restore', {
      active: 0,
      succeeded: 1,
      completionTime: finished,
      conditions: [jobCondition('SuccessCriteriaMet', 'CompletionsReached'), jobCondition('Complete', 'CompletionsReached')],
    });
    await until('Succeeded', async () => (await restoreOf('with-secrets')).status?.phase === 'Succeeded');
    assert.equal(await exists('rolebinding', 'with-secrets-restore-secrets'), false);
    assert.equal(await exists('serviceaccount', 'with-secrets-restore'), false);
    assert.equal(await accountMay('with-secrets-restore', 'create'), false);

    await createRestore('keyless', { source: { backupRef: { name: 'nightly' } }, hearth: { name: 'bk6' }, includeSecrets: includeSecrets('no-such-key') });
    await until('Failed', async () => (await restoreOf('keyless')).status?.phase === 'Failed');
    const failed = restoreCondition(await restoreOf('keyless'), 'Failed');
    assert.equal(failed?.reason, 'ArchiveKeyInvalid');
    assert.match(failed?.message ?? '', /^Secret no-such-key \(spec\.includeSecrets\.keySecretRef\) is missing/);
    assert.equal(await exists('hearth', 'bk6'), false);
    assert.equal(await exists('job', 'keyless-restore'), false);
  });

  it('spec.backup makes a CronJob with its schedule and retention, follows a change, and removing it deletes the CronJob', async () => {
    const schedule = (spec: unknown): Promise<string> => kubectl('patch', 'hearth', 'bk', '--type=merge', '-p', JSON.stringify({ spec: { backup: spec } }));
    await schedule({ schedule: '0 3 * * *', retention: 7, destination: { s3 } });
    await until('the CronJob', () => exists('cronjob', 'bk-backup'));
    const cron = await getJson<CronJobItem>('cronjob', 'bk-backup');
    assert.equal(cron.spec.schedule, '0 3 * * *');
    assert.equal(cron.spec.concurrencyPolicy, 'Forbid');
    assert.deepEqual(cron.spec.jobTemplate.spec.template.spec.containers[0]?.args.slice(-2), ['--retention', '7']);

    await schedule({ schedule: '@hourly', retention: 2, destination: { s3 } });
    await until('the CronJob updated', async () => (await getJson<CronJobItem>('cronjob', 'bk-backup')).spec.schedule === '@hourly');
    assert.deepEqual((await getJson<CronJobItem>('cronjob', 'bk-backup')).spec.jobTemplate.spec.template.spec.containers[0]?.args.slice(-2), [
      '--retention',
      '2',
    ]);

    await schedule(null);
    await until('the CronJob deleted', async () => !(await exists('cronjob', 'bk-backup')));
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=bk', '-o', 'custom-columns=MSG:.message');
    assert.match(events, /Created CronJob bk-backup: 0 3 \* \* \*, keeping 7/);
    assert.match(events, /Deleted CronJob bk-backup: spec.backup was removed/);
  });

  it('deleting the Hearth deletes its CronJob (the finalizer does, before any garbage collector)', async () => {
    await kubectl(
      'patch',
      'hearth',
      'bk2',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { backup: { schedule: '@daily', retention: 1, destination: { s3 } } } }),
    );
    await until('bk2’s CronJob', () => exists('cronjob', 'bk2-backup'));
    await kubectl('delete', 'hearth', 'bk2', '--wait=false');
    await until('bk2 gone', async () => !(await exists('hearth', 'bk2')));
    assert.equal(await exists('cronjob', 'bk2-backup'), false);
  });
});
