import type { BusConfig } from '../config.ts';
import type { Bus, ConsumeObserver } from './bus.ts';

export interface CreateBusOptions {
  /** Receives what a subscriber or command handler threw; the bus keeps delivering to the others. */
  readonly onError?: (error: unknown) => void;
  /** Told of each room event this process's live feed takes from a durable stream (NATS only). */
  readonly onConsumed?: ConsumeObserver;
  /** Told of each room event this process's live feed takes from an announcement, ahead of the stream (NATS only). */
  readonly onAnnounced?: () => void;
}

/** Loads only the implementation the config names, so a tier never loads a driver it does not use. */
export async function createBus(config: BusConfig, options: CreateBusOptions = {}): Promise<Bus> {
  switch (config.type) {
    case 'local': {
      const { BusLocal } = await import('./bus-local.ts');
      return new BusLocal({ replayLimit: config.replayLimit, ...options });
    }
    case 'nats': {
      const { BusNats } = await import('./bus-nats.ts');
      return BusNats.connect(config, options);
    }
  }
}
