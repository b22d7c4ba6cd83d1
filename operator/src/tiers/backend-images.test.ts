// What the operator deploys is what the tests run: the pinned backend images against the servers
// the harness starts. nats-server is built at one exact release, so its tag must equal it; PostgreSQL
// and Redis come from Debian 12, whose security updates move the patch release under us, so the
// image must match what a patch release cannot change (PostgreSQL's major, Redis's major.minor).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { natsServerBinary, pinnedVersion } from '@hearth/harness';
import { defaultBackendImages, defaultTierContext } from './context.ts';
import { desiredObjects } from './desired-objects.ts';
import { hearthFixture } from './testing.ts';

const run = promisify(execFile);

/** The tag of an image reference (`nats:2.15.3` → `2.15.3`). */
const tagOf = (image: string): string => image.slice(image.lastIndexOf(':') + 1);

/** The first `X.Y.Z` (or `X.Y`) a program prints about its own version. */
async function versionOf(file: string, args: string[]): Promise<string> {
  const { stdout } = await run(file, args);
  const version = /(\d+\.\d+(?:\.\d+)?)/.exec(stdout)?.[1];
  if (version === undefined) throw new Error(`${file} ${args.join(' ')} printed no version: ${stdout}`);
  return version;
}

async function postgresBinary(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n 1']);
  return stdout.trim();
}

describe('the backend images the operator deploys', () => {
  it('nats: exactly the release scripts/build-nats-server.sh builds and the tests run', async () => {
    const pinned = (await pinnedVersion('build-nats-server.sh', 'nats_version')).replace(/^v/, '');
    assert.equal(tagOf(defaultBackendImages.nats), pinned);
    assert.equal(await versionOf(await natsServerBinary(), ['--version']), pinned);
  });

  it('postgres: the major release of the PostgreSQL the tests run', async () => {
    const tested = await versionOf(await postgresBinary(), ['--version']);
    assert.equal(tagOf(defaultBackendImages.postgres).split('.')[0], tested.split('.')[0], `tests run PostgreSQL ${tested}`);
  });

  it('redis: the major.minor release of the Redis the tests run', async () => {
    const tested = await versionOf('redis-server', ['--version']);
    assert.equal(tagOf(defaultBackendImages.redis).split('.').slice(0, 2).join('.'), tested.split('.').slice(0, 2).join('.'), `tests run Redis ${tested}`);
  });

  it('cloudNativePG: CloudNativePG’s image of the same PostgreSQL release as the single tier’s', () => {
    assert.equal(tagOf(defaultBackendImages.cloudNativePG), tagOf(defaultBackendImages.postgres));
    assert.match(defaultBackendImages.cloudNativePG, /^ghcr\.io\/cloudnative-pg\/postgresql:/);
  });

  it('every tag is an exact release, never a floating one', () => {
    for (const image of Object.values(defaultBackendImages)) assert.match(tagOf(image), /^\d+\.\d+\.\d+$|^\d+\.\d+$/, image);
    assert.match(tagOf(defaultBackendImages.nats), /^\d+\.\d+\.\d+$/);
  });

  it('spec.<backend>.image overrides the operator’s default for that Hearth only', () => {
    const hearth = hearthFixture({ tier: 'single', database: { image: 'mirror.acme.example/postgres:15.19' } });
    const result = desiredObjects(hearth, defaultTierContext);
    assert.ok(result.ok);
    const images = Object.fromEntries(
      result.objects
        .filter((object) => object.kind === 'StatefulSet')
        .map((object) => [object.metadata.name, object.spec?.template?.spec?.containers?.[0]?.image]),
    );
    assert.deepEqual(images, { 'acme-postgres': 'mirror.acme.example/postgres:15.19', 'acme-nats': 'nats:2.15.3', 'acme-redis': 'redis:7.0.15' });
  });
});
