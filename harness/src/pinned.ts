// The tools built with Go by scripts/build-*.sh, each pinned there by a `<tool>_version=` line:
// the harness finds them under .cache/<tool>/<version>/, so that bumping the pin moves the tests too.
import { access, constants, readFile } from 'node:fs/promises';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..', '..');

/** The version scripts/<script> pins in its `<variable>=vX.Y.Z` line. */
export async function pinnedVersion(script: string, variable: string): Promise<string> {
  const file = path.join(repoRoot, 'scripts', script);
  const version = new RegExp(`^${variable}=(v\\d+\\.\\d+\\.\\d+)$`, 'm').exec(await readFile(file, 'utf8'))?.[1];
  if (version === undefined) throw new Error(`scripts/${script} has no ${variable}=vX.Y.Z line`);
  return version;
}

export function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}
