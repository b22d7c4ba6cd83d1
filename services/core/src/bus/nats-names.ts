import { HearthError } from '../errors.ts';

/** The subjects and stream of one Hearth instance (DESIGN.md §2). */
export interface NatsNames {
  readonly commands: string;
  readonly roomEvents: string;
  /** Committed room events announced ahead of the stream (Bus.announceRoomEvent): core NATS, outside the stream's subjects. */
  readonly announced: string;
  readonly signals: string;
  readonly stream: string;
}

export function natsNames(instance: string): NatsNames {
  return {
    commands: `hearth.${instance}.cmd.`,
    roomEvents: `hearth.${instance}.evt.room.`,
    announced: `hearth.${instance}.live.room.`,
    signals: `hearth.${instance}.eph.`,
    stream: `HEARTH_${instance.toUpperCase().replaceAll('-', '_')}_EVENTS`,
  };
}

/** Refuses what would change a subject's shape: wildcards, spaces, and (for single tokens) dots. */
export function subjectTokens(value: string, what: string, single = false): string {
  const token = single ? /^[^\s.*>]+$/ : /^[^\s.*>]+(\.[^\s.*>]+)*$/;
  if (!token.test(value)) throw new HearthError('invalid_request', `the ${what} "${value}" cannot be part of a NATS subject`);
  return value;
}
