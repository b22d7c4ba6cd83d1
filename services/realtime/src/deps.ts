import type { Bus, Ephemeral, HearthMetrics, Logger, SignedIn, Store } from '@hearth/core';

/**
 * What the realtime endpoints are given by the process that mounts them. A leaf module: the
 * endpoints (sse.ts, websocket.ts, open-stream.ts) import it, and it imports none of them.
 */
export interface RealtimeDeps {
  readonly store: Store;
  readonly bus: Bus;
  readonly ephemeral: Ephemeral;
  readonly logger: Logger;
  readonly metrics: HearthMetrics;
  readonly publicUrl: string;
  readonly limits: { readonly connectionBufferBytes: number; readonly streamConnectsPerMinute: number };
}

/** Resolves a raw Cookie header to the session and its user, or null. */
export type Authenticate = (cookieHeader: string | undefined) => Promise<SignedIn | null>;
