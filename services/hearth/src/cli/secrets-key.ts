import { readFile } from 'node:fs/promises';
import { MIN_SECRETS_KEY_BYTES } from '@hearth/core';
import { cannotRead } from './cannot-read.ts';

/**
 * The passphrase in `--key-file FILE` that Secrets' values are encrypted under, without one
 * trailing newline (`openssl rand -base64 32 > FILE` writes one; a Secret made from a literal
 * has none, and both must give the same key). Hearth keeps it nowhere.
 */
export async function readSecretsKey(file: string): Promise<Buffer> {
  const bytes = await readFile(file).catch((error: unknown) => {
    throw cannotRead(`the key file ${file}`, error);
  });
  const key = withoutTrailingNewline(bytes);
  if (key.length < MIN_SECRETS_KEY_BYTES)
    throw new Error(`the key in ${file} is ${key.length} bytes; give at least ${MIN_SECRETS_KEY_BYTES} (e.g. openssl rand -base64 32)`);
  return key;
}

function withoutTrailingNewline(bytes: Buffer): Buffer {
  if (bytes.at(-1) !== 0x0a) return bytes;
  return bytes.at(-2) === 0x0d ? bytes.subarray(0, -2) : bytes.subarray(0, -1);
}
