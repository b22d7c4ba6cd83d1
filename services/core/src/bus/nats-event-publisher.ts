import { setTimeout as sleep } from 'node:timers/promises';
import { JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError } from '@nats-io/transport-node';
import type { RoomEvent } from '../domain/events.ts';
import type { ConnectionWatch } from './nats-connection.ts';
import { unavailable } from './nats-errors.ts';
import { traceHeaders } from './trace-headers.ts';

const PUBLISH_TIMEOUT_MS = 5_000;
/**
 * About 12 s in all: in a cluster, an R3 stream whose leader was killed answers no one until its
 * followers elect another, which takes a few seconds.
 */
const PUBLISH_BACKOFF_MS = [100, 250, 500, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000, 2_000];

export interface RoomEventPublisherDeps {
  readonly js: JetStreamClient;
  readonly watch: ConnectionWatch;
  /** Throws once the bus is closed; asked before every attempt. */
  readonly assertOpen: () => void;
}

/** Stores room events in the JetStream stream, de-duplicated by `<roomId>:<seq>`, riding out a leader election. */
export class RoomEventPublisher {
  readonly #deps: RoomEventPublisherDeps;

  constructor(deps: RoomEventPublisherDeps) {
    this.#deps = deps;
  }

  async publish(subject: string, event: RoomEvent): Promise<void> {
    const { js, watch, assertOpen } = this.#deps;
    const data = JSON.stringify(event);
    for (let attempt = 0; ; attempt += 1) {
      await watch.connected(PUBLISH_TIMEOUT_MS);
      assertOpen();
      try {
        const options = { msgID: `${event.roomId}:${event.seq}`, timeout: PUBLISH_TIMEOUT_MS, ...traceHeaders(event.traceparent) };
        await js.publish(subject, data, options);
        return;
      } catch (error) {
        if (attempt + 1 >= PUBLISH_BACKOFF_MS.length || !isRetryablePublishError(error)) {
          throw unavailable(`cannot publish room event ${event.roomId}:${event.seq} to NATS`, error);
        }
        await sleep(PUBLISH_BACKOFF_MS[attempt] ?? 0);
      }
    }
  }
}

/**
 * JSStreamDuplicateMessageConflict in nats-server: a copy with the same message id, from another
 * relay or an earlier attempt of this one, is still being stored.
 */
const DUPLICATE_IN_PROCESS = 10158;

/**
 * A publish carries a message id, so trying again after a timeout cannot store it twice, and a
 * publish refused because its twin is in process gets the duplicate's acknowledgement once that
 * is stored. JetStream answers 503 while it is starting or electing a leader; other API errors are final.
 */
export function isRetryablePublishError(error: unknown): boolean {
  if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return false;
  return !(error instanceof JetStreamApiError) || error.status === 503 || error.code === DUPLICATE_IN_PROCESS;
}
