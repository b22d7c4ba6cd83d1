import { createCipheriv, createDecipheriv, randomBytes, scrypt, type ScryptOptions } from 'node:crypto';
import { HearthError } from '../errors.ts';
import type { ArchiveHeader } from './archive-format.ts';

/*
 * Secret values in an archive (`hearth backup --include-secrets`): the Secrets, as JSON
 * `[{"name":"…","data":{"<key>":"<base64 of the value>"}}]`, encrypted with AES-256-GCM under a
 * key derived by scrypt from a passphrase the operator keeps (Hearth stores it nowhere), and put
 * in the header's optional `encryptedSecrets`. The field is optional, so the archive stays
 * version 1: a reader that does not know it ignores it, and restores the records as before.
 */

/** A Secret's values, as a Kubernetes Secret's `data` holds them: key → base64 of the value. */
export interface ArchivedSecret {
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface EncryptedSecrets {
  readonly cipher: 'aes-256-gcm';
  readonly kdf: { readonly name: 'scrypt'; readonly N: number; readonly r: number; readonly p: number; readonly salt: string };
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
  /** The Secrets inside, by name, so that an archive says what it holds without the key. */
  readonly names: readonly string[];
}

/** The fewest bytes a passphrase may have: 32 random bytes, as `openssl rand -base64 32` gives (44 characters). */
export const MIN_SECRETS_KEY_BYTES = 32;

/** scrypt's cost: N=2^15, r=8 takes 32 MiB and about 100 ms, once per backup or restore. */
const KDF = { name: 'scrypt', N: 2 ** 15, r: 8, p: 1 } as const;
/** Node refuses scrypt above maxmem (32 MiB by default), which N=2^15, r=8 just passes. */
const MAXMEM = 64 * 1024 * 1024;

const UNDECRYPTABLE = "cannot decrypt the archive's Secrets: wrong key, or the archive was altered";
const NO_SECRETS = 'the archive holds no Secret values (it was written without --include-secrets)';

/** A Secret's name as Kubernetes takes it: a DNS-1123 subdomain. */
export function isSecretName(name: string): boolean {
  return name.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name);
}

/** The header with `secrets` encrypted into it under `passphrase`, a fresh salt and iv each time. */
export async function withEncryptedSecrets(header: ArchiveHeader, secrets: readonly ArchivedSecret[], passphrase: Buffer): Promise<ArchiveHeader> {
  const names = secrets.map((secret) => secret.name);
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyOf(passphrase, salt, KDF), iv);
  cipher.setAAD(additionalData(header, names));
  const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
  const encryptedSecrets: EncryptedSecrets = {
    cipher: 'aes-256-gcm',
    kdf: { ...KDF, salt: salt.toString('base64') },
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
    names,
  };
  return { ...header, encryptedSecrets };
}

/**
 * The Secrets in the header, decrypted: throws one line when there are none, or when the key is
 * wrong or anything under the tag (the data, the tag, the names, the time the archive was
 * written) was changed; GCM cannot tell these apart, and neither does the message.
 */
export async function decryptArchiveSecrets(header: ArchiveHeader, passphrase: Buffer): Promise<ArchivedSecret[]> {
  const sealed = header.encryptedSecrets;
  if (sealed === undefined) throw new HearthError('invalid_request', NO_SECRETS);
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      await keyOf(passphrase, Buffer.from(sealed.kdf.salt, 'base64'), sealed.kdf),
      Buffer.from(sealed.iv, 'base64'),
    );
    decipher.setAAD(additionalData(header, sealed.names));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as ArchivedSecret[];
  } catch {
    throw new HearthError('invalid_request', UNDECRYPTABLE);
  }
}

/**
 * What the tag covers beside the ciphertext: the archive's time and the names the header shows,
 * so that the blob cannot be moved into another archive, nor its names changed, unnoticed.
 */
function additionalData(header: ArchiveHeader, names: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ format: header.format, createdAt: header.createdAt, names }), 'utf8');
}

function keyOf(passphrase: Buffer, salt: Buffer, kdf: { readonly N: number; readonly r: number; readonly p: number }): Promise<Buffer> {
  const options: ScryptOptions = { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: MAXMEM };
  return new Promise((resolve, reject) => scrypt(passphrase, salt, 32, options, (error, key) => (error === null ? resolve(key) : reject(error))));
}
