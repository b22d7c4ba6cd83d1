import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { createInformer, resourcePath, type Informer, type InformerEvent, type InformerOptions } from './informer.ts';
import type { KubeObject } from './kube-object.ts';
import { eventually, kubeConfigOf, startTcpProxy } from './testing.ts';

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

const fastBackoff = { baseMs: 100, capMs: 1_000, jitter: 0.2 };

/** An informer on the test's labelled ConfigMaps in `namespace`. */
function testConfigMaps(namespace: string, options: Omit<InformerOptions, 'resource' | 'labelSelector'>): Informer<ConfigMap> {
  return createInformer<ConfigMap>({ ...options, resource: { group: '', version: 'v1', plural: 'configmaps', namespace }, labelSelector: 'app=informer-test' });
}

describe('informer against a real kube-apiserver', () => {
  let kube: ControlPlane;
  let core: CoreV1Api;

  before(async () => {
    kube = await startControlPlane();
    core = kubeConfigOf(kube).makeApiClient(CoreV1Api);
  });
  after(async () => {
    await kube.stop();
  });

  const namespace = async (name: string): Promise<string> => {
    await core.createNamespace({ body: { metadata: { name } } });
    return name;
  };
  const configMap = (ns: string, name: string, data: Record<string, string>, labels: Record<string, string> = { app: 'informer-test' }): Promise<V1ConfigMap> =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, namespace: ns, labels }, data } });
  const update = (ns: string, name: string, data: Record<string, string>): Promise<V1ConfigMap> =>
    core.patchNamespacedConfigMap({ namespace: ns, name, body: [{ op: 'replace', path: '/data', value: data }] });
  const remove = (ns: string, name: string): Promise<unknown> => core.deleteNamespacedConfigMap({ namespace: ns, name });
  /** name → resourceVersion, of the server's list and of the informer's cache. */
  const serverState = async (ns: string): Promise<Map<string, string>> => {
    const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=informer-test' });
    return new Map(list.items.map((item) => [item.metadata?.name ?? '', item.metadata?.resourceVersion ?? '']));
  };
  const cacheState = (informer: Informer<ConfigMap>): Map<string, string> =>
    new Map(informer.list().map((item) => [item.metadata?.name ?? '', item.metadata?.resourceVersion ?? '']));

  /** Waits until the informer's cache holds what the server lists, name and resourceVersion alike. */
  const untilCacheEqualsServer = (what: string, ns: string, informer: Informer<ConfigMap>): Promise<void> =>
    eventually(what, async () => {
      const [server, cache] = [await serverState(ns), cacheState(informer)];
      return JSON.stringify([...server].sort()) === JSON.stringify([...cache].sort());
    });

  /**
   * While the informer cannot reach the server: deletions, updates, creations, and enough
   * writes that its resourceVersion falls out of history once etcd is compacted.
   */
  const changeWhileCut = async (ns: string): Promise<void> => {
    for (let i = 0; i < 5; i++) await remove(ns, `keep-${i}`);
    for (let i = 5; i < 10; i++) await update(ns, `keep-${i}`, { v: '2' });
    for (let i = 0; i < 5; i++) await configMap(ns, `new-${i}`, { v: '1' });
    for (let n = 1; n <= 50; n++) await update(ns, 'churn', { n: String(n) });
  };

  /** The relist told the handlers of every change changeWhileCut made. */
  const assertChangesWhileCutEmitted = (seen: readonly string[]): void => {
    for (let i = 0; i < 5; i++) assert.ok(seen.includes(`delete keep-${i}`), `delete keep-${i} emitted`);
    for (let i = 0; i < 5; i++) assert.ok(seen.includes(`add new-${i}`), `add new-${i} emitted`);
    for (let i = 5; i < 10; i++) assert.ok(seen.includes(`update keep-${i} {"v":"1"}→{"v":"2"}`), `update keep-${i} emitted`);
  };

  const recording = (informer: Informer<ConfigMap>): string[] => {
    const seen: string[] = [];
    informer.addHandlers({
      onAdd: (object) => seen.push(`add ${object.metadata?.name}`),
      onUpdate: (previous, object) => seen.push(`update ${object.metadata?.name} ${JSON.stringify(previous.data)}→${JSON.stringify(object.data)}`),
      onDelete: (object) => seen.push(`delete ${object.metadata?.name}`),
    });
    return seen;
  };

  it('lists, then watches adds, updates and deletes, honouring the label selector', async () => {
    const ns = await namespace('informer-basic');
    await configMap(ns, 'a', { v: '1' });
    await configMap(ns, 'b', { v: '1' });
    await configMap(ns, 'other', { v: '1' }, { app: 'someone-else' });
    const informer = testConfigMaps(ns, { kubeConfig: kubeConfigOf(kube), pageSize: 1 }); // two pages: exercises `continue`
    const seen = recording(informer);
    informer.start();
    try {
      assert.equal(await informer.waitForSync(), true);
      assert.deepEqual(seen.sort(), ['add a', 'add b']);
      assert.equal(informer.get(`${ns}/a`)?.kind, 'ConfigMap', 'listed items get their kind back');
      assert.ok((await core.readNamespacedConfigMap({ namespace: ns, name: 'a' })).metadata?.managedFields !== undefined, 'the server has managedFields');
      assert.equal('managedFields' in (informer.get(`${ns}/a`)?.metadata ?? {}), false, 'the cache keeps no managedFields (listed)');
      seen.length = 0;

      await configMap(ns, 'c', { v: '1' });
      await update(ns, 'a', { v: '2' });
      await remove(ns, 'b');
      await configMap(ns, 'ignored', { v: '1' }, { app: 'someone-else' });
      await eventually('three events', () => seen.length >= 3);
      assert.deepEqual(seen, ['add c', 'update a {"v":"1"}→{"v":"2"}', 'delete b']);
      assert.deepEqual(cacheState(informer), await serverState(ns));
      assert.equal(informer.get(`${ns}/a`)?.data?.v, '2');
      assert.equal('managedFields' in (informer.get(`${ns}/c`)?.metadata ?? {}), false, 'the cache keeps no managedFields (watched)');
      assert.equal(informer.get(`${ns}/b`), undefined);
    } finally {
      await informer.stop();
    }
  });

  it('recovers when kube-apiserver restarts mid-watch and sees the changes made after it', async () => {
    const ns = await namespace('informer-restart');
    await configMap(ns, 'before', { v: '1' });
    await configMap(ns, 'doomed', { v: '1' });
    const events: InformerEvent[] = [];
    const informer = testConfigMaps(ns, { kubeConfig: kubeConfigOf(kube), backoff: fastBackoff, log: (event) => events.push(event) });
    const seen = recording(informer);
    informer.start();
    try {
      await informer.waitForSync();
      const watchesBefore = informer.stats().watches;
      await kube.restartApiServer();
      await configMap(ns, 'after', { v: '1' });
      await update(ns, 'before', { v: '2' });
      await remove(ns, 'doomed');
      await untilCacheEqualsServer('the informer to catch up', ns, informer);
      assert.ok(informer.stats().watches > watchesBefore, 'it watched again');
      assert.ok(seen.includes('add after'));
      assert.ok(seen.includes('update before {"v":"1"}→{"v":"2"}'));
      assert.ok(seen.includes('delete doomed'));
      assert.ok(events.some((event) => event.type === 'error' || event.type === 'watch-ended' || event.type === 'gone'));
    } finally {
      await informer.stop();
    }
  });

  it('relists on 410 Gone after a partition, compaction and restart, and its cache equals the server list', async () => {
    const ns = await namespace('informer-gone');
    for (let i = 0; i < 10; i++) await configMap(ns, `keep-${i}`, { v: '1' });
    await configMap(ns, 'churn', { n: '0' });
    const proxy = await startTcpProxy(Number(new URL(kube.url).port));
    const events: InformerEvent[] = [];
    const informer = testConfigMaps(ns, {
      kubeConfig: kubeConfigOf(kube, `https://127.0.0.1:${proxy.port}`),
      backoff: fastBackoff,
      log: (event) => events.push(event),
    });
    const seen = recording(informer);
    informer.start();
    try {
      await informer.waitForSync();
      const staleVersion = informer.resourceVersion();
      proxy.cut();
      await changeWhileCut(ns);
      await kube.compactEtcd();
      await kube.restartApiServer(); // empties the watch cache, which would still serve the old version
      seen.length = 0;
      proxy.restore();

      await eventually('a relist after 410 Gone', () => informer.stats().relists >= 1, 30_000);
      assert.ok(informer.stats().gone >= 1, 'the server answered 410 Gone');
      assert.ok(events.some((event) => event.type === 'gone' && event.resourceVersion === staleVersion));
      await untilCacheEqualsServer('the cache to equal the server', ns, informer);
      assertChangesWhileCutEmitted(seen);
      assert.equal(informer.get(`${ns}/churn`)?.data?.n, '50');

      // And it keeps watching afterwards.
      await configMap(ns, 'later', { v: '1' });
      await eventually('the change after the relist', () => informer.get(`${ns}/later`) !== undefined);
    } finally {
      await informer.stop();
      await proxy.close();
    }
  });
});

/** A scripted stand-in for kube-apiserver, for the failure modes a real one will not produce on cue. */
async function fakeApiServer(handle: (request: IncomingMessage, response: ServerResponse, url: URL) => void) {
  const server = createServer((request, response) => handle(request, response, new URL(request.url ?? '/', 'http://localhost')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser({ name: 'fake', server: `http://127.0.0.1:${address.port}`, skipTLSVerify: true }, { name: 'fake', token: 'fake' });
  return {
    kubeConfig,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const listOf = (resourceVersion: string, names: string[]): string =>
  JSON.stringify({
    kind: 'ConfigMapList',
    apiVersion: 'v1',
    metadata: { resourceVersion },
    items: names.map((name) => ({ metadata: { name, namespace: 'default', resourceVersion } })),
  });

describe('informer against a scripted server', () => {
  const resource = { group: '', version: 'v1', plural: 'configmaps', namespace: 'default' };
  const path = resourcePath(resource);

  it('restarts a watch that stays silent past its timeout plus the margin', async () => {
    const watches: string[] = [];
    const fake = await fakeApiServer((_request, response, url) => {
      if (url.searchParams.get('watch') === null) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(listOf('10', ['a']));
        return;
      }
      watches.push(url.searchParams.get('resourceVersion') ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders(); // …and never a byte more
    });
    const informer = createInformer({
      kubeConfig: fake.kubeConfig,
      resource,
      watchTimeoutSeconds: 1,
      watchTimeoutJitter: 0,
      stallMarginMs: 200,
      backoff: { baseMs: 10, capMs: 50 },
    });
    informer.start();
    try {
      await eventually('a second watch', () => watches.length >= 2, 5_000);
      assert.ok(informer.stats().stalls >= 1);
      assert.deepEqual(watches.slice(0, 2), ['10', '10'], 'it resumes from the same version');
      assert.equal(informer.stats().lists, 1, 'a stall is no reason to relist');
    } finally {
      await informer.stop();
      await fake.close();
    }
  });

  it('relists on an ERROR event with code 410, and on HTTP 410, emitting deletes for what went', async () => {
    let lists = 0;
    let watches = 0;
    const fake = await fakeApiServer((_request, response, url) => {
      if (url.searchParams.get('watch') === null) {
        lists += 1;
        response.writeHead(200, { 'content-type': 'application/json' }).end(lists === 1 ? listOf('10', ['a', 'b']) : listOf('20', ['a']));
        return;
      }
      watches += 1;
      if (watches === 1) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: '12' } } })}\n`);
        response.write(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 } })}\n`);
        return; // left open: the informer must not wait for the end
      }
      if (watches === 2) {
        response
          .writeHead(410, { 'content-type': 'application/json' })
          .end(JSON.stringify({ kind: 'Status', code: 410, reason: 'Expired', message: 'too old' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
    });
    const deleted: string[] = [];
    const events: InformerEvent[] = [];
    const informer = createInformer({ kubeConfig: fake.kubeConfig, resource, backoff: { baseMs: 10, capMs: 50 }, log: (event) => events.push(event) });
    informer.addHandlers({ onDelete: (object: KubeObject) => deleted.push(object.metadata?.name ?? '') });
    informer.start();
    try {
      await eventually('three watches', () => watches >= 3, 5_000);
      assert.equal(informer.stats().gone, 2);
      assert.equal(lists, 3);
      assert.deepEqual(deleted, ['b']);
      assert.deepEqual(
        informer.list().map((object) => object.metadata?.name),
        ['a'],
      );
      assert.equal(informer.resourceVersion(), '20');
      assert.deepEqual(
        events.filter((event) => event.type === 'gone').map((event) => (event.type === 'gone' ? event.resourceVersion : '')),
        ['12', '20'],
        'the bookmark moved the version before the 410',
      );
    } finally {
      await informer.stop();
      await fake.close();
    }
  });

  it('retries a failing LIST with back-off and syncs once it succeeds', async () => {
    let lists = 0;
    const fake = await fakeApiServer((_request, response, url) => {
      if (url.searchParams.get('watch') === null) {
        lists += 1;
        if (lists < 3) response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ kind: 'Status', code: 500, message: 'boom' }));
        else response.writeHead(200, { 'content-type': 'application/json' }).end(listOf('5', ['a']));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.flushHeaders();
    });
    const errors: InformerEvent[] = [];
    const informer = createInformer({
      kubeConfig: fake.kubeConfig,
      resource,
      backoff: { baseMs: 20, capMs: 100, jitter: 0 },
      log: (event) => event.type === 'error' && errors.push(event),
    });
    informer.start();
    try {
      assert.equal(await informer.waitForSync(), true);
      assert.equal(lists, 3);
      assert.deepEqual(
        errors.map((event) => (event.type === 'error' ? event.retryInMs : 0)),
        [20, 40],
      );
      assert.equal(informer.get('default/a')?.metadata?.name, 'a');
      assert.match(String(path), /\/api\/v1\/namespaces\/default\/configmaps/);
    } finally {
      await informer.stop();
      await fake.close();
    }
  });
});
