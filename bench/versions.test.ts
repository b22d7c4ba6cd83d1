import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sources } from './markdown.ts';
import { softwareVersions, versionIn } from './versions.ts';

describe('versionIn', () => {
  it('takes the first dotted version of a banner', () => {
    assert.equal(versionIn('postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)'), '15.14');
    assert.equal(versionIn('Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64'), '7.0.15');
    assert.equal(versionIn('nginx version: nginx/1.22.1\n'), '1.22.1');
    assert.equal(versionIn('nats-server: v2.15.3'), '2.15.3');
    assert.equal(versionIn('command not found'), null);
  });
});

describe('softwareVersions', () => {
  it("names this checkout's commit and the servers the benchmarks start", async () => {
    const versions = await softwareVersions();
    assert.match(versions.hearth ?? '', /^[0-9a-f]{12}(\+changes)?$/);
    assert.equal(versions.node, process.version);
    // `make test` installs each of these (scripts/test-deps.sh, make nats-bin): a null here is a lost dependency.
    for (const server of ['postgres', 'natsServer', 'redis', 'nginx'] as const) assert.match(versions[server] ?? '', /^\d+\.\d+/, server);
    assert.match(versions.centrifugo ?? '', /^v6\./);
    assert.equal(await softwareVersions(), versions, 'read once per process');
  });
});

describe('sources', () => {
  it('names the commit a results file measured, when it says', () => {
    const machine = {
      cpuModel: 'Xeon',
      cores: 2,
      memoryMiB: 1024,
      node: 'v24.0.0',
      platform: 'linux x64',
      date: '2026-12-06T00:00:00Z',
      loadAverage: [0.5, 0.4, 0.3],
    };
    const versions = {
      hearth: '0123456789ab',
      node: 'v24.0.0',
      postgres: '15.14',
      natsServer: '2.15.3',
      redis: '7.0.15',
      nginx: '1.22.1',
      centrifugo: 'v6.9.1',
    };
    assert.equal(sources([['startup', { machine, versions }]]), '`bench/startup.ts` (Xeon, 2026-12-06, load 0.5, Hearth 0123456789ab)');
    assert.equal(sources([['startup', { machine }]]), '`bench/startup.ts` (Xeon, 2026-12-06, load 0.5)');
  });
});
