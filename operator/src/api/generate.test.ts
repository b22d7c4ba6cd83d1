import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { generatedFiles, repoRoot } from './generate.ts';

describe('the files generated from the Hearth API', () => {
  it('are checked in as generate.ts writes them', async () => {
    for (const file of await generatedFiles()) {
      const onDisk = await readFile(path.join(repoRoot, file.path), 'utf8').catch(() => null);
      assert.ok(onDisk !== null, `${file.path} is missing: run \`make crds\``);
      const source = file.path.startsWith('charts/hearth-operator/files/') ? `deploy/monitoring/${path.basename(file.path)}` : 'operator/src/api/hearth-crd.ts';
      assert.ok(onDisk === file.content, `${file.path} differs from what ${source} makes of it: run \`make crds\``);
    }
  });

  it('include the chart’s copies of deploy/monitoring, byte for byte', async () => {
    const copies = (await generatedFiles()).filter((file) => file.path.startsWith('charts/hearth-operator/files/'));
    assert.deepEqual(
      copies.map((file) => file.path),
      ['charts/hearth-operator/files/hearth-operator-rules.yaml', 'charts/hearth-operator/files/hearth-dashboard.json'],
    );
    for (const copy of copies) assert.equal(copy.content, await readFile(path.join(repoRoot, 'deploy', 'monitoring', path.basename(copy.path)), 'utf8'));
  });

  it('come out the same every time', async () => {
    assert.deepEqual(await generatedFiles(), await generatedFiles());
  });
});
