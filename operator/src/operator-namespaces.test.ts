// The operator watching several namespaces (HEARTH_OPERATOR_NAMESPACE=a,b, what the chart sets from
// watchNamespaces): `node operator/src/main.ts` as a child process against a real kube-apiserver
// reconciles Hearths in the namespaces it is given, through one informer per namespace and kind,
// and leaves a Hearth in any other alone. Always on a test control plane of its own, never on the
// cluster HEARTH_E2E_KUBECONFIG names: it creates namespaces beside the run's one.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, type Child } from '@hearth/harness';
import type { Hearth } from './api/index.ts';
import { repoRoot } from './api/generate.ts';
import { startE2eCluster, type E2eCluster } from './e2e-cluster.ts';
import { instanceSelector, operatorTestKit, rolledOutStatus, type Item } from './operator-test-support.ts';
import { eventually } from '@hearth/kube-runtime/testing';

const watched = ['hearth-team-a', 'hearth-team-b'] as const;
const unwatched = 'hearth-team-c';
const example = path.join(repoRoot, 'docs', 'examples', 'embedded.yaml');
const success = /^controller_runtime_reconcile_total\{.*result="success"/;

describe('an operator watching two namespaces', { timeout: 90_000 }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let port = 0;
  const { startOperator, stopOperator, metric } = operatorTestKit(
    () => cluster,
    () => port,
  );

  /** eventually(), failing with the operator's last words: what it logged says why it did not act. */
  const until = (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> =>
    eventually(what, probe, timeoutMs, 200).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${operator?.output().slice(-4_000) ?? ''}`);
    });
  const kubectlIn = (namespace: string, ...args: string[]): Promise<string> => cluster.kubectl('-n', namespace, ...args);
  const hearthIn = async (namespace: string): Promise<Hearth> => JSON.parse(await kubectlIn(namespace, 'get', 'hearth', 'acme', '-o', 'json')) as Hearth;
  const ownedIn = async (namespace: string): Promise<Item[]> => {
    const list = await kubectlIn(namespace, 'get', 'statefulsets,services,ingresses,secrets', '-l', instanceSelector('acme'), '-o', 'json');
    return (JSON.parse(list) as { items: Item[] }).items;
  };
  const kindsOf = (items: readonly Item[]): string[] => items.map((item) => `${item.kind}/${item.metadata.name}`).sort();
  /** What a StatefulSet controller and kubelet would report once acme's one pod is up (none runs here). */
  const markReady = async (namespace: string): Promise<void> => {
    const statefulSet = JSON.parse(await kubectlIn(namespace, 'get', 'statefulset', 'acme', '-o', 'json')) as Item;
    await kubectlIn(
      namespace,
      'patch',
      'statefulset',
      'acme',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: rolledOutStatus(statefulSet) }),
    );
  };

  before(async () => {
    // {}: the control plane even when HEARTH_E2E_KUBECONFIG is set.
    cluster = await startE2eCluster('namespaces', {});
    for (const namespace of [...watched, unwatched]) {
      await cluster.kubectl('create', 'namespace', namespace);
      await kubectlIn(namespace, 'apply', '-f', example);
    }
    port = await freePort();
    operator = await startOperator(port, { HEARTH_OPERATOR_NAMESPACE: watched.join(','), HEARTH_OPERATOR_IDENTITY: 'namespaces' });
  });

  after(async () => {
    await stopOperator(operator, { deleteHearths: false });
    await cluster?.stop();
  });

  it('says which namespaces it watches', async () => {
    const startedLine = (): string | undefined => (operator?.output() ?? '').split('\n').find((line) => line.includes('"msg":"started"'));
    await eventually('the started line', () => startedLine() !== undefined, 5_000);
    assert.deepEqual((JSON.parse(startedLine() ?? '{}') as { namespaces?: unknown }).namespaces, [...watched]);
  });

  it('reconciles the Hearth in each watched namespace: its objects, its finalizer, then Ready', async () => {
    for (const namespace of watched) {
      await until(`acme's objects in ${namespace}`, async () => (await ownedIn(namespace)).length === 4);
      assert.deepEqual(kindsOf(await ownedIn(namespace)), ['Ingress/acme', 'Secret/acme-session-key', 'Service/acme', 'StatefulSet/acme']);
      const hearth = await hearthIn(namespace);
      assert.deepEqual(hearth.metadata.finalizers, ['hearth.dev/cleanup']);
      const statefulSet = (await ownedIn(namespace)).find((item) => item.kind === 'StatefulSet');
      assert.deepEqual(
        statefulSet?.metadata.ownerReferences?.map((owner) => owner.uid),
        [hearth.metadata.uid],
        `owned by the acme of ${namespace}`,
      );
      await markReady(namespace);
    }
    for (const namespace of watched) {
      await until(`acme Ready in ${namespace}`, async () => (await hearthIn(namespace)).status?.phase === 'Ready');
    }
  });

  it('leaves the Hearth in a namespace it does not watch alone, through resyncs', async () => {
    // Resyncs come every 5 s (operatorEnv): two more reconciles of each watched Hearth mean the
    // operator had its chances at the third one too.
    const reconciles = await metric(success);
    await until('two resyncs', async () => (await metric(success)) >= reconciles + 2 * watched.length);
    const ignored = await hearthIn(unwatched);
    assert.equal(ignored.metadata.finalizers, undefined);
    assert.equal(ignored.status, undefined);
    assert.deepEqual(await ownedIn(unwatched), []);
    const events = await kubectlIn(unwatched, 'get', 'events', '-o', 'name');
    assert.equal(events.trim(), '', 'no Events either');
  });

  it('cleans up a Hearth deleted in one watched namespace and lets it go; the other stays Ready', async () => {
    const [kept, deleted] = watched;
    await kubectlIn(deleted, 'delete', 'hearth', 'acme', '--wait=false');
    await until(`acme gone from ${deleted}`, async () => (await kubectlIn(deleted, 'get', 'hearth', '--ignore-not-found', '-o', 'name')).trim() === '');
    const left = kindsOf((await ownedIn(deleted)).filter((item) => item.kind !== 'Secret'));
    assert.deepEqual(left, [], 'the workload, Service and Ingress were deleted (no garbage collector runs here)');
    const other = await hearthIn(kept);
    assert.equal(other.status?.phase, 'Ready');
    assert.deepEqual(other.metadata.finalizers, ['hearth.dev/cleanup']);
  });
});
