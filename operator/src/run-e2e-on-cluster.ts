// `make operator-e2e-cluster`: the operator's end-to-end suites on a cluster that schedules pods
// (HEARTH_E2E_KUBECONFIG, e2e-cluster.ts). It starts the harness's simulated cluster (the real
// kube-controller-manager and kube-scheduler, KWOK's nodes: kube-cluster.ts), runs the suites with
// HEARTH_E2E_KUBECONFIG pointing at it, so that no suite writes a workload's or a claim's status
// (the controllers and KWOK do), and fails unless every case passed but the ones that restart the
// API server or compact etcd, or reach claim states the controllers move past at once, which must
// have been skipped, and unless the suites worked in namespaces of their own, which they deleted,
// leaving no Hearth.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { promisify } from 'node:util';
import { startKubeCluster } from '@hearth/harness';
import { eventually } from '@hearth/kube-runtime/testing';
import { e2eNamespaceLabel } from './e2e-cluster.ts';

const exec = promisify(execFile);
const here = import.meta.dirname;
const suites = ['operator.test.ts', 'operator-recovery.test.ts', 'operator-repair.test.ts', 'operator-secrets.test.ts'].map((file) => path.join(here, file));
/** What only the test control plane can do; everything else must pass on a cluster. */
const controlPlaneOnly = [/^kube-apiserver restarts mid-watch/, /^410 Gone/, /^a storage change the volumes cannot take/];

interface Outcome {
  readonly passed: string[];
  readonly skipped: string[];
  readonly failed: string[];
}

async function runSuites(kubeconfig: string): Promise<Outcome> {
  const outcome: Outcome = { passed: [], skipped: [], failed: [] };
  // A kubeconfig in the environment must not leak into the children: only the explicit variable counts.
  const env: NodeJS.ProcessEnv = { ...process.env, HEARTH_E2E_KUBECONFIG: kubeconfig, HEARTH_E2E_IMAGE: 'ghcr.io/hearth/hearth' };
  delete env.KUBECONFIG;
  const stream = run({ files: suites, concurrency: 2, env });
  stream.on('test:pass', (event) => {
    if (event.details.type !== 'test') return;
    (event.skip === undefined || event.skip === false ? outcome.passed : outcome.skipped).push(event.name);
  });
  stream.on('test:fail', (event) => outcome.failed.push(event.name));
  await new Promise<void>((resolve, reject) => {
    const out = stream.compose(spec);
    out.on('data', (chunk: string | Buffer) => process.stdout.write(chunk));
    out.on('end', resolve);
    out.on('error', reject);
  });
  return outcome;
}

const kube = await startKubeCluster({ volumesPerNode: 30 });
const kubectl = async (...args: string[]): Promise<string> =>
  (await exec(kube.controlPlane.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args])).stdout;
/** The suites' namespaces (their e2eNamespaceLabel value by name). */
const runNamespaces = async (): Promise<Map<string, string>> => {
  const list = JSON.parse(await kubectl('get', 'namespaces', '-l', e2eNamespaceLabel, '-o', 'json')) as {
    items: { metadata: { name: string; labels: Record<string, string> } }[];
  };
  return new Map(list.items.map((ns) => [ns.metadata.name, ns.metadata.labels[e2eNamespaceLabel] ?? '']));
};
// The namespace controller finishes a deletion, so the suites' namespaces are looked for while they run.
const seen = new Map<string, string>();
const looking = setInterval(() => {
  runNamespaces().then(
    (found) => found.forEach((suite, name) => seen.set(name, suite)),
    () => undefined,
  );
}, 1_000);
try {
  const outcome = await runSuites(kube.kubeconfigPath);
  clearInterval(looking);
  assert.deepEqual(outcome.failed, [], 'failed on a cluster');
  const expectedSkips = outcome.skipped.filter((name) => controlPlaneOnly.some((pattern) => pattern.test(name)));
  assert.deepEqual(outcome.skipped, expectedSkips, 'skipped on a cluster though they need no control plane of their own');
  assert.equal(outcome.skipped.length, controlPlaneOnly.length, `the cases that need the control plane skipped: ${outcome.skipped.join('; ')}`);
  assert.ok(outcome.passed.length >= 8, `passed: ${outcome.passed.join('; ')}`);

  // The suites worked here, one namespace each, and deleted it: the namespace controller removes them, pods and all.
  assert.deepEqual([...seen.values()].sort(), ['operator', 'recovery', 'repair', 'secrets']);
  await eventually('the suites’ namespaces removed', async () => (await runNamespaces()).size === 0, 120_000, 1_000);
  assert.equal((await kubectl('get', 'hearths', '--all-namespaces', '-o', 'name')).trim(), '', 'no Hearth left');
  process.stdout.write(`\noperator e2e on a cluster that schedules pods: ${outcome.passed.length} passed, ${outcome.skipped.length} skipped as expected\n`);
} finally {
  clearInterval(looking);
  await kube.stop();
}
