import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { StreamUsage } from './bus.ts';
import type { NatsNames } from './nats-names.ts';
import { whileElecting } from './nats-retry.ts';

/** Long enough to cover an outbox relay's retries after a messaging or NATS restart. */
const DUPLICATE_WINDOW_MS = 5 * 60_000;
/**
 * The stream also feeds live subscribers, so a room keeps at least this many events even
 * with a smaller replayLimit: a subscriber a little behind must not lose one to trimming.
 * (NATS reads max_msgs_per_subject 0 as "unlimited", so 0 could not be passed through anyway.)
 */
const MIN_KEPT_PER_ROOM = 100;
/** nats-server's JetStream error code for "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10_058;

export interface DesiredStream {
  readonly name: string;
  /** Set when the stream is created; the server refuses to change these later. */
  readonly fixed: Partial<StreamConfig>;
  /** Kept up to date on every start. */
  readonly owned: Partial<StreamConfig>;
}

/** What the event stream's settings come from. */
export interface StreamSettings {
  readonly replayLimit: number;
  readonly replicas: number;
  /** 0: no cap of its own. */
  readonly maxBytes: number;
}

export function desiredStream(names: NatsNames, settings: StreamSettings): DesiredStream {
  return {
    name: names.stream,
    fixed: { storage: StorageType.File, retention: RetentionPolicy.Limits },
    owned: {
      // nats-server 2.10 and later move a stream between R1 and R3 in place.
      num_replicas: settings.replicas,
      subjects: [`${names.roomEvents}>`],
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: Math.max(settings.replayLimit, MIN_KEPT_PER_ROOM),
      // Full, the stream drops its oldest events (discard old): a replay that misses them reads the store.
      max_bytes: settings.maxBytes > 0 ? settings.maxBytes : -1,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    },
  };
}

/**
 * Creates the stream, or brings the settings Hearth owns up to date (its replicas among them).
 * Settings it does not own are left as they are. Safe to run from many processes at once.
 */
export async function ensureStream(jsm: JetStreamManager, desired: DesiredStream): Promise<void> {
  const { name, owned } = desired;
  const info = async (): Promise<StreamConfig> => (await whileElecting(() => jsm.streams.info(name))).config;
  let current: StreamConfig;
  try {
    current = await info();
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    try {
      await whileElecting(() => jsm.streams.add({ name, ...desired.fixed, ...owned }));
      return;
    } catch (addError) {
      // Another process created it in between; fall through to compare settings.
      if (!isApiError(addError, STREAM_NAME_IN_USE)) throw addError;
      current = await info();
    }
  }
  const stale = Object.entries(owned).some(([key, value]) => JSON.stringify(current[key as keyof StreamConfig]) !== JSON.stringify(value));
  if (stale) await jsm.streams.update(name, owned);
}

/**
 * The stream's storage now. `received` tells the last stream sequence this process's live feed
 * took (undefined: it has none); asked after the stream answered, so the lag is never overstated.
 */
export async function readStreamUsage(jsm: JetStreamManager, stream: string, received: () => number | undefined): Promise<StreamUsage> {
  const [info, account] = await Promise.all([jsm.streams.info(stream), jsm.getAccountInfo()]);
  const streamLimit = info.config.max_bytes > 0 ? info.config.max_bytes : null;
  const accountLimit = account.limits.max_storage > 0 ? account.limits.max_storage : null;
  const taken = received();
  const consumerPending = taken === undefined ? null : Math.max(0, info.state.last_seq - taken);
  return { bytes: info.state.bytes, maxBytes: streamLimit ?? accountLimit, consumerPending };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}
