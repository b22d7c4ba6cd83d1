// Secrets and the pods that read them, end to end: `node operator/src/main.ts` against a real
// kube-apiserver (e2e-cluster.ts), Secrets changed the way a person changes them (kubectl). A
// changed value rolls exactly the workloads whose pods read it (the checksum on their pod
// template changes, nothing else does); a Secret no Hearth reads changes nothing at all; a
// missing one is a condition, not a crash; and the rotate-secrets annotation makes generated
// credentials again, saying so in Events, within the components rotate-secrets-only names (the
// PostgreSQL password, which takes a Job, is operator-postgres-rotation.test.ts's).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, type Child } from '@hearth/harness';
import type { Condition, Hearth } from './api/index.ts';
import { e2eTarget, startE2eCluster, suiteTimeoutMs, type E2eCluster } from './e2e-cluster.ts';
import { operatorTestKit, type Item } from './operator-test-support.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { createInformer, type KubeObject } from '@hearth/kube-runtime';
import { eventually } from '@hearth/kube-runtime/testing';
import { createMetadataHttp, secretWatchFieldSelector } from './secret-watch.ts';

interface KubeEvent {
  type: string;
  reason: string;
  message: string;
}

interface SecretItem {
  metadata: { name: string; uid: string; resourceVersion: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

const checksumAnnotation = 'hearth.dev/secrets-checksum';

describe('Secrets roll the pods that read them', { timeout: suiteTimeoutMs(e2eTarget(process.env), 300_000) }, () => {
  let cluster: E2eCluster;
  let operator: Child | undefined;
  let metricsPort = 0;

  const { kubectl, getJson, hearthOf, owned, workloads, markReady, isHearthReady, metric, startOperator, stopOperator } = operatorTestKit(
    () => cluster,
    () => metricsPort,
  );
  const apply = async (name: string, object: unknown): Promise<void> => {
    const file = path.join(cluster.work, `${name}.json`);
    await writeFile(file, JSON.stringify(object));
    await kubectl('apply', '-f', file);
  };
  const createSecret = (name: string, data: Record<string, string>): Promise<string> =>
    kubectl('create', 'secret', 'generic', name, ...Object.entries(data).map(([key, value]) => `--from-literal=${key}=${value}`));
  const patchSecret = (name: string, data: Record<string, string>): Promise<string> =>
    kubectl('patch', 'secret', name, '--type=merge', '-p', JSON.stringify({ stringData: data }));
  const secretOf = (name: string): Promise<SecretItem> => getJson<SecretItem>('secret', name);
  /** Each workload's pod template checksum. */
  const checksums = async (name: string): Promise<Record<string, string | undefined>> =>
    Object.fromEntries(
      (await workloads(name)).map((item) => [
        `${item.kind}/${item.metadata.name}`,
        (item.spec?.template?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.[checksumAnnotation],
      ]),
    );
  /** What a write to any object of the Hearth (or the Hearth itself) would change. */
  const versions = async (name: string): Promise<Record<string, string>> => {
    const items: Item[] = await owned(name);
    const hearth = await hearthOf(name);
    return {
      ...Object.fromEntries(items.map((item) => [`${item.kind}/${item.metadata.name}`, item.metadata.resourceVersion])),
      hearth: hearth.metadata.resourceVersion ?? '',
    };
  };
  const changed = (before: Record<string, string | undefined>, after: Record<string, string | undefined>): string[] =>
    Object.keys({ ...before, ...after })
      .filter((key) => before[key] !== after[key])
      .sort();
  const condition = async (name: string, type: string): Promise<Condition | undefined> =>
    (await hearthOf(name)).status?.conditions?.find((c) => c.type === type);
  const eventsOf = async (name: string): Promise<KubeEvent[]> =>
    (await getJson<{ items: KubeEvent[] }>('events', '--field-selector', `involvedObject.name=${name}`)).items;
  const attempts = (): Promise<number> => metric(/^controller_runtime_reconcile_total\{/);
  const moreReconciles = async (count: number): Promise<void> => {
    const start = await attempts();
    await eventually(`${count} more reconciles`, async () => (await attempts()) >= start + count, 40_000, 200);
  };
  /** No reconcile for 2.5 s: the Hearths are settled and nothing is queued. */
  const quiet = async (): Promise<void> => {
    let last = await attempts();
    let since = Date.now();
    await eventually(
      'no reconcile for 2.5 s',
      async () => {
        const now = await attempts();
        if (now !== last) [last, since] = [now, Date.now()];
        return Date.now() - since >= 2_500;
      },
      30_000,
      250,
    );
  };
  const readyHearth = async (hearth: Hearth, workloadCount: number): Promise<void> => {
    const name = hearth.metadata.name ?? '';
    await apply(name, hearth);
    await eventually(`the workloads of ${name}`, async () => (await workloads(name)).length === workloadCount, 30_000, 200);
    await markReady(name);
    await eventually(`${name} Ready`, () => isHearthReady(name), 20_000, 200);
  };
  /** Waits until the checksums of `name` differ from `before`, then says which workloads changed. */
  const rolled = async (name: string, before: Record<string, string | undefined>): Promise<string[]> => {
    await eventually(`${name}'s pod templates changed`, async () => changed(before, await checksums(name)).length > 0, 30_000, 200);
    // One reconcile writes every workload it changes; a second look makes sure none follows later.
    await moreReconciles(2);
    return changed(before, await checksums(name));
  };

  /** Each Secret is a new one, with new values, made for `request`. */
  const assertMadeAgain = async (names: readonly string[], before: Record<string, SecretItem>, request: string): Promise<void> => {
    for (const name of names) {
      const secret = await secretOf(name);
      assert.notEqual(secret.metadata.uid, before[name]?.metadata.uid, `${name} made again`);
      assert.notDeepEqual(secret.data, before[name]?.data, `${name} has new values`);
      assert.equal(secret.metadata.annotations?.['hearth.dev/rotation-request'], request);
    }
  };
  /** A Rotated Event for each rotated Secret, nothing about PostgreSQL's (out of scope), and no value of `secrets` in any. */
  const assertRotationEvents = async (hearth: string, rotatedNames: readonly string[], secrets: readonly SecretItem[]): Promise<void> => {
    const events = await eventsOf(hearth);
    const messages = events.filter((event) => event.reason === 'Rotated').map((event) => event.message);
    for (const name of rotatedNames)
      assert.ok(
        messages.some((message) => message.startsWith(`Rotated Secret ${name} `)),
        name,
      );
    assert.deepEqual(
      events.filter((event) => event.message.includes(`${hearth}-postgres-credentials`) && event.reason !== 'Created').map((event) => event.reason),
      [],
    );
    const values = secrets.flatMap((secret) => Object.values(secret.data ?? {}).map((value) => Buffer.from(value, 'base64').toString()));
    for (const event of events) for (const value of values) assert.ok(!event.message.includes(value), 'no Secret value in an Event');
  };

  const beta: Hearth = {
    apiVersion: 'hearth.dev/v1alpha1',
    kind: 'Hearth',
    metadata: { name: 'beta' },
    spec: {
      tier: 'single',
      version: '0.1.0',
      database: { external: { secretRef: { name: 'beta-pg' } } },
      auth: { oidc: { issuerURL: 'https://sso.beta.example', clientID: 'hearth', clientSecretRef: { name: 'beta-oidc' } } },
    },
  };

  before(async () => {
    cluster = await startE2eCluster('secrets');
    metricsPort = await freePort();
    // No resync within the suite: whatever a Secret change does, its watch did it.
    operator = await startOperator(metricsPort, { HEARTH_OPERATOR_LEADER_ELECTION: 'false', HEARTH_OPERATOR_RESYNC_SECONDS: '3600' });
    await createSecret('beta-pg', { url: 'postgres://hearth:one@pg.example:5432/hearth' });
    await createSecret('beta-oidc', { clientSecret: 'first' });
    await createSecret('unrelated', { url: 'postgres://nobody@elsewhere/db' });
    // gateway, realtime and messaging; the bundled NATS and Redis.
    await readyHearth(beta, 5);
  });

  after(async () => {
    if (cluster !== undefined) await stopOperator(operator);
    await cluster?.stop();
  });

  it('the watch of Secrets holds their metadata only, listed and watched, and no service account token', async () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfigPath);
    const informer = createInformer<KubeObject & { data?: unknown }>({
      http: createMetadataHttp(kubeConfig),
      resource: { group: '', version: 'v1', plural: 'secrets', namespace: cluster.namespace },
      fieldSelector: secretWatchFieldSelector,
    });
    informer.start();
    try {
      assert.ok(await informer.waitForSync());
      const listed = informer.get(`${cluster.namespace}/beta-pg`);
      assert.equal(listed?.kind, 'PartialObjectMetadata');
      assert.equal(listed?.data, undefined, 'no data in the cache');
      await apply('watched', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'watched', annotations: { 'kubernetes.io/service-account.name': 'default' } },
        type: 'kubernetes.io/service-account-token',
      });
      assert.ok((await secretOf('watched')).metadata.uid !== '', 'the token Secret exists');
      await patchSecret('unrelated', { url: 'postgres://nobody@elsewhere/watched' });
      await eventually(
        'the change watched',
        async () =>
          informer.get(`${cluster.namespace}/unrelated`)?.metadata?.resourceVersion !== undefined &&
          informer.get(`${cluster.namespace}/unrelated`)?.metadata?.resourceVersion === (await secretOf('unrelated')).metadata.resourceVersion,
        10_000,
        100,
      );
      assert.equal(informer.get(`${cluster.namespace}/unrelated`)?.data, undefined, 'no data in a watch event either');
      assert.equal(informer.get(`${cluster.namespace}/watched`), undefined, 'a service account token is not sent');
    } finally {
      await informer.stop();
    }
  });

  it('stamps every workload that reads a Secret with a checksum of the values it reads', async () => {
    const sums = await checksums('beta');
    assert.deepEqual(Object.keys(sums).sort(), [
      'Deployment/beta-gateway',
      'Deployment/beta-messaging',
      'Deployment/beta-realtime',
      'StatefulSet/beta-nats',
      'StatefulSet/beta-redis',
    ]);
    for (const [workload, sum] of Object.entries(sums)) assert.match(sum ?? '', /^[0-9a-f]{64}$/, workload);
  });

  it('a new OIDC client secret rolls the gateway only, and a new database URL the three services only', async () => {
    const before = await checksums('beta');
    const writes = await versions('beta');
    await patchSecret('beta-oidc', { clientSecret: 'second' });
    assert.deepEqual(await rolled('beta', before), ['Deployment/beta-gateway']);
    // The Hearth's status says the gateway is rolling out; no other object is written.
    assert.deepEqual(changed(writes, await versions('beta')), ['Deployment/beta-gateway', 'hearth']);

    const middle = await checksums('beta');
    await patchSecret('beta-pg', { url: 'postgres://hearth:two@pg.example:5432/hearth' });
    assert.deepEqual(await rolled('beta', middle), ['Deployment/beta-gateway', 'Deployment/beta-messaging', 'Deployment/beta-realtime']);
    await markReady('beta');
    await eventually('beta Ready again', () => isHearthReady('beta'), 20_000, 200);
  });

  it('a Secret no Hearth reads, changed and relabelled, wakes no reconcile and writes nothing', async () => {
    await quiet();
    const writes = await versions('beta');
    const sums = await checksums('beta');
    await patchSecret('unrelated', { url: 'postgres://nobody@elsewhere/other' });
    await kubectl('label', 'secret', 'unrelated', 'team=chat');
    const reconciles = await attempts();
    // The watch tells the operator within milliseconds; a change it acted on would show by then.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(await attempts(), reconciles, 'no reconcile at all');
    assert.deepEqual(await checksums('beta'), sums);
    assert.deepEqual(changed(writes, await versions('beta')), [], '0 writes');
  });

  it('a referenced Secret deleted is a CredentialsMissing condition naming the field; the workloads are left as they are until it is back', async () => {
    const writes = await versions('beta');
    await kubectl('delete', 'secret', 'beta-oidc');
    await eventually(
      'Degraded CredentialsMissing',
      async () => {
        const degraded = await condition('beta', 'Degraded');
        return degraded?.status === 'True' && degraded.reason === 'CredentialsMissing';
      },
      30_000,
      200,
    );
    assert.match((await condition('beta', 'Degraded'))?.message ?? '', /^Secret beta-oidc \(spec\.auth\.oidc\.clientSecretRef\) is missing\. /);
    const events = await eventsOf('beta');
    assert.ok(
      events.some((event) => event.type === 'Warning' && event.reason === 'CredentialsMissing' && event.message.includes('beta-oidc')),
      'one Warning',
    );
    const after = await versions('beta');
    assert.deepEqual(
      changed(writes, after).filter((key) => key !== 'hearth'),
      [],
      'no workload written',
    );

    const sums = await checksums('beta');
    await createSecret('beta-oidc', { clientSecret: 'third' });
    assert.deepEqual(await rolled('beta', sums), ['Deployment/beta-gateway']);
    await eventually('not Degraded', async () => (await condition('beta', 'Degraded'))?.status === 'False', 30_000, 200);
  });

  it('rotate-secrets makes the generated Secrets again, records each in an Event, rolls their readers, and leaves out what rotate-secrets-only does not name', async () => {
    const gamma: Hearth = { apiVersion: 'hearth.dev/v1alpha1', kind: 'Hearth', metadata: { name: 'gamma' }, spec: { tier: 'single', version: '0.1.0' } };
    // postgres, nats, redis; gateway, realtime, messaging.
    await readyHearth(gamma, 6);
    const generated = ['gamma-session-key', 'gamma-nats-credentials', 'gamma-redis-credentials', 'gamma-postgres-credentials'];
    const secretsBefore = Object.fromEntries(await Promise.all(generated.map(async (name) => [name, await secretOf(name)] as const)));
    const sums = await checksums('gamma');

    await kubectl('annotate', 'hearth', 'gamma', 'hearth.dev/rotate-secrets=2026-12-05', 'hearth.dev/rotate-secrets-only=session, nats,redis');
    await eventually('three Rotated events', async () => (await eventsOf('gamma')).filter((event) => event.reason === 'Rotated').length === 3, 30_000, 200);
    const rotated = await rolled('gamma', sums);
    assert.deepEqual(rotated, [
      'Deployment/gamma-gateway',
      'Deployment/gamma-messaging',
      'Deployment/gamma-realtime',
      'StatefulSet/gamma-nats',
      'StatefulSet/gamma-redis',
    ]);
    await assertMadeAgain(generated.slice(0, 3), secretsBefore, '2026-12-05');
    const postgres = await secretOf('gamma-postgres-credentials');
    assert.equal(postgres.metadata.uid, secretsBefore['gamma-postgres-credentials']?.metadata.uid, 'the PostgreSQL password, not named, is kept');
    assert.deepEqual(postgres.data, secretsBefore['gamma-postgres-credentials']?.data);
    await assertRotationEvents('gamma', generated.slice(0, 3), Object.values(secretsBefore));

    // The request is carried out once: later reconciles rotate nothing more.
    const settled = await checksums('gamma');
    const uids = await Promise.all(generated.map(async (name) => (await secretOf(name)).metadata.uid));
    await moreReconciles(3);
    assert.deepEqual(await checksums('gamma'), settled);
    assert.deepEqual(await Promise.all(generated.map(async (name) => (await secretOf(name)).metadata.uid)), uids);
    assert.equal((await eventsOf('gamma')).filter((event) => event.reason === 'Rotated').length, 3);
  });
});
