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
    assert.equal(config.namespaces, undefined);
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
    assert.deepEqual(config.namespaces, ['chat']);
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

  it('reads a comma-separated list of namespaces, in order, blanks around the commas ignored', () => {
    const config = loadConfig({ HEARTH_OPERATOR_NAMESPACE: ' team-a, team-b ,team-c ' });
    assert.deepEqual(config.namespaces, ['team-a', 'team-b', 'team-c']);
    assert.ok(Object.isFrozen(config.namespaces));
    assert.equal(loadConfig({ HEARTH_OPERATOR_NAMESPACE: '  ' }).namespaces, undefined, 'blank: every namespace');
  });

  it('puts the lease in POD_NAMESPACE, else the first watched namespace, else default; the variable wins over both', () => {
    const lease = (env: Record<string, string>): string | false => {
      const config = loadConfig(env);
      return config.leaderElection.enabled && config.leaderElection.namespace;
    };
    assert.equal(lease({ HEARTH_OPERATOR_NAMESPACE: 'team-a,team-b' }), 'team-a');
    assert.equal(lease({ HEARTH_OPERATOR_NAMESPACE: 'team-a,team-b', POD_NAMESPACE: 'hearth-system' }), 'hearth-system');
    assert.equal(lease({ HEARTH_OPERATOR_NAMESPACE: 'team-a,team-b', HEARTH_OPERATOR_LEASE_NAMESPACE: 'ops', POD_NAMESPACE: 'hearth-system' }), 'ops');
    assert.equal(lease({}), 'default');
  });

  const badNamespaces: [string, string][] = [
    ['team-a,Team_B', 'HEARTH_OPERATOR_NAMESPACE: "Team_B" is not a valid namespace name (a DNS label: a-z, 0-9 and -, at most 63)'],
    ['team-a,,team-b', 'HEARTH_OPERATOR_NAMESPACE: "team-a,,team-b" has an empty namespace; give names separated by commas'],
    ['team-a,', 'HEARTH_OPERATOR_NAMESPACE: "team-a," has an empty namespace; give names separated by commas'],
    ['team-a,team-b,team-a', 'HEARTH_OPERATOR_NAMESPACE: namespace "team-a" is listed twice'],
    [`team-a,${'x'.repeat(64)}`, `HEARTH_OPERATOR_NAMESPACE: "${'x'.repeat(64)}" is not a valid namespace name (a DNS label: a-z, 0-9 and -, at most 63)`],
    ['team.a', 'HEARTH_OPERATOR_NAMESPACE: "team.a" is not a valid namespace name (a DNS label: a-z, 0-9 and -, at most 63)'],
  ];
  for (const [value, message] of badNamespaces) {
    it(`refuses HEARTH_OPERATOR_NAMESPACE=${value.length > 30 ? `${value.slice(0, 30)}…` : value} with one line naming it`, () => {
      assert.throws(
        () => loadConfig({ HEARTH_OPERATOR_NAMESPACE: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === 'HEARTH_OPERATOR_NAMESPACE' && error.message === message,
      );
    });
  }

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
      assert.throws(
        () => loadConfig({ [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.variable === variable,
      );
    });
  }

  it('refuses a lease duration not above the renew deadline', () => {
    assert.throws(
      () => loadConfig({ HEARTH_OPERATOR_LEASE_DURATION_SECONDS: '5', HEARTH_OPERATOR_RENEW_DEADLINE_SECONDS: '10' }),
      /HEARTH_OPERATOR_LEASE_DURATION_SECONDS/,
    );
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

  it('the process refuses a bad namespace list the same way, before touching the API server', async () => {
    const main = path.join(import.meta.dirname, 'main.ts');
    const env = { ...process.env, HEARTH_OPERATOR_NAMESPACE: 'team-a,team-a', KUBECONFIG: '/nonexistent/kubeconfig' };
    const failure = await run(process.execPath, [main], { env }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    assert.equal(failure?.code, 2);
    assert.equal(failure.stderr, 'hearth-operator: HEARTH_OPERATOR_NAMESPACE: namespace "team-a" is listed twice\n');
  });
});
