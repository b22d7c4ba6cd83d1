import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { selectorLabels, singleSecrets, type GeneratedSecret } from '../tiers/index.ts';
import { pathOf } from './kinds.ts';
import { startReconcileTestbed, type ReconcileTestbed } from './reconcile-test-support.ts';
import { ensureGeneratedSecrets, lostSecretsProblem, type LostSecret } from './secrets.ts';
import { ensurePostgresPasswordRotation } from './secrets-rotation-postgres.ts';

describe('lostSecretsProblem', () => {
  const cases: { name: string; lost: LostSecret[]; says: RegExp[] }[] = [
    { name: 'nothing lost: no problem', lost: [], says: [] },
    {
      name: 'one Secret and its claim, with both ways out',
      lost: [{ secret: 'acme-postgres', claims: ['data-acme-postgres-0'] }],
      says: [/^Secret acme-postgres is missing while PersistentVolumeClaim data-acme-postgres-0 holds data/, /Restore the Secret/, /delete those claims/],
    },
    {
      name: 'several, each named with all its claims',
      lost: [
        { secret: 'a', claims: ['c1', 'c2'] },
        { secret: 'b', claims: ['c3'] },
      ],
      says: [/Secret a is missing while PersistentVolumeClaim c1, c2 holds/, /; Secret b is missing while PersistentVolumeClaim c3 holds/],
    },
  ];
  for (const { name, lost, says } of cases) {
    it(name, () => {
      const problem = lostSecretsProblem(lost);
      if (says.length === 0) return assert.equal(problem, undefined);
      assert.equal(problem?.code, 'CredentialsMissing');
      for (const pattern of says) assert.match(problem?.message ?? '', pattern);
    });
  }
});

describe('ensureGeneratedSecrets on a real kube-apiserver', () => {
  let bed: ReconcileTestbed;
  before(async () => {
    bed = await startReconcileTestbed('secrets');
  });
  after(async () => {
    await bed.stop();
  });

  const names = (secrets: readonly GeneratedSecret[]): string[] => secrets.map((secret) => secret.name);

  it('creates the missing Secrets once, immutable, and never again', async () => {
    const hearth = await bed.createHearth('fresh', 'single.yaml');
    const secrets = singleSecrets(hearth);
    const first = await ensureGeneratedSecrets(bed.context(), hearth, secrets);
    assert.deepEqual([...first.created].sort(), names(secrets).sort());
    assert.deepEqual(first.lost, []);
    assert.deepEqual([...first.made.keys()].sort(), names(secrets).sort(), 'the data of each, for the checksums');
    const stored = await bed.client.get(pathOf('Secret', bed.namespace, secrets[0]?.name ?? ''));
    assert.equal((stored as { immutable?: boolean } | undefined)?.immutable, true);
    assert.deepEqual(await ensureGeneratedSecrets(bed.context(), hearth, secrets), { created: [], lost: [], made: new Map() });
  });

  it('a new Hearth has no PostgreSQL password to replace: its first reconcile asks nothing about one; a reconciled Hearth without its Secret is looked at', async () => {
    const hearth = await bed.createHearth('newcomer', 'single.yaml');
    // An informer cache that has nothing of this Hearth yet, as the operator's has on its first reconcile.
    const ctx = { ...bed.context(), cached: () => ({ ofInstance: () => [], get: () => undefined }) };
    const requests = (): number => Object.values(bed.client.requests()).reduce((sum, count) => sum + count, 0);
    const before = requests();
    assert.deepEqual(await ensurePostgresPasswordRotation(ctx, hearth, singleSecrets(hearth)), new Map());
    assert.equal(requests(), before, 'no LIST of Jobs, no GET of the credentials or of a pending password');
    const reconciled = { ...hearth, status: { observedGeneration: 1 } } as typeof hearth;
    await ensurePostgresPasswordRotation(ctx, reconciled, singleSecrets(reconciled));
    assert.equal(requests(), before + 3, 'its credentials may have been deleted for a replacement: the Jobs and both Secrets asked for');
  });

  it('leaves a Secret restored by hand without our labels as it is', async () => {
    const hearth = await bed.createHearth('restored', 'single.yaml');
    const [secret] = singleSecrets(hearth);
    assert.ok(secret !== undefined);
    await bed.client.create(pathOf('Secret', bed.namespace), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: bed.namespace },
      stringData: { mine: 'yes' },
    });
    const outcome = await ensureGeneratedSecrets(bed.context(), hearth, [secret]);
    assert.deepEqual(outcome, { created: [], lost: [], made: new Map() });
  });

  it('makes no new password for a volume that holds data the old one opened: it is lost, and said so', async () => {
    const hearth = await bed.createHearth('lost', 'single.yaml');
    const secrets = singleSecrets(hearth);
    const opener = secrets.find((secret) => secret.opensVolumesOf !== undefined);
    assert.ok(opener?.opensVolumesOf !== undefined, 'the single tier has a Secret that opens a volume');
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data-lost-postgres-0', labels: selectorLabels('lost', opener.opensVolumesOf) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    await bed.createLabelled('PersistentVolumeClaim', hearth, claim, false);
    const outcome = await ensureGeneratedSecrets(bed.context(), hearth, secrets);
    assert.deepEqual(outcome.lost, [{ secret: opener.name, claims: ['data-lost-postgres-0'] }]);
    assert.deepEqual([...outcome.created].sort(), names(secrets.filter((secret) => secret !== opener)).sort());
    assert.equal(await bed.client.get(pathOf('Secret', bed.namespace, opener.name)), undefined);
  });
});
