// The generated CRD on a real kube-apiserver, driven with kubectl: defaults, printer columns,
// the status subresource, and the refusals of docs/examples/invalid/ and of a tier downgrade.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kubeBinaries, removeDir, startControlPlane, tempDir, waitUntil, type ControlPlane } from '@hearth/harness';
import { repoRoot } from './generate.ts';
import { completeHearthSpec, completeHearthStatus } from './hearth-sample.ts';
import { defaultHearthImage, defaultHearthVersion, type Hearth } from './hearth-types.ts';

const run = promisify(execFile);

// kube-apiserver is built from source by `make kube-bins`, which `make unit` and `make test` run first.
if ((await kubeBinaries()) === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

const crdFile = path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml');
const examples = path.join(repoRoot, 'docs', 'examples');
const invalidDir = path.join(examples, 'invalid');
const invalidFiles = (await readdir(invalidDir)).filter((name) => name.endsWith('.yaml')).sort();
const namespace = 'chat';

/** The defaults every stored Hearth gets for the blocks every tier uses. */
const everyTierDefaults = {
  version: defaultHearthVersion,
  image: { repository: defaultHearthImage, pullPolicy: 'IfNotPresent' },
  storage: { retainOnDelete: true },
  auth: { local: { enabled: true } },
  observability: { serviceMonitor: false, prometheusRule: false, dashboards: false },
  features: { search: true, bots: true, files: false, webPush: true },
  paused: false,
  migration: { deleteOldData: false },
};

interface Failure {
  code: number;
  stderr: string;
}

/** The line of a manifest's `# expect: …` comment: text the API server's refusal must contain. */
async function expectedRefusal(file: string): Promise<string> {
  const expect = /^# expect: (.+)$/m.exec(await readFile(file, 'utf8'))?.[1];
  if (expect === undefined) throw new Error(`${file} has no "# expect: <message>" line`);
  return expect;
}

describe('the Hearth CRD on a real API server', () => {
  let kube: ControlPlane;
  let work: string;

  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, '--cache-dir', path.join(work, 'cache'), ...args]);
    return stdout;
  };
  const kubectlFails = async (...args: string[]): Promise<Failure> => {
    try {
      const stdout = await kubectl(...args);
      throw new assert.AssertionError({ message: `kubectl ${args.join(' ')} succeeded: ${stdout}` });
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      const failure = error as { code?: unknown; stderr?: unknown };
      return { code: Number(failure.code), stderr: String(failure.stderr) };
    }
  };
  const getHearth = async (name: string): Promise<Hearth> => JSON.parse(await kubectl('get', 'hearth', name, '-n', namespace, '-o', 'json')) as Hearth;
  const applyJson = async (name: string, manifest: object): Promise<void> => {
    const file = path.join(work, `${name}.json`);
    await writeFile(file, JSON.stringify(manifest));
    await kubectl('apply', '-n', namespace, '-f', file);
  };

  before(async () => {
    kube = await startControlPlane();
    work = await tempDir('hearth-crd-test');
    await kubectl('apply', '--server-side', '-f', crdFile);
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev');
    await kubectl('create', 'namespace', namespace);
    // Discovery can lag Established by a moment; kubectl re-reads it when a kind is missing.
    await waitUntil('kubectl get hearth', async () => (await kubectl('get', 'hearth', '-n', namespace)) !== undefined, null);
  });

  after(async () => {
    await kube?.stop();
    if (work !== undefined) await removeDir(work);
  });

  it('is established with its names accepted', async () => {
    const crd = JSON.parse(await kubectl('get', 'crd', 'hearths.hearth.dev', '-o', 'json')) as { status: { conditions: { type: string; status: string }[] } };
    const status = Object.fromEntries(crd.status.conditions.map((condition) => [condition.type, condition.status]));
    assert.equal(status.Established, 'True');
    assert.equal(status.NamesAccepted, 'True');
  });

  it('stores docs/examples/embedded.yaml with the defaults filled in', async () => {
    assert.match(await kubectl('apply', '-n', namespace, '-f', path.join(examples, 'embedded.yaml')), /hearth\.hearth\.dev\/acme created/);
    const hearth = await getHearth('acme');
    assert.deepEqual(hearth.spec, { tier: 'embedded', ingress: { host: 'chat.acme.example' }, ...everyTierDefaults });
    assert.equal(hearth.metadata.generation, 1);
  });

  it('stores docs/examples/single.yaml with the defaults of the blocks it writes', async () => {
    await kubectl('apply', '-n', namespace, '-f', path.join(examples, 'single.yaml'));
    const hearth = await getHearth('globex');
    assert.deepEqual(hearth.spec, {
      ...everyTierDefaults,
      tier: 'single',
      version: '0.1.0',
      ingress: { host: 'chat.globex.example' },
      services: {
        gateway: { replicas: 2, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
        realtime: { replicas: 2 },
        messaging: { replicas: 1 },
      },
      // Counts that depend on the tier stay unset: the operator picks them (tierDefaults).
      database: { storage: { size: '20Gi' } },
      nats: { storage: { size: '5Gi' } },
      redis: { mode: 'standalone' },
    });
  });

  it('accepts a Hearth with every field of the TypeScript types set, and keeps them all', async () => {
    // spec.storage.size is the embedded tier's alone, and the services and backends the other tiers':
    // the complete spec is a single-tier Hearth without it, plus an embedded one with it.
    const { size, ...serverStorage } = completeHearthSpec.storage;
    const s3Only = { s3: completeHearthSpec.backup.destination.s3 };
    const spec = { ...completeHearthSpec, storage: serverStorage, backup: { ...completeHearthSpec.backup, destination: s3Only } };
    const manifest = { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'complete' }, spec };
    // kubectl validates strictly: a field of the types missing from the schema would be refused, not dropped.
    await applyJson('complete', manifest);
    await kubectl(
      'patch',
      'hearth',
      'complete',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: completeHearthStatus }),
    );
    const hearth = await getHearth('complete');
    assert.deepEqual(hearth.spec, spec);
    assert.deepEqual(hearth.status, completeHearthStatus);
    await applyJson('complete-embedded', {
      apiVersion: 'hearth.dev/v1alpha1',
      kind: 'Hearth',
      metadata: { name: 'complete-embedded' },
      spec: { tier: 'embedded', storage: completeHearthSpec.storage },
    });
    assert.equal((await getHearth('complete-embedded')).spec.storage?.size, size);
  });

  it('prints the columns TIER PHASE PAUSED VERSION URL AGE', async () => {
    const paused = { type: 'Paused', status: 'True', reason: 'SpecPaused', message: 'paused', lastTransitionTime: '2026-01-01T00:00:00Z' };
    await kubectl(
      'patch',
      'hearth',
      'globex',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { conditions: [paused] } }),
    );
    const lines = (await kubectl('get', 'hearth', '-n', namespace)).trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+TIER\s+PHASE\s+PAUSED\s+VERSION\s+URL\s+AGE$/);
    // PAUSED is empty but for a Hearth with a Paused condition (globex has no phase yet).
    assert.match(lines.find((line) => line.startsWith('globex ')) ?? '', /^globex\s+single\s+True\s+/);
    assert.match(lines.find((line) => line.startsWith('complete ')) ?? '', /^complete\s+single\s+Ready\s+0\.1\.0\s+https:\/\/chat\.acme\.example\s+\d+s$/);
    // The same resource through its short name and its category.
    assert.match(await kubectl('get', 'hearth', 'acme', '-n', namespace, '-o', 'name'), /^hearth\.hearth\.dev\/acme$/m);
    assert.match(await kubectl('get', 'all', '-n', namespace, '-o', 'name'), /^hearth\.hearth\.dev\/globex$/m);
  });

  it('selects Hearths by spec.tier', async () => {
    const names = await kubectl('get', 'hearth', '-n', namespace, '--field-selector', 'spec.tier=single', '-o', 'name');
    assert.deepEqual(names.trim().split('\n'), ['hearth.hearth.dev/complete', 'hearth.hearth.dev/globex']);
  });

  describe('refuses each manifest in docs/examples/invalid/ with a message naming the field', () => {
    it('has the required cases', () => {
      for (const name of [
        'unknown-tier.yaml',
        'zero-replicas.yaml',
        'clustered-two-nats.yaml',
        'oidc-without-secret.yaml',
        'clustered-one-database.yaml',
        'clustered-standalone-redis.yaml',
        'single-redis-sentinel.yaml',
        'otlp-grpc-endpoint.yaml',
        'storage-zero.yaml',
        'limits-below-requests.yaml',
        'misspelt-resource.yaml',
        'too-many-replicas.yaml',
        'oidc-http-issuer.yaml',
        'files-limits-without-files.yaml',
        'files-type-pattern.yaml',
        'search-off.yaml',
        'bots-off.yaml',
      ])
        assert.ok(invalidFiles.includes(name), name);
    });
    for (const name of invalidFiles) {
      it(name, async () => {
        const file = path.join(invalidDir, name);
        const failure = await kubectlFails('apply', '-n', namespace, '-f', file);
        assert.notEqual(failure.code, 0);
        assert.ok(failure.stderr.includes(await expectedRefusal(file)), `kubectl said: ${failure.stderr}`);
        // A rule's refusal, or (for a field the resource does not have) kubectl's strict decoding.
        assert.match(failure.stderr, /is invalid|strict decoding error: unknown field/);
      });
    }
  });

  it('takes spec.tier one step up from the tier that serves, or back to it; refuses any other change', async () => {
    const status = (name: string, tier: string): Promise<string> =>
      kubectl('patch', 'hearth', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { tier } }));
    const patchTier = (name: string, tier: string): Promise<string> =>
      kubectl('patch', 'hearth', name, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec: { tier } }));
    const refused = async (name: string, tier: string): Promise<string> =>
      (await kubectlFails('patch', 'hearth', name, '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec: { tier } }))).stderr;
    const moves = /spec\.tier: Forbidden: spec\.tier may only move one step up from the tier that serves, embedded → single or single → clustered/;

    await applyJson('fixed', { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'fixed' }, spec: { tier: 'embedded' } });
    await status('fixed', 'embedded');
    assert.match(await refused('fixed', 'clustered'), moves, 'two steps at once');
    await patchTier('fixed', 'single');
    // Under way: neither a further step (from a tier that does not serve) nor a sideways one, but back to what serves.
    assert.match(await refused('fixed', 'clustered'), moves);
    await patchTier('fixed', 'embedded');
    assert.equal((await getHearth('fixed')).spec.tier, 'embedded');

    await applyJson('grown', { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'grown' }, spec: { tier: 'single' } });
    await status('grown', 'single');
    assert.match(await refused('grown', 'embedded'), moves, 'never down');
    await patchTier('grown', 'clustered');
    await status('grown', 'clustered');
    assert.match(await refused('grown', 'single'), moves, 'after the switch there is no way back');
    // Other changes of a Hearth are not held up by the rule.
    await kubectl('patch', 'hearth', 'grown', '-n', namespace, '--type=merge', '-p', '{"spec":{"paused":true}}');
  });

  it('refuses spec.version going back to an older release, and takes a newer one or a tag that is not a version', async () => {
    await applyJson('versions', { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'versions' }, spec: { version: '0.2.0' } });
    const setVersion = (version: string): Promise<string> =>
      kubectl('patch', 'hearth', 'versions', '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec: { version } }));
    const refused = async (version: string): Promise<string> =>
      (await kubectlFails('patch', 'hearth', 'versions', '-n', namespace, '--type=merge', '-p', JSON.stringify({ spec: { version } }))).stderr;
    assert.match(await refused('0.1.0'), /spec\.version: Forbidden: spec\.version may not go back to an older release/);
    assert.match(await refused('0.2.0-rc.1'), /may not go back/);
    await setVersion('0.2.1');
    await setVersion('v0.10.0');
    assert.match(await refused('0.9.9'), /may not go back/);
    // A tag that is not a version cannot be ordered: it is taken as it is, both ways.
    await setVersion('nightly');
    await setVersion('0.3.0');
    assert.equal((await getHearth('versions')).spec.version, '0.3.0');
  });

  it('takes an http:// issuer only with allowInsecureIssuer, and the smallest volume and largest count allowed', async () => {
    const oidc = { issuerURL: 'http://127.0.0.1:9000', clientID: 'hearth', clientSecretRef: { name: 'oidc' }, allowInsecureIssuer: true };
    await applyJson('edges', {
      apiVersion: 'hearth.dev/v1alpha1',
      kind: 'Hearth',
      metadata: { name: 'edges' },
      spec: {
        tier: 'single',
        database: { storage: { size: '1Gi' } },
        auth: { oidc },
        services: { gateway: { replicas: 100, resources: { requests: { cpu: '0.5' }, limits: { cpu: '500m' } } } },
      },
    });
    const hearth = await getHearth('edges');
    assert.equal(hearth.spec.auth?.oidc?.allowInsecureIssuer, true);
    assert.equal(hearth.spec.services?.gateway?.replicas, 100);
    const volume = await kubectlFails('patch', 'hearth', 'edges', '-n', namespace, '--type=merge', '-p', '{"spec":{"nats":{"storage":{"size":"512Mi"}}}}');
    assert.match(volume.stderr, /spec\.nats\.storage\.size must be at least 1Gi/);
  });

  it('has a status subresource: status changes there without bumping metadata.generation, and not through the main resource', async () => {
    const before = await getHearth('acme');
    await kubectl(
      'patch',
      'hearth',
      'acme',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Ready","observedGeneration":1}}',
    );
    const after = await getHearth('acme');
    assert.equal(after.status?.phase, 'Ready');
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.notEqual(after.metadata.resourceVersion, before.metadata.resourceVersion);

    // A write to the main resource ignores status; a spec change bumps the generation.
    await kubectl('patch', 'hearth', 'acme', '-n', namespace, '--type=merge', '-p', '{"spec":{"paused":true},"status":{"phase":"Failed"}}');
    const patched = await getHearth('acme');
    assert.equal(patched.status?.phase, 'Ready');
    assert.equal(patched.metadata.generation, (before.metadata.generation ?? 0) + 1);

    const badPhase = await kubectlFails(
      'patch',
      'hearth',
      'acme',
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Sleeping"}}',
    );
    assert.match(badPhase.stderr, /status\.phase: Unsupported value: "Sleeping"/);
  });
});
