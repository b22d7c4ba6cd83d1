import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@hearth/core';

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/**
 * What start-up is waiting for, so /readyz can say it while it waits: the kind of backend
 * only ("PostgreSQL"). Where it is and why it fails are in the log, not in a probe's body.
 */
export interface StartupStatus {
  waitingFor: string | null;
}

/** A backend start-up waits for: `kind` may be shown to anyone; `where` (its address) is for the log. */
export interface BackendToOpen {
  readonly kind: string;
  readonly where: string;
}

/** What waiting for a backend reports to, and what stops it (shutdown during start-up). */
export interface StartupWait {
  readonly logger: Logger;
  readonly status: StartupStatus;
  readonly signal: AbortSignal;
}

/** A URL safe to log: the password is replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(errorText).join('; ');
  if (error instanceof Error) return error.message || ('code' in error ? String(error.code) : error.name);
  return String(error);
}

/**
 * Calls `open` until it succeeds, logging which backend it waits for and why, with
 * exponential back-off and jitter: a missing database is a wait with a message, not a crash loop.
 */
export async function openWithRetry<T>(backend: BackendToOpen, open: () => Promise<T>, { logger, status, signal }: StartupWait): Promise<T> {
  const what = backend.where;
  let delay = FIRST_DELAY_MS;
  status.waitingFor = backend.kind;
  for (;;) {
    try {
      const opened = await open();
      status.waitingFor = null;
      return opened;
    } catch (error) {
      const reason = errorText(error);
      const wait = Math.round(delay * (0.75 + Math.random() * 0.5));
      logger.warn({ backend: what, err: reason, retryInMs: wait }, `waiting for ${what}: ${reason}; retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait, undefined, { signal });
      delay = Math.min(MAX_DELAY_MS, delay * 2);
    }
  }
}
