// The HearthBackup and HearthRestore CRDs, and a Hearth's spec.backup, on a real kube-apiserver:
// what they accept, and each refusal's message naming its field.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { kubeBinaries, removeDir, startControlPlane, tempDir, waitUntil, type ControlPlane } from '@hearth/harness';
import { repoRoot } from './generate.ts';

const run = promisify(execFile);

if ((await kubeBinaries()) === null) throw new Error('kube-apiserver and kubectl are not built: run `make kube-bins`');

const crds = ['hearth.dev_hearths.yaml', 'hearth.dev_hearthbackups.yaml', 'hearth.dev_hearthrestores.yaml'];
const namespace = 'chat';
const apiVersion = 'hearth.dev/v1alpha1';
const s3 = { bucket: 'acme-backups', prefix: 'hearth/prod', credentialsSecretRef: { name: 'backup-s3' } };
const claim = { claimName: 'backups', path: 'acme' };

const backup = (spec: unknown, name = 'nightly'): unknown => ({ apiVersion, kind: 'HearthBackup', metadata: { name, namespace }, spec });
const restore = (spec: unknown): unknown => ({ apiVersion, kind: 'HearthRestore', metadata: { name: 'back', namespace }, spec });
const hearth = (backupSpec: unknown): unknown => ({ apiVersion, kind: 'Hearth', metadata: { name: 'acme', namespace }, spec: { backup: backupSpec } });

const accepted: readonly (readonly [string, unknown])[] = [
  ['a backup to a claim', backup({ hearthName: 'acme', destination: { volumeClaim: claim } })],
  ['a backup to S3', backup({ hearthName: 'acme', destination: { s3 } })],
  ['a restore of a HearthBackup', restore({ source: { backupRef: { name: 'nightly' } }, hearth: { name: 'acme2' } })],
  [
    'a restore of an archive by name, with a spec',
    restore({ source: { s3, archive: 'hearth-20261205T020000.000Z.ndjson.gz' }, hearth: { name: 'acme2', spec: { tier: 'embedded' } } }),
  ],
  ['a daily schedule', hearth({ schedule: '0 3 * * *', retention: 7, destination: { s3 } })],
  ['@daily', hearth({ schedule: '@daily', retention: 1, destination: { volumeClaim: claim } })],
];

const refused: readonly (readonly [string, unknown, string])[] = [
  ['both destinations', backup({ hearthName: 'acme', destination: { s3, volumeClaim: claim } }), 'spec.destination must have exactly one of volumeClaim, s3'],
  ['no destination', backup({ hearthName: 'acme', destination: {} }), 'spec.destination must have exactly one of volumeClaim, s3'],
  [
    'a path out of the claim',
    backup({ hearthName: 'acme', destination: { volumeClaim: { claimName: 'backups', path: 'a/../..' } } }),
    'spec.destination.volumeClaim.path may not contain ..',
  ],
  ['S3 without credentials', backup({ hearthName: 'acme', destination: { s3: { bucket: 'acme-backups' } } }), 'credentialsSecretRef: Required value'],
  [
    'a restore from two sources',
    restore({ source: { backupRef: { name: 'n' }, s3, archive: 'hearth-20261205T020000.000Z.ndjson.gz' }, hearth: { name: 'acme2', spec: {} } }),
    'spec.source must have exactly one of backupRef, volumeClaim, s3',
  ],
  [
    'an archive by name without its name',
    restore({ source: { s3 }, hearth: { name: 'acme2', spec: {} } }),
    'spec.source.archive names the archive in volumeClaim or s3, and only there',
  ],
  [
    'an archive by name without a spec',
    restore({ source: { s3, archive: 'hearth-20261205T020000.000Z.ndjson.gz' }, hearth: { name: 'acme2' } }),
    'spec.hearth.spec is required with an archive by name',
  ],
  ['a schedule that is not cron', hearth({ schedule: 'every night', retention: 7, destination: { s3 } }), 'spec.backup.schedule must be a cron schedule'],
  ['six cron fields', hearth({ schedule: '0 0 3 * * *', retention: 7, destination: { s3 } }), 'spec.backup.schedule must be a cron schedule'],
  ['a retention of 0', hearth({ schedule: '@daily', retention: 0, destination: { s3 } }), 'spec.backup.retention: Invalid value: 0'],
];

describe('the HearthBackup and HearthRestore CRDs, and spec.backup, on a real API server', () => {
  let kube: ControlPlane;
  let work: string;
  let files = 0;

  const kubectl = async (...args: string[]): Promise<string> =>
    (await run(kube.binaries.kubectl, ['--kubeconfig', kube.kubeconfigPath, '--cache-dir', path.join(work, 'cache'), ...args])).stdout;
  const apply = async (object: unknown, dryRun = true): Promise<string> => {
    const file = path.join(work, `object-${files++}.json`);
    await writeFile(file, JSON.stringify(object));
    return kubectl('apply', ...(dryRun ? ['--dry-run=server'] : []), '-f', file);
  };

  before(async () => {
    work = await tempDir('backup-crd');
    kube = await startControlPlane({ binaries: (await kubeBinaries())! });
    for (const crd of crds) await kubectl('apply', '--server-side', '-f', path.join(repoRoot, 'crds', crd));
    await waitUntil(
      'the CRDs established',
      async () => (await kubectl('get', 'crd', '-o', 'jsonpath={.items[*].status.conditions[?(@.type=="Established")].status}')).trim() === 'True True True',
      null,
      30_000,
    );
    await kubectl('create', 'namespace', namespace);
  });
  after(async () => {
    await kube?.stop();
    if (work !== undefined) await removeDir(work);
  });

  for (const [what, object] of accepted) it(`accepts ${what}`, async () => assert.match(await apply(object), /(created|configured) \(server dry run\)/));

  for (const [what, object, message] of refused) {
    it(`refuses ${what}, saying so`, async () => {
      const error = await apply(object).then(
        (stdout) => assert.fail(`accepted: ${stdout}`),
        (failure: unknown) => failure as { stderr: string },
      );
      assert.ok(error.stderr.includes(message), `${message} not in: ${error.stderr}`);
    });
  }

  it('leaves a restore spec left out as left out (no default fills it), and keeps spec fixed once created', async () => {
    await apply(restore({ source: { backupRef: { name: 'nightly' } }, hearth: { name: 'acme2' } }), false);
    const stored = JSON.parse(await kubectl('get', '-n', namespace, 'hearthrestore', 'back', '-o', 'json')) as { spec: { hearth: Record<string, unknown> } };
    assert.deepEqual(stored.spec.hearth, { name: 'acme2' });
    const error = await apply(restore({ source: { backupRef: { name: 'other' } }, hearth: { name: 'acme2' } }), false).then(
      () => assert.fail('a changed spec was accepted'),
      (failure: unknown) => failure as { stderr: string },
    );
    assert.match(error.stderr, /spec cannot change: create another resource instead/);
  });
});
