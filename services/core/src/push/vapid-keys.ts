import { createECDH } from 'node:crypto';
import type { VapidKeys } from '../domain/push.ts';
import type { Store } from '../store/store.ts';

/**
 * The server's VAPID key pair (RFC 8292), which browsers subscribe with and push messages are
 * signed with. Made on first need and kept in the store, so every process of every tier signs
 * with the one pair the browsers subscribed with. It is not in backups: a Hearth restored
 * elsewhere makes a new pair, and each browser subscribes again the next time it opens Hearth.
 */

const KEY_NAME = 'vapid';
const PRIVATE_KEY_BYTES = 32;

function newVapidKeys(): VapidKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // The private key is a number: a leading zero byte is dropped, and VAPID wants all 32.
  const privateKey = Buffer.alloc(PRIVATE_KEY_BYTES);
  const raw = ecdh.getPrivateKey();
  raw.copy(privateKey, PRIVATE_KEY_BYTES - raw.byteLength);
  return { publicKey: ecdh.getPublicKey().toString('base64url'), privateKey: privateKey.toString('base64url') };
}

const kept = new WeakMap<Store, Promise<VapidKeys>>();

/** The store's VAPID keys, made and kept on first call (the first of racing processes wins); read once per process. */
export function vapidKeys(store: Store): Promise<VapidKeys> {
  let keys = kept.get(store);
  if (keys === undefined) {
    keys = readOrKeep(store);
    // A failed read is not remembered: the next call tries again.
    keys.catch(() => kept.delete(store));
    kept.set(store, keys);
  }
  return keys;
}

async function readOrKeep(store: Store): Promise<VapidKeys> {
  const stored =
    (await store.getServerKey(KEY_NAME)) ??
    (await store.transaction((tx) => tx.keepServerKey(KEY_NAME, JSON.stringify(newVapidKeys()), new Date().toISOString())));
  const keys = JSON.parse(stored) as VapidKeys;
  if (typeof keys.publicKey !== 'string' || typeof keys.privateKey !== 'string') throw new Error('the stored VAPID keys are not a public and a private key');
  return keys;
}
