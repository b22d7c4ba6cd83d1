// `make operator-e2e-cluster`: proves the operator's end-to-end suites run on an existing cluster
// (HEARTH_E2E_KUBECONFIG, e2e-cluster.ts). It starts a harness control plane, runs the suites
// with HEARTH_E2E_KUBECONFIG pointing at it, and fails unless every case passed but the ones that
// restart the API server or compact etcd, which must have been skipped, and unless the suites
// worked on this control plane in namespaces of their own, which they deleted, leaving no Hearth.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { promisify } from 'node:util';
import { startControlPlane } from '@hearth/harness';
import { e2eNamespaceLabel } from './e2e-cluster.ts';

const exec = promisify(execFile);
const here = import.meta.dirname;
const suites = ['operator.test.ts', 'operator-recovery.test.ts', 'operator-repair.test.ts'].map((file) => path.join(here, file));
/** What only the test control plane can do; everything else must pass on a cluster. */
const controlPlaneOnly = [/^kube-apiserver restarts mid-watch/, /^410 Gone/];

interface Outcome {
  readonly passed: string[];
  readonly skipped: string[];
  readonly failed: string[];
}

async function runSuites(kubeconfig: string): Promise<Outcome> {
  const outcome: Outcome = { passed: [], skipped: [], failed: [] };
  // A kubeconfig in the environment must not leak into the children: only the explicit variable counts.
  const env: NodeJS.ProcessEnv = { ...process.env, HEARTH_E2E_KUBECONFIG: kubeconfig };
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

const kube = await startControlPlane();
try {
  const outcome = await runSuites(kube.kubeconfigPath);
  assert.deepEqual(outcome.failed, [], 'failed on a cluster');
  const expectedSkips = outcome.skipped.filter((name) => controlPlaneOnly.some((pattern) => pattern.test(name)));
  assert.deepEqual(outcome.skipped, expectedSkips, 'skipped on a cluster though they need no control plane of their own');
  assert.equal(outcome.skipped.length, controlPlaneOnly.length, `the cases that need the control plane skipped: ${outcome.skipped.join('; ')}`);
  assert.ok(outcome.passed.length >= 8, `passed: ${outcome.passed.join('; ')}`);

  const kubectl = async (...args: string[]): Promise<string> => (await exec(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, ...args])).stdout;
  // The suites worked here, one namespace each, and deleted it (nothing finishes the deletion on a
  // control plane without a namespace controller, so they are still there, Terminating).
  const namespaces = JSON.parse(await kubectl('get', 'namespaces', '-l', e2eNamespaceLabel, '-o', 'json')) as {
    items: { metadata: { name: string; labels: Record<string, string>; deletionTimestamp?: string } }[];
  };
  assert.deepEqual(namespaces.items.map((ns) => ns.metadata.labels[e2eNamespaceLabel]).sort(), ['operator', 'recovery', 'repair']);
  for (const ns of namespaces.items) assert.ok(ns.metadata.deletionTimestamp !== undefined, `${ns.metadata.name} deleted`);
  assert.equal((await kubectl('get', 'hearths', '--all-namespaces', '-o', 'name')).trim(), '', 'no Hearth left');
  process.stdout.write(`\noperator e2e on an existing cluster: ${outcome.passed.length} passed, ${outcome.skipped.length} skipped as expected\n`);
} finally {
  await kube.stop();
}
