// Generated credentials. The tiers only say which Secrets they need and how to generate each key;
// an ensure step creates a missing one once (buildGeneratedSecret) and never writes it again, so a
// password that PostgreSQL stored at initdb and the Secret cannot drift apart.
import type { V1Secret } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { commonLabels, type Component } from './labels.ts';
import { ownerReference } from './names.ts';

export interface GeneratedKey {
  readonly key: string;
  /** Random bytes before encoding. */
  readonly bytes: number;
  /** Both are safe inside a URL's user-info without escaping. */
  readonly encoding: 'hex' | 'base64url';
  readonly description: string;
}

export interface GeneratedSecret {
  readonly name: string;
  readonly component: Component;
  readonly keys: readonly GeneratedKey[];
}

/** Random bytes; node:crypto's randomBytes in the operator, a fixed sequence in tests. */
export type RandomBytes = (count: number) => Uint8Array;

/**
 * The Secret to create when `secret` is missing. Immutable, so the API server itself refuses a
 * change to its data. Owned by the Hearth only when its volumes go with it
 * (spec.storage.retainOnDelete: false): a kept database volume is useless without its password.
 */
export function buildGeneratedSecret(hearth: Hearth, secret: GeneratedSecret, random: RandomBytes): V1Secret {
  const namespace = hearth.metadata.namespace;
  if (namespace === undefined) throw new Error('a Hearth read from the API server has metadata.namespace');
  const stringData = Object.fromEntries(secret.keys.map((key) => [key.key, Buffer.from(random(key.bytes)).toString(key.encoding)]));
  const metadata: V1Secret['metadata'] = {
    name: secret.name,
    namespace,
    labels: commonLabels(hearth.metadata.name ?? '', secret.component),
    annotations: { 'hearth.dev/generated': secret.keys.map((key) => `${key.key}: ${key.description}`).join('; ') },
  };
  if (hearth.spec.storage?.retainOnDelete === false) metadata.ownerReferences = [ownerReference(hearth)];
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', immutable: true, stringData };
}
