import { ApiError } from './api.ts';

/**
 * This browser's Web Push subscription, kept in step with the server: made with the server's VAPID
 * key once the person allowed notifications, made anew when the server's key changed (a Hearth
 * restored elsewhere), and sent to the server at each page load, so the session now signed in is
 * the one it belongs to (ending a session ends its subscriptions on the server).
 */

/** Where closed-tab notifications stand in this browser. */
export type PushState = 'unsupported' | 'off' | 'on' | 'unavailable';

/** The PushManager calls this uses (the browser's, or a test's). */
export interface PushManagerLike {
  getSubscription(): Promise<SubscriptionLike | null>;
  subscribe(options: { userVisibleOnly: true; applicationServerKey: Uint8Array<ArrayBuffer> }): Promise<SubscriptionLike>;
}

export interface SubscriptionLike {
  readonly options: { readonly applicationServerKey: ArrayBuffer | null };
  toJSON(): PushSubscriptionJSON;
  unsubscribe(): Promise<boolean>;
}

export interface PushApi {
  key(): Promise<{ publicKey: string }>;
  keep(subscription: PushSubscriptionJSON): Promise<unknown>;
}

export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function isSameKey(key: ArrayBuffer | null, base64url: string): boolean {
  if (key === null) return false;
  const a = new Uint8Array(key);
  const b = keyBytes(base64url);
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

export async function syncPushSubscription(manager: PushManagerLike, api: PushApi): Promise<PushState> {
  let publicKey: string;
  try {
    ({ publicKey } = await api.key());
  } catch (error) {
    if (error instanceof ApiError && error.code === 'push_disabled') return 'off';
    throw error;
  }
  let subscription = await manager.getSubscription();
  if (subscription !== null && !isSameKey(subscription.options.applicationServerKey, publicKey)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  try {
    subscription ??= await manager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) });
  } catch (error) {
    // The browser's push service is out of reach (a network that blocks it, a browser built without one).
    console.warn('hearth: this browser could not subscribe to push; notifications come only while Hearth is open', error);
    return 'unavailable';
  }
  await api.keep(subscription.toJSON());
  return 'on';
}

/** This page's PushManager, where the browser has one and a service worker runs; null elsewhere. */
export async function browserPushManager(): Promise<PushManagerLike | null> {
  if (!window.isSecureContext || !('serviceWorker' in navigator) || !('PushManager' in window)) return null;
  const registration = await navigator.serviceWorker.ready;
  return registration.pushManager as unknown as PushManagerLike;
}
