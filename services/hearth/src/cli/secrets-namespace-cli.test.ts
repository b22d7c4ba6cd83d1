import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { startControlPlane, type ControlPlane } from '@hearth/harness';
import { assertRefused, hearth, kubeletMount, SECRETS, seededDataDir, type Run } from './cli-test-support.ts';

/**
 * `hearth restore --include-secrets --secrets-namespace NS` against a real kube-apiserver, with
 * a real ServiceAccount token that may only create secrets: the Secrets are created, one that is
 * there already is kept as it is, and without the RoleBinding the refusal says what is missing.
 */

const RBAC = '/apis/rbac.authorization.k8s.io/v1';

interface Secret {
  metadata: { name: string; annotations?: Record<string, string> };
  data: Record<string, string>;
}

const base64 = (text: string): string => Buffer.from(text).toString('base64');

describe('hearth restore --include-secrets --secrets-namespace', { timeout: 240_000 }, () => {
  let kube: ControlPlane;
  let work: string;
  let source: string;
  let keyFile: string;
  let archive: string;

  /** A request as the cluster's admin; a non-2xx answer fails the test. */
  const admin = async (method: string, url: string, body?: unknown): Promise<unknown> => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(`${kube.url}${url}`, init);
    const text = await response.text();
    assert.ok(response.ok, `${method} ${url}: ${response.status} ${text}`);
    return JSON.parse(text) as unknown;
  };

  /** A namespace with a ServiceAccount that may create secrets there (only that), or not even that without the binding; its token in a file. */
  const namespaceWithServiceAccount = async (namespace: string, bound: boolean): Promise<string> => {
    await admin('POST', '/api/v1/namespaces', { metadata: { name: namespace } });
    await admin('POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name: 'hearth-restore' } });
    const rules = [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }];
    await admin('POST', `${RBAC}/namespaces/${namespace}/roles`, { metadata: { name: 'create-secrets' }, rules });
    const roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'create-secrets' };
    const subjects = [{ kind: 'ServiceAccount', name: 'hearth-restore', namespace }];
    if (bound) await admin('POST', `${RBAC}/namespaces/${namespace}/rolebindings`, { metadata: { name: 'hearth-restore' }, roleRef, subjects });
    const request = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } };
    const issued = (await admin('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/hearth-restore/token`, request)) as { status: { token: string } };
    const tokenFile = path.join(work, `${namespace}-token`);
    await writeFile(tokenFile, issued.status.token);
    return tokenFile;
  };

  const restoreInto = (namespace: string, tokenFile: string, dataDir: string): Promise<Run> =>
    hearth(['restore', '--from', archive, '--include-secrets', '--key-file', keyFile, '--secrets-namespace', namespace], {
      HEARTH_DATA_DIR: dataDir,
      HEARTH_KUBERNETES_URL: kube.url,
      HEARTH_KUBERNETES_TOKEN_FILE: tokenFile,
      HEARTH_KUBERNETES_CA_FILE: kube.caPath,
    });

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'hearth-secrets-ns-'));
    [kube, source] = await Promise.all([startControlPlane(), seededDataDir()]);
    setDefaultCACertificates([...getCACertificates('default'), kube.caCert]);
    const mounted = path.join(work, 'secrets');
    await kubeletMount(mounted, SECRETS);
    keyFile = path.join(work, 'key');
    await writeFile(keyFile, 'dGhpcyBpcyBhIDMyIGJ5dGUga2V5IGZvciB0ZXN0cyEh\n');
    const backedUp = await hearth(['backup', '--to', path.join(work, 'archives'), '--include-secrets', '--secrets-dir', mounted, '--key-file', keyFile], {
      HEARTH_DATA_DIR: source,
    });
    assert.equal(backedUp.code, 0, backedUp.stderr);
    archive = backedUp.stdout.trim();
  });
  after(async () => {
    await kube?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  });

  it('creates the Secrets with a token that may only create them, keeping one that is there unchanged', async () => {
    const tokenFile = await namespaceWithServiceAccount('team-a', true);
    const rotated = { password: base64('rotated since the backup') };
    await admin('POST', '/api/v1/namespaces/team-a/secrets', { metadata: { name: 'acme-db' }, type: 'Opaque', data: rotated });

    const run = await restoreInto('team-a', tokenFile, path.join(work, 'restored-a'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /hearth restore: kept the existing Secret acme-db in namespace team-a\n/);
    assert.match(run.stderr, /hearth restore: created the Secret acme-oidc in namespace team-a\n/);
    assert.match(run.stderr, /hearth restore: restored \d+ records \(60 messages in 3 rooms\)/);
    for (const value of Object.values(SECRETS).flatMap((data) => Object.values(data))) assert.ok(!run.stderr.includes(value));

    const oidc = (await admin('GET', '/api/v1/namespaces/team-a/secrets/acme-oidc')) as Secret;
    assert.deepEqual(oidc.data, { clientSecret: base64(SECRETS['acme-oidc'].clientSecret) });
    assert.equal(oidc.metadata.annotations?.['hearth.dev/restored-from'], archive);
    const db = (await admin('GET', '/api/v1/namespaces/team-a/secrets/acme-db')) as Secret;
    assert.deepEqual(db.data, rotated, 'the existing Secret is kept as it was');
    assert.equal(db.metadata.annotations, undefined);

    const rerun = await restoreInto('team-a', tokenFile, path.join(work, 'restored-a2'));
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /kept the existing Secret acme-db in namespace team-a\n.*kept the existing Secret acme-oidc in namespace team-a\n/s);
  });

  it('without the RoleBinding, says the ServiceAccount needs create on secrets, and restores nothing', async () => {
    const tokenFile = await namespaceWithServiceAccount('team-b', false);
    const target = path.join(work, 'restored-b');
    assertRefused(
      await restoreInto('team-b', tokenFile, target),
      /^hearth restore: the pod's ServiceAccount may not create Secrets in namespace team-b: give it a Role with the verb create on secrets there, and a RoleBinding$/,
    );
    await assert.rejects(stat(target), 'no data directory, no hearth.db');
    const listed = (await admin('GET', '/api/v1/namespaces/team-b/secrets')) as { items: Secret[] };
    assert.deepEqual(listed.items, []);
  });

  it('outside a pod, without HEARTH_KUBERNETES_URL, says so', async () => {
    const run = await hearth(['restore', '--from', archive, '--include-secrets', '--key-file', keyFile, '--secrets-namespace', 'team-a'], {
      HEARTH_DATA_DIR: path.join(work, 'outside'),
    });
    assertRefused(
      run,
      /^hearth restore: --secrets-namespace creates the Secrets from inside a pod: KUBERNETES_SERVICE_HOST is not set \(outside a cluster, use --secrets-out FILE\)$/,
    );
  });
});
