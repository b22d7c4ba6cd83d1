import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PostgresServer } from '@hearth/harness';
import { hearth, seededDataDir } from './cli-test-support.ts';

describe('hearth export and hearth import', () => {
  let postgres: PostgresServer;
  let work: string;
  let source: string;

  before(async () => {
    postgres = await startPostgres();
    work = await mkdtemp(path.join(tmpdir(), 'hearth-cli-'));
    source = await seededDataDir();
  });
  after(async () => {
    await postgres?.stop();
    await rm(work, { recursive: true, force: true });
    await rm(source, { recursive: true, force: true });
  });

  it('copy SQLite → PostgreSQL → SQLite, verified at each import, with identical exports', async () => {
    const first = path.join(work, 'first.ndjson');
    const exported = await hearth(['export', '--out', first], { HEARTH_DATA_DIR: source });
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /hearth export: wrote \d+ records \(60 messages in 3 rooms\) to .*first\.ndjson/);
    assert.deepEqual((await readdir(work)).sort(), ['first.ndjson'], 'no .partial file is left');

    const database = await postgres.createDatabase('cli_copy');
    const imported = await hearth(['import', '--in', first], { HEARTH_DATABASE_URL: database });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /hearth import: loaded \d+ records \(60 messages in 3 rooms\)/);
    assert.match(imported.stderr, /verified: \d+ tables, their rows and checksums, and every room's last sequence match the stream/);

    const second = path.join(work, 'second.ndjson');
    assert.equal((await hearth(['export', '--out', second], { HEARTH_DATABASE_URL: database })).code, 0);
    assert.equal(await readFile(second, 'utf8'), await readFile(first, 'utf8'));

    const again = await mkdtemp(path.join(tmpdir(), 'hearth-cli-again-'));
    try {
      assert.equal((await hearth(['import', '--in', second], { HEARTH_DATA_DIR: again })).code, 0);
      const third = path.join(work, 'third.ndjson');
      assert.equal((await hearth(['export', '--out', third], { HEARTH_DATA_DIR: again })).code, 0);
      assert.equal(await readFile(third, 'utf8'), await readFile(first, 'utf8'));
    } finally {
      await rm(again, { recursive: true, force: true });
    }

    const twice = await hearth(['import', '--in', first], { HEARTH_DATABASE_URL: database });
    assert.equal(twice.code, 1);
    assert.equal(twice.stderr.trim().split('\n').length, 1, twice.stderr);
    assert.match(twice.stderr, /^hearth import: cannot import into a store that has records \(account is not empty\): import into a new, empty database/);
  });

  it('a cut-off file loads nothing and says so; the whole file then loads', async () => {
    const whole = path.join(work, 'whole.ndjson');
    assert.equal((await hearth(['export', '--out', whole], { HEARTH_DATA_DIR: source })).code, 0);
    const lines = (await readFile(whole, 'utf8')).trimEnd().split('\n');
    const cut = path.join(work, 'cut.ndjson');
    await writeFile(cut, lines.slice(0, -1).join('\n') + '\n');
    const target = await postgres.createDatabase('cli_cut');
    const refused = await hearth(['import', '--in', cut], { HEARTH_DATABASE_URL: target });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /hearth import: not a Hearth record stream: the stream ends without its end line: it was cut off/);
    const loaded = await hearth(['import', '--in', whole], { HEARTH_DATABASE_URL: target });
    assert.equal(loaded.code, 0, loaded.stderr);
  });

  // Its own directory: a fixed path would be shared with other checkouts' runs, whose stores may be newer.
  const noDatabase = path.join(tmpdir(), `hearth-cli-none-${process.pid}`);
  after(() => rm(noDatabase, { recursive: true, force: true }));
  const mistakes: readonly (readonly [string, readonly string[], Readonly<Record<string, string>>, number, RegExp])[] = [
    ['no --out', ['export'], {}, 2, /^hearth: hearth export needs --out FILE\nusage:/],
    [
      'a data directory with no database',
      ['export', '--out', '/tmp/never.ndjson'],
      { HEARTH_DATA_DIR: '/nonexistent/hearth' },
      1,
      /^hearth export: there is no database at \/nonexistent\/hearth\/hearth.db/,
    ],
    [
      'a file that is not there',
      ['import', '--in', '/nonexistent/x.ndjson'],
      { HEARTH_DATA_DIR: noDatabase },
      1,
      /^hearth import: cannot read \/nonexistent\/x.ndjson: no such file\n$/,
    ],
  ];
  for (const [what, args, env, code, message] of mistakes) {
    it(`refuses ${what} with one line and status ${code}`, async () => {
      const run = await hearth(args, env);
      assert.equal(run.code, code);
      assert.match(run.stderr, message);
    });
  }
});
