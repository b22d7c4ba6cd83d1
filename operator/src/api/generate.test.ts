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
      assert.ok(onDisk === file.content, `${file.path} differs from what operator/src/api/hearth-crd.ts generates: run \`make crds\``);
    }
  });

  it('come out the same every time', async () => {
    assert.deepEqual(await generatedFiles(), await generatedFiles());
  });
});
