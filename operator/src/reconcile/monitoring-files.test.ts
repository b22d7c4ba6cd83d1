// The files spec.observability installs, read where the operator reads them: the repository's
// deploy/monitoring (and the image's, which must carry them), or a directory given in a test.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { copiesOf, imagePathOf, isIgnored, lastOf, parseDockerfile, parseDockerignore } from '@hearth/harness';
import { repoRoot } from '../api/generate.ts';
import { createMonitoringFiles, hearthDashboardFile, hearthRulesFile, monitoringDir } from './monitoring-files.ts';

describe('the monitoring files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hearth-monitoring-files-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are deploy/monitoring’s, read and checked', async () => {
    assert.equal(monitoringDir, path.join(repoRoot, 'deploy', 'monitoring'));
    const files = createMonitoringFiles();
    const rules = await files.rules();
    assert.ok(rules.ok, rules.ok ? '' : rules.message);
    assert.ok(rules.value.length > 0);
    const dashboard = await files.dashboard();
    assert.ok(dashboard.ok, dashboard.ok ? '' : dashboard.message);
    assert.equal(dashboard.value.uid, JSON.parse(await readFile(path.join(monitoringDir, hearthDashboardFile), 'utf8')).uid);
  });

  it('say why when missing or malformed, and are read again until they are there', async () => {
    const files = createMonitoringFiles(dir);
    const missing = await files.rules();
    assert.ok(!missing.ok);
    assert.match(missing.message, /^cannot read hearth-rules\.yaml of the operator's deploy\/monitoring: ENOENT/);
    await writeFile(path.join(dir, hearthRulesFile), 'groups: [');
    const broken = await files.rules();
    assert.ok(!broken.ok);
    assert.match(broken.message, /^hearth-rules\.yaml is not YAML: /);
    await writeFile(path.join(dir, hearthRulesFile), 'groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(x)\n');
    assert.deepEqual(await files.rules(), { ok: true, value: [{ name: 'g', rules: [{ record: 'r', expr: 'sum(x)' }] }] });
    // Kept once read: a running operator does not see the file change under it.
    await writeFile(path.join(dir, hearthRulesFile), 'groups: []');
    assert.ok((await files.rules()).ok);
    await writeFile(path.join(dir, hearthDashboardFile), '{"title":"t"}');
    const dashboard = await files.dashboard();
    assert.ok(!dashboard.ok);
    assert.match(dashboard.message, /no title or no panels/);
  });

  it('are in the image, where the operator looks for them', async () => {
    const dockerfile = parseDockerfile(await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8'));
    const ignored = parseDockerignore(await readFile(path.join(repoRoot, '.dockerignore'), 'utf8'));
    const runtime = dockerfile.stages.at(-1);
    assert.ok(runtime !== undefined);
    const workdir = lastOf(runtime, 'WORKDIR') ?? '/';
    for (const name of [hearthRulesFile, hearthDashboardFile]) {
      const file = path.posix.join('deploy', 'monitoring', name);
      const copied = copiesOf(runtime).some((copy) => copy.from === undefined && imagePathOf(copy, file) === path.posix.join(workdir, file));
      assert.ok(
        copied && !isIgnored(ignored, file),
        `the Dockerfile's last stage must COPY ${file} to ${path.posix.join(workdir, file)}: the operator reads it at run time`,
      );
    }
  });
});
