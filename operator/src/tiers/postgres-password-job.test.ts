// The rotation Job as built, and the script it runs, run for real: psql from the machine against
// the harness's PostgreSQL, made to check the password of the role the script connects as
// (scram-sha-256), as the bundled PostgreSQL does for the services' connections.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import type { V1EnvVar } from '@kubernetes/client-node';
import { defaultTierContext } from './context.ts';
import {
  alterRoleScript,
  buildPendingPasswordSecret,
  buildPostgresPasswordJob,
  buildRotatedCredentials,
  currentPasswordVariable,
  newPasswordVariable,
  passwordJobName,
  pendingPasswordSecretName,
} from './postgres-password-job.ts';
import { desiredPostgres } from './postgres.ts';
import { hearthFixture } from './testing.ts';

const run = promisify(execFile);

/** name → value, or secret:<name>/<key> for a Secret reference. */
function envMap(env: readonly V1EnvVar[] | undefined): Record<string, string> {
  return Object.fromEntries((env ?? []).map((variable) => [variable.name, valueOf(variable)]));
}

function valueOf(variable: V1EnvVar): string {
  const ref = variable.valueFrom?.secretKeyRef;
  return ref === undefined ? (variable.value ?? '') : `secret:${ref.name ?? ''}/${ref.key}`;
}

describe('buildPostgresPasswordJob', () => {
  const hearth = hearthFixture({ tier: 'single' });
  const job = buildPostgresPasswordJob(hearth, defaultTierContext, 'uid-1');
  const pod = job.spec?.template.spec;
  const container = pod?.containers[0] ?? assert.fail('the Job has a container');
  const postgresImage = desiredPostgres(hearth, defaultTierContext).find((object) => object.kind === 'StatefulSet')?.spec?.template.spec?.containers[0]?.image;

  it('runs the script in the bundled PostgreSQL image, against its Service, owned by the Hearth, named after the pending Secret', () => {
    assert.equal(job.metadata.name, passwordJobName('acme', 'uid-1'));
    assert.notEqual(passwordJobName('acme', 'uid-1'), passwordJobName('acme', 'uid-2'), 'another attempt, another Job');
    assert.ok(passwordJobName('x'.repeat(40), 'uid-1').length <= 63, 'a label value (job-name) for the longest Hearth name');
    assert.equal(job.metadata.labels['hearth.dev/pending-secret-uid'], 'uid-1');
    assert.equal(job.metadata.ownerReferences?.[0]?.uid, hearth.metadata.uid);
    assert.equal(job.metadata.labels['app.kubernetes.io/component'], 'rotation', 'not a migration Job: the migration step ignores it');
  });

  it('runs the script with psql from the bundled PostgreSQL image', () => {
    assert.equal(container.image, postgresImage);
    assert.deepEqual(container.command, ['sh', '-c', alterRoleScript]);
    assert.equal(container.terminationMessagePolicy, 'FallbackToLogsOnError', 'psql’s error is the termination message');
    assert.equal(pod?.restartPolicy, 'Never');
    // The label the PostgreSQL NetworkPolicy admits (single.test.ts checks the policy).
    assert.equal(job.spec?.template.metadata?.labels?.['app.kubernetes.io/component'], 'rotation');
  });

  it('passes the passwords by environment only, from the credentials and the pending Secret', () => {
    const env = envMap(container.env);
    assert.deepEqual(env, {
      PGHOST: 'acme-postgres',
      PGPORT: '5432',
      PGUSER: 'hearth',
      PGDATABASE: 'hearth',
      PGCONNECT_TIMEOUT: '10',
      [currentPasswordVariable]: 'secret:acme-postgres-credentials/password',
      [newPasswordVariable]: `secret:${pendingPasswordSecretName('acme')}/password`,
    });
  });

  it('the pending Secret is owned by the Hearth; the credentials made from it are not, and carry its password and request', () => {
    const generated = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'acme-postgres-credentials', namespace: 'chat', labels: { a: 'b' }, annotations: { 'hearth.dev/rotation-request': 'r1' } },
      type: 'Opaque',
      immutable: true,
      stringData: { password: 'fresh' },
    };
    const pending = buildPendingPasswordSecret(hearth, generated);
    assert.equal(pending.metadata?.name, 'acme-postgres-credentials-next');
    assert.equal(pending.metadata?.ownerReferences?.[0]?.uid, hearth.metadata.uid);
    assert.deepEqual(pending.stringData, { password: 'fresh' });
    const rotated = buildRotatedCredentials(generated, 'set-in-postgres', 'r1');
    assert.equal(rotated.metadata?.name, 'acme-postgres-credentials');
    assert.equal(rotated.metadata?.ownerReferences, undefined);
    assert.deepEqual(rotated.stringData, { password: 'set-in-postgres' });
    assert.equal(rotated.metadata?.annotations?.['hearth.dev/rotation-request'], 'r1');
    assert.equal(rotated.immutable, true);
  });
});

describe('the rotation Job’s script, on a real PostgreSQL', () => {
  const role = 'chat';
  let server: PostgresServer;
  const psql = async (url: string, statement: string): Promise<string> => (await run('psql', [url, '-qAtXc', statement])).stdout;
  const urlFor = (password: string): string => `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/hearth`;
  const accepts = (password: string): Promise<boolean> =>
    psql(urlFor(password), 'SELECT 1').then(
      () => true,
      () => false,
    );
  /** The script as the Job runs it: sh -c, the connection and both passwords in the environment only. */
  const runScript = async (current: string, next: string): Promise<{ code: number; output: string }> => {
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PGHOST: '127.0.0.1',
      PGPORT: String(server.port),
      PGUSER: role,
      PGDATABASE: 'hearth',
      PGCONNECT_TIMEOUT: '10',
      [currentPasswordVariable]: current,
      [newPasswordVariable]: next,
    };
    try {
      const { stdout, stderr } = await run('sh', ['-c', alterRoleScript], { env });
      return { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  };

  before(async () => {
    server = await startPostgres();
    // The harness's superuser keeps trust (the test's own statements); the role must give its password.
    const hbaFile = (await psql(server.url, 'SHOW hba_file')).trim();
    await psql(server.url, `COPY (VALUES ('host all hearth 127.0.0.1/32 trust'), ('host all all 127.0.0.1/32 scram-sha-256')) TO '${hbaFile}'`);
    await psql(server.url, 'SELECT pg_reload_conf()');
    await psql(server.url, `CREATE ROLE ${role} LOGIN PASSWORD 'first'`);
    await psql(server.url, `CREATE DATABASE hearth OWNER ${role}`);
  });

  after(async () => {
    await server?.stop();
  });

  it('sets the new password with the current one: the new opens a connection, the old no longer does', async () => {
    assert.equal(await accepts('first'), true, 'the role checks its password');
    assert.equal(await accepts('second'), false);
    const result = await runScript('first', 'second');
    assert.equal(result.code, 0, result.output);
    assert.equal(await accepts('second'), true);
    assert.equal(await accepts('first'), false);
  });

  it('run again once the password is set (a pod lost after ALTER ROLE, retried), succeeds without the old password', async () => {
    const result = await runScript('first', 'second');
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /the new password is in force already/);
    assert.equal(await accepts('second'), true);
  });

  it('a wrong current password fails, its last line psql’s reason, and the password in force is left as it is', async () => {
    const result = await runScript('not-the-password', 'third');
    assert.notEqual(result.code, 0);
    assert.match(result.output.trim().split('\n').at(-1) ?? '', /password authentication failed for user "chat"/);
    assert.equal(await accepts('second'), true, 'still in force');
    assert.equal(await accepts('third'), false);
  });

  it('quotes the new value: quotes, backslashes and SQL in it are part of the password, nothing else', async () => {
    const odd = `it's "odd" \\ $1 '); DROP ROLE ${role}; --`;
    const result = await runScript('second', odd);
    assert.equal(result.code, 0, result.output);
    assert.equal(await accepts(odd), true);
    assert.equal(await accepts('second'), false);
    assert.ok(!result.output.includes(odd), 'the value is not printed');
  });
});
