// The tiers' objects on a real kube-apiserver: it accepts every one of them as built (schema,
// validation, the restricted Pod Security Standard; CloudNativePG's Cluster against its published
// CRD, strictly), server-side apply of the same objects a second time writes nothing, and a
// generated Secret refuses a change.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kubeBinaries, removeDir, startControlPlane, tempDir, thirdPartyCrd, waitUntil, type ControlPlane } from '@hearth/harness';
import { repoRoot } from '../api/generate.ts';
import type { Hearth, HearthSpec } from '../api/index.ts';
import { defaultTierContext } from './context.ts';
import { desiredObjects, type DesiredTier } from './desired-objects.ts';
import { instanceSelector } from './labels.ts';
import { buildGeneratedSecret } from './secrets.ts';

const run = promisify(execFile);

// kube-apiserver is built from source by `make kube-bins`, which `make unit` and `make test` run first.
if ((await kubeBinaries()) === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

const namespace = 'chat';
const fieldManager = 'hearth-operator';
const kinds = 'statefulsets,deployments,services,ingresses,networkpolicies,horizontalpodautoscalers,poddisruptionbudgets,clusters.postgresql.cnpg.io';
/** The cluster these tests run on has CloudNativePG's CRDs. */
const tierContext = { ...defaultTierContext, cloudNativePG: true };

interface Stored {
  kind: string;
  metadata: { name: string; resourceVersion: string; ownerReferences?: { uid: string; controller?: boolean }[] };
}

describe('the tiers’ objects on a real API server', () => {
  let kube: ControlPlane;
  let work: string;
  let files = 0;

  const kubectl = async (...args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, '--cache-dir', path.join(work, 'cache'), '-n', namespace, ...args]);
  const writeJson = async (value: unknown): Promise<string> => {
    const file = path.join(work, `${(files += 1)}.json`);
    await writeFile(file, JSON.stringify(value));
    return file;
  };
  const list = (items: readonly unknown[]) => ({ apiVersion: 'v1', kind: 'List', items });

  const createHearth = async (name: string, spec: HearthSpec): Promise<Hearth> => {
    await kubectl('apply', '-f', await writeJson({ apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name }, spec }));
    return getHearth(name);
  };
  const getHearth = async (name: string): Promise<Hearth> => JSON.parse((await kubectl('get', 'hearth', name, '-o', 'json')).stdout) as Hearth;
  const desired = (hearth: Hearth): DesiredTier => {
    const result = desiredObjects(hearth, tierContext);
    if (!result.ok) throw new Error(result.error.message);
    return result;
  };
  /** What the reconcile does: ensure the Secrets, then server-side apply the objects. Returns kubectl's warnings. */
  const reconcile = async (hearth: Hearth, tier: DesiredTier): Promise<string> => {
    const secrets = tier.secrets.map((secret) => buildGeneratedSecret(hearth, secret, (count) => new Uint8Array(count).fill(7)));
    const existing = (await kubectl('get', 'secrets', '-o', 'name')).stdout;
    const missing = secrets.filter((secret) => !existing.includes(`secret/${secret.metadata?.name}\n`));
    if (missing.length > 0) await kubectl('create', '-f', await writeJson(list(missing)));
    const objects = await writeJson(list(tier.objects));
    // Strict: a field the schema does not know (of CloudNativePG's Cluster, say) is an error, not silently dropped.
    await kubectl('apply', '--server-side', '--dry-run=server', '--validate=strict', `--field-manager=${fieldManager}`, '-f', objects);
    const { stderr } = await kubectl('apply', '--server-side', '--validate=strict', `--field-manager=${fieldManager}`, '-f', objects);
    return stderr;
  };
  const stored = async (hearth: Hearth): Promise<Stored[]> =>
    (JSON.parse((await kubectl('get', kinds, '-l', instanceSelector(hearth.metadata.name ?? ''), '-o', 'json')).stdout) as { items: Stored[] }).items;
  const versions = (objects: Stored[]): Record<string, string> =>
    Object.fromEntries(objects.map((object) => [`${object.kind}/${object.metadata.name}`, object.metadata.resourceVersion]));

  before(async () => {
    kube = await startControlPlane();
    work = await tempDir('hearth-tiers-test');
    await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', 'hearth.dev_hearths.yaml'));
    await kubectl('apply', '--server-side', '-f', await thirdPartyCrd('cloudNativePG'));
    await kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/hearths.hearth.dev', 'crd/clusters.postgresql.cnpg.io');
    await kubectl('create', 'namespace', namespace);
    // PodSecurity admission checks workload templates against the `warn` level: any violation is a warning.
    await kubectl('label', 'namespace', namespace, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/enforce=restricted');
    await waitUntil('kubectl get hearth', async () => (await kubectl('get', 'hearth')) !== undefined, null);
  });

  after(async () => {
    await kube?.stop();
    if (work !== undefined) await removeDir(work);
  });

  const cases: { name: string; spec: HearthSpec }[] = [
    { name: 'docs/examples/embedded.yaml', spec: { tier: 'embedded', ingress: { host: 'chat.acme.example' } } },
    {
      name: 'docs/examples/single.yaml',
      spec: {
        tier: 'single',
        version: '0.1.0',
        ingress: { host: 'chat.globex.example' },
        services: {
          gateway: { replicas: 2, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } } },
          realtime: { replicas: 2 },
          messaging: { replicas: 1 },
        },
        database: { storage: { size: '20Gi' } },
        nats: { storage: { size: '5Gi' } },
        redis: { mode: 'standalone' },
      },
    },
    {
      name: 'single with TLS, a class, an autoscaler and an external database',
      spec: {
        tier: 'single',
        ingress: { host: 'chat.initech.example', className: 'nginx', tlsSecretName: 'chat-tls' },
        storage: { storageClassName: 'fast', retainOnDelete: false },
        services: { realtime: { autoscaling: { minReplicas: 2, maxReplicas: 6 } } },
        database: { external: { secretRef: { name: 'pg' } } },
      },
    },
    { name: 'docs/examples/clustered.yaml', spec: { tier: 'clustered', ingress: { host: 'chat.umbrella.example' } } },
    {
      name: 'clustered with 5 NATS servers, 3 PostgreSQL instances, an autoscaler of its own and an external Redis',
      spec: {
        tier: 'clustered',
        storage: { storageClassName: 'fast', retainOnDelete: false },
        services: { gateway: { replicas: 3 }, realtime: { autoscaling: { minReplicas: 4, maxReplicas: 20, targetCPUUtilizationPercentage: 60 } } },
        database: { instances: 3, storage: { size: '50Gi' } },
        nats: { replicas: 5 },
        redis: { external: { secretRef: { name: 'redis' } } },
      },
    },
    {
      name: 'clustered with 2 PostgreSQL instances (a preferred synchronous standby) on an image of its own',
      spec: { tier: 'clustered', database: { instances: 2, image: 'registry.acme.example/cloudnative-pg/postgresql:15.18' } },
    },
    {
      name: 'clustered on an external PostgreSQL and NATS',
      spec: { tier: 'clustered', database: { external: { secretRef: { name: 'pg' } } }, nats: { external: { secretRef: { name: 'nats' } } } },
    },
  ];

  let index = 0;
  for (const { name, spec } of cases) {
    it(`${name}: accepted without warnings, owned by the Hearth, and applied again without a write`, async () => {
      const hearth = await createHearth(`h${(index += 1)}`, spec);
      const tier = desired(hearth);
      assert.equal(await reconcile(hearth, tier), '', 'no PodSecurity or other warnings');
      const first = await stored(hearth);
      assert.deepEqual(Object.keys(versions(first)).sort(), tier.objects.map((object) => `${object.kind}/${object.metadata.name}`).sort());
      for (const object of first)
        assert.deepEqual(
          object.metadata.ownerReferences?.map((owner) => [owner.uid, owner.controller]),
          // CloudNativePG's Cluster owns the database volumes: the Hearth must not own it (finalizer.ts).
          object.kind === 'Cluster' ? undefined : [[hearth.metadata.uid, true]],
          `${object.kind}/${object.metadata.name}`,
        );
      await reconcile(hearth, desired(await getHearth(hearth.metadata.name ?? '')));
      assert.deepEqual(versions(await stored(hearth)), versions(first));
    });
  }

  it('keeps a NetworkPolicy rule’s `from` (client-node calls it `_from`)', async () => {
    const hearth = await getHearth('h2');
    const policy = JSON.parse((await kubectl('get', 'networkpolicy', 'h2-postgres', '-o', 'json')).stdout) as { spec: { ingress: { from?: unknown[] }[] } };
    assert.equal(policy.spec.ingress[0]?.from?.length, 1, hearth.metadata.name);
  });

  it('an embedded Hearth migrating to single: the embedded tier and the single tier’s backends apply side by side', async () => {
    await createHearth('moving', { tier: 'single', ingress: { host: 'chat.moving.example' } });
    await kubectl('patch', 'hearth', 'moving', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { tier: 'embedded' } }));
    const moved = await getHearth('moving');
    const tier = desired(moved);
    assert.equal(tier.servingTier, 'embedded');
    assert.equal(await reconcile(moved, tier), '');
    const names = Object.keys(versions(await stored(moved)));
    for (const expected of ['StatefulSet/moving', 'StatefulSet/moving-postgres', 'Ingress/moving']) assert.ok(names.includes(expected), expected);
    assert.ok(!names.includes('Deployment/moving-gateway'), 'the services wait for the switch');
  });

  it('a generated Secret refuses a change to its data', async () => {
    const change = JSON.stringify({ stringData: { key: 'another' } });
    await assert.rejects(kubectl('patch', 'secret', 'h1-session-key', '--type=merge', '-p', change), /immutable/);
  });
});
