import type { api } from './api.ts';
import type { SignedInDevice } from './api-types.ts';

/**
 * The signed-in devices page's part of the client: the person's sessions (GET /api/sessions),
 * signing one of the others out, or all of them; and how the page orders and dates them.
 * Signing a device out closes its realtime stream at once, which sends that browser to sign-in.
 */

export type DevicesApi = Pick<typeof api, 'sessions' | 'revokeSession' | 'revokeOtherSessions'>;

export interface Devices {
  /** This device first, then the others, the most recently seen first. */
  listDevices(): Promise<SignedInDevice[]>;
  signOutDevice(sessionId: string): Promise<void>;
  /** Signs out every device but this one; how many were. */
  signOutOtherDevices(): Promise<number>;
}

export function createDevices(devicesApi: DevicesApi): Devices {
  return {
    listDevices: async () => orderDevices((await devicesApi.sessions()).sessions),
    async signOutDevice(sessionId) {
      await devicesApi.revokeSession(sessionId);
    },
    signOutOtherDevices: async () => (await devicesApi.revokeOtherSessions()).revoked,
  };
}

/** This device first, then the others by when they were last seen, the most recent first. */
export function orderDevices(devices: readonly SignedInDevice[]): SignedInDevice[] {
  return [...devices].sort((a, b) => Number(b.current) - Number(a.current) || Date.parse(b.lastSeenAt) - Date.parse(a.lastSeenAt));
}

const UNITS: readonly (readonly [name: string, seconds: number])[] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** How long ago `iso` was at `now`, as people say it: "just now", "1 minute ago", "5 hours ago". */
export function timeAgo(iso: string, now: number): string {
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds) || seconds < 60) return 'just now';
  for (const [name, size] of UNITS) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** What the page says after "Sign out all other devices". */
export function signedOutSummary(count: number): string {
  if (count === 0) return 'No other device was signed in.';
  return `Signed out ${count} other ${count === 1 ? 'device' : 'devices'}.`;
}
