// The CRDs of operators Hearth delegates to (CloudNativePG) or integrates with (prometheus-operator),
// as their projects publish them: kept beside the project in ../shared/fixtures/crds, not copied
// into it, and installed into the test API server so that what Hearth builds is validated against
// the real schemas.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './pinned.ts';

export const thirdPartyCrds = {
  cloudNativePG: 'cloudnative-pg-1.30.0-crds.yaml',
  serviceMonitors: 'prometheus-operator-0.93.0-servicemonitors.yaml',
  podMonitors: 'prometheus-operator-0.93.0-podmonitors.yaml',
  prometheusRules: 'prometheus-operator-0.93.0-prometheusrules.yaml',
} as const;

/** The path of one of them; throws, naming where it should be, when it is not there. */
export async function thirdPartyCrd(name: keyof typeof thirdPartyCrds): Promise<string> {
  const file = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'crds', thirdPartyCrds[name]);
  try {
    await access(file);
  } catch {
    throw new Error(`${file} is missing: the tests expect the project's shared fixtures beside the checkout (../shared/fixtures/crds)`);
  }
  return file;
}
