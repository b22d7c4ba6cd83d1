import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

// The package map of docs/architecture.md, as eslint.config.js enforces it: each wrong arrow the
// map forbids is an error, and the arrows it allows are not. Snippets are linted as if they were
// the named file (an existing one, so the typed rules have a program to check it in).
const root = path.resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath: path.join(root, file) });
  assert.ok(result !== undefined);
  return result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message);
}

const refused: readonly (readonly [string, string, string])[] = [
  ['a service importing another service', 'services/gateway/src/origin.ts', "import { mountRealtime } from '@hearth/realtime';"],
  ['a service reaching into another by path', 'services/gateway/src/origin.ts', "import { Hub } from '../../realtime/src/hub.ts';"],
  ['core importing a service', 'services/core/src/ids.ts', "import { registerGateway } from '@hearth/gateway';"],
  ['web importing a runtime value from core', 'services/web/src/ids.ts', "import { newId } from '@hearth/core';"],
  ['a service importing the composition root', 'services/messaging/src/audit.ts', "import { buildServer } from '@hearth/hearth';"],
  ['a service importing the test kit outside its tests', 'services/realtime/src/hub.ts', "import { call } from '@hearth/testing';"],
  ['the e2e suite importing a service', 'e2e/client.ts', "import type { ServerFrame } from '@hearth/core';"],
  ['the controller runtime importing the operator', 'packages/kube-runtime/src/work-queue.ts', "import { kinds } from '@hearth/operator';"],
];

const allowed: readonly (readonly [string, string, string])[] = [
  ['a service importing core', 'services/gateway/src/origin.ts', "import { newId } from '@hearth/core';"],
  ['web importing types from core', 'services/web/src/ids.ts', "import type { Room } from '@hearth/core';"],
  ['the composition root importing a service', 'services/hearth/src/health.ts', "import { registerGateway } from '@hearth/gateway';"],
  ['a test importing the test kit', 'services/hearth/src/metrics.test.ts', "import { call } from '@hearth/testing';"],
  ['the operator importing the controller runtime', 'operator/src/config.ts', "import { runSteps } from '@hearth/kube-runtime';"],
];

describe('the package map (eslint.config.js)', () => {
  for (const [what, file, code] of refused) {
    it(`refuses ${what}`, async () => {
      assert.equal((await boundaryErrors(file, code)).length, 1, `${file}: ${code}`);
    });
  }
  for (const [what, file, code] of allowed) {
    it(`allows ${what}`, async () => {
      assert.deepEqual(await boundaryErrors(file, code), [], `${file}: ${code}`);
    });
  }
});
