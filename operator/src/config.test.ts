import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';

const run = promisify(execFile);

describe('loadConfig', () => {
  it('defaults: all namespaces, leader election on, port 8080', () => {
    const config = loadConfig({});
    assert.equal(config.namespace, undefined);
    assert.equal(config.httpPort, 8080);
    assert.equal(config.resyncMs, 600_000);
    assert.equal(config.leaderElection.enabled, true);
    if (config.leaderElection.enabled) {
      assert.equal(config.leaderElection.name, 'hearth-operator');
      assert.equal(config.leaderElection.namespace, 'default');
      assert.equal(config.leaderElection.leaseDurationMs, 15_000);
    }
    assert.ok(Object.isFrozen(config));
  });

  it('reads every variable', () => {
    const config = loadConfig({
      KUBECONFIG: '/tmp/kc',
      HEARTH_OPERATOR_NAMESPACE: 'chat',
      HEARTH_OPERATOR_HTTP_PORT: '0',
      HEARTH_OPERATOR_RESYNC_SECONDS: '5',
      HEARTH_OPERATOR_LEADER_ELECTION: 'false',
      HEARTH_OPERATOR_DEFAULT_IMAGE: 'mirror/hearth',
      HEARTH_OPERATOR_DEFAULT_VERSION: '0.2.0',
    });
    assert.equal(config.kubeconfig, '/tmp/kc');
    assert.equal(config.namespace, 'chat');
    assert.equal(config.httpPort, 0);
    assert.equal(config.resyncMs, 5000);
    assert.deepEqual(config.leaderElection, { enabled: false });
    assert.equal(config.image, 'mirror/hearth');
    assert.equal(config.version, '0.2.0');
  });

  it('the lease lives in the watched namespace unless told otherwise', () => {
    const config = loadConfig({ HEARTH_OPERATOR_NAMESPACE: 'chat' });
    assert.equal(config.leaderElection.enabled && config.leaderElection.namespace, 'chat');
  });

  const bad: [string, string][] = [
    ['HEARTH_OPERATOR_HTTP_PORT', 'abc'],
    ['HEARTH_OPERATOR_HTTP_PORT', '70000'],
    ['HEARTH_OPERATOR_NAMESPACE', 'Not_A_Name'],
    ['HEARTH_OPERATOR_LEADER_ELECTION', 'maybe'],
    ['HEARTH_OPERATOR_RESYNC_SECONDS', '-1'],
    ['HEARTH_OPERATOR_WORKERS', '0'],
  ];
  for (const [variable, value] of bad) {
    it(`refuses ${variable}=${value}, naming it`, () => {
      assert.throws(() => loadConfig({ [variable]: value }), (error: unknown) => error instanceof ConfigError && error.variable === variable);
    });
  }

  it('refuses a lease duration not above the renew deadline', () => {
    assert.throws(() => loadConfig({ HEARTH_OPERATOR_LEASE_DURATION_SECONDS: '5', HEARTH_OPERATOR_RENEW_DEADLINE_SECONDS: '10' }), /HEARTH_OPERATOR_LEASE_DURATION_SECONDS/);
  });

  it('the process exits 2 with one line naming the variable', async () => {
    const main = path.join(import.meta.dirname, 'main.ts');
    const failure = await run(process.execPath, [main], { env: { ...process.env, HEARTH_OPERATOR_HTTP_PORT: 'abc' } }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    assert.equal(failure?.code, 2);
    assert.equal(failure.stderr, 'hearth-operator: HEARTH_OPERATOR_HTTP_PORT: "abc" is not a whole number\n');
  });
});
