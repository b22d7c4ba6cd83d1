import type { IncomingMessage } from 'node:http';

/** One line of a WATCH response. */
export interface WatchEvent {
  type?: string;
  object?: unknown;
}

/** How a watch stream ended without failing: at the server's timeout, or on 410 Gone. */
export type WatchOutcome = 'ended' | 'gone';

export interface WatchReader {
  /** For messages. */
  readonly path: string;
  /** Called on every chunk: the stall timer starts over. */
  readonly onActivity: () => void;
  /** Applies one event; 'gone' ends the stream there. A throw fails it. */
  readonly apply: (event: WatchEvent) => 'gone' | undefined;
}

/**
 * Reads newline-delimited watch events until the stream ends, fails or says 410. A stream closed
 * before its end (a reset, an abort) is a failure, not an end: the informer backs off.
 */
export function readWatchEvents(response: IncomingMessage, reader: WatchReader): Promise<WatchOutcome> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let settled = false;
    const finish = (outcome: WatchOutcome | Error): void => {
      if (settled) return;
      settled = true;
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const applyLine = (line: string): void => {
      try {
        if (reader.apply(JSON.parse(line) as WatchEvent) === 'gone') finish('gone');
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const readLines = (): void => {
      for (let newline = buffer.indexOf('\n'); newline >= 0 && !settled; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line !== '') applyLine(line);
      }
    };
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (settled) return;
      reader.onActivity();
      buffer += chunk;
      readLines();
    });
    response.on('end', () => finish('ended'));
    response.on('error', (error) => finish(error));
    response.on('close', () => finish(response.complete ? 'ended' : new Error(`watch ${reader.path}: stream closed before its end`)));
  });
}

/**
 * The server-side timeout of one watch: `baseSeconds` spread by ±`jitter`, so that informers
 * started together do not all reconnect at the same instant; at least 1 s.
 */
export function watchTimeoutSeconds(baseSeconds: number, jitter: number, random: () => number): number {
  return Math.max(1, Math.round(baseSeconds * (1 + jitter * (2 * random() - 1))));
}

/** Calls `onSilent` once nothing has been heard for `limitMs`; every touch() starts the wait over. */
export function createSilenceTimer(limitMs: number, onSilent: () => void): { touch(): void; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  return {
    touch() {
      clearTimeout(timer);
      timer = setTimeout(onSilent, limitMs);
    },
    clear: () => clearTimeout(timer),
  };
}
