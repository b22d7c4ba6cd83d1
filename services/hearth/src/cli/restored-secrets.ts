import { writeFile } from 'node:fs/promises';
import type { ArchivedSecret } from '@hearth/core';

/**
 * The Secrets `hearth restore --include-secrets` decrypted, as Kubernetes objects: written as a
 * `List` to a file for `kubectl apply -f FILE -n NS`, or created one by one through the API
 * (kubernetes-secrets.ts). No namespace in them: the one they are applied to decides.
 */

/** The annotation that says which archive a Secret came back from. */
export const RESTORED_FROM = 'hearth.dev/restored-from';

export interface SecretObject {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: { readonly name: string; readonly annotations: Readonly<Record<string, string>> };
  readonly type: 'Opaque';
  readonly data: Readonly<Record<string, string>>;
}

export function buildSecretObject(secret: ArchivedSecret, from: string): SecretObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.name, annotations: { [RESTORED_FROM]: from } }, type: 'Opaque', data: secret.data };
}

export function buildSecretList(secrets: readonly ArchivedSecret[], from: string): { apiVersion: 'v1'; kind: 'List'; items: SecretObject[] } {
  return { apiVersion: 'v1', kind: 'List', items: secrets.map((secret) => buildSecretObject(secret, from)) };
}

/**
 * Writes the List to `file`, readable by its owner only, and never over an existing file:
 * what is there may be another restore's Secrets, and a file of values is not one to replace
 * unnoticed.
 */
export async function writeSecretsFile(file: string, secrets: readonly ArchivedSecret[], from: string): Promise<void> {
  await writeFile(file, `${JSON.stringify(buildSecretList(secrets, from), null, 2)}\n`, { flag: 'wx', mode: 0o600 }).catch((error: unknown) => {
    const code = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    if (code === 'EEXIST') throw new Error(`--secrets-out ${file} exists already: give a file that is not there (it is written once, mode 0600)`);
    throw new Error(`cannot write --secrets-out ${file}: ${code}`);
  });
}
