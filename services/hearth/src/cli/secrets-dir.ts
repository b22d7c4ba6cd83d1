import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isSecretName, type ArchivedSecret } from '@hearth/core';
import { cannotRead } from './cannot-read.ts';

/**
 * The Secrets mounted in a directory, as `hearth backup --include-secrets --secrets-dir DIR`
 * reads them: one sub-directory per Secret, named as the Secret, one file per key, as kubelet
 * lays out a Secret volume. kubelet's own entries start with `.` (`..data`, `..2026_12_05…`) and
 * are skipped; the keys are symlinks into `..data`, and are followed.
 */
export async function readSecretsDir(dir: string): Promise<ArchivedSecret[]> {
  const names = visibleEntries(
    await readdir(dir).catch((error: unknown) => {
      throw cannotRead(`the Secrets directory ${dir}`, error);
    }),
  );
  if (names.length === 0) throw new Error(`the Secrets directory ${dir} is empty: mount each Secret to back up as a directory in it, named as the Secret`);
  const secrets: ArchivedSecret[] = [];
  for (const name of names) {
    if (!isSecretName(name))
      throw new Error(`${path.join(dir, name)} is not named as a Secret (a DNS-1123 subdomain: a-z, 0-9, '-' and '.'); each directory in ${dir} is one Secret`);
    secrets.push({ name, data: await keysOf(path.join(dir, name)) });
  }
  return secrets;
}

/** A Secret's keys, each file's bytes in base64 as a Secret's `data` holds them. */
async function keysOf(secretDir: string): Promise<Record<string, string>> {
  if (!(await stat(secretDir)).isDirectory()) throw new Error(`${secretDir} is not a directory: each Secret is a directory of its keys`);
  const data: Record<string, string> = {};
  for (const key of visibleEntries(await readdir(secretDir))) {
    const file = path.join(secretDir, key);
    // stat, not lstat: kubelet's key files are symlinks into ..data.
    if (!(await stat(file)).isFile()) throw new Error(`${file} is not a file: a Secret's directory holds one file per key`);
    data[key] = (await readFile(file)).toString('base64');
  }
  return data;
}

/** Entries a person put there, sorted, without kubelet's `..data` and other dot entries. */
function visibleEntries(names: readonly string[]): string[] {
  return names.filter((name) => !name.startsWith('.')).sort();
}
