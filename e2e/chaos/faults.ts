import type { Toxic, Toxiproxy } from '@hearth/harness';
import type { Fault } from '../fault-run.ts';
import { sleep } from '../helpers.ts';
import type { Role, ServiceTier } from '../service-tier.ts';
import type { SingleTier } from '../single-tier.ts';
import { isNetworkFault, type Backend, type NetworkFault, type PlannedFault } from './schedule.ts';

/**
 * The chaos schedule's faults (schedule.ts) as the fault run injects them into the single tier.
 * A fault that takes something away only for a while (a SIGSTOP, a toxic) holds it for its whole
 * time inside inject(): the run then checks that the load goes on once it is gone.
 */

/** How long a process stays stopped (SIGSTOP … SIGCONT) and a network fault stays in place. */
export const HOLD_MS = 3_000;
/** The latency toxic: added to every packet each way, ± the jitter. */
const LATENCY: Toxic = { type: 'latency', latencyMs: 500, jitterMs: 100 };
/** The toxics of each network fault: a reset on the first data, and a black hole that drops every byte and closes the connection after 2 s. */
const TOXICS: Record<NetworkFault, Toxic> = {
  latency: LATENCY,
  reset: { type: 'reset_peer', timeoutMs: 0 },
  blackhole: { type: 'timeout', timeoutMs: 2_000 },
};

/** What a fault description says about its target. */
const described = (kind: string, target: string): string => `${kind} of ${target}`;

function serviceOf(
  tier: ServiceTier,
  role: Role,
  index: number,
): { readonly name: string; readonly process: () => ReturnType<ServiceTier['services']>[number] } {
  return { name: `${role} ${index}`, process: () => tier.services(role)[index]! };
}

function kill9(tier: ServiceTier, role: Role, index: number): Fault {
  const service = serviceOf(tier, role, index);
  return { name: described('kill -9', service.name), inject: () => service.process().kill9(), recover: () => service.process().restart() };
}

function pause(tier: ServiceTier, role: Role, index: number): Fault {
  const service = serviceOf(tier, role, index);
  return {
    name: described(`SIGSTOP for ${HOLD_MS} ms`, service.name),
    async inject() {
      const child = service.process().process;
      child.kill('SIGSTOP');
      try {
        await sleep(HOLD_MS);
      } finally {
        child.kill('SIGCONT');
      }
    },
  };
}

function restart(tier: SingleTier, backend: Backend): Fault {
  const restarts: Record<Backend, () => Promise<void>> = {
    postgres: () => tier.postgres.restart(),
    nats: () => tier.nats.restart(),
    // Redis keeps nothing on disk here: a restart starts it empty, as a Redis without persistence comes back.
    redis: async () => {
      await tier.redis.kill9();
      await tier.redis.start();
    },
  };
  return { name: `restart of ${backend}`, inject: restarts[backend] };
}

function network(toxiproxy: Toxiproxy, kind: NetworkFault, backend: Backend): Fault {
  return {
    name: described(`${kind} (${TOXICS[kind].type}) for ${HOLD_MS} ms`, `the services' connections to ${backend}`),
    async inject() {
      const names = await toxiproxy.addToxic(backend, TOXICS[kind]);
      try {
        await sleep(HOLD_MS);
      } finally {
        await toxiproxy.removeToxics(backend, names);
      }
    },
  };
}

/** A kill -9 (then a restart) or a SIGSTOP (SIGCONT later) of one service process, on any server tier; null for another kind. */
export function serviceFault(tier: ServiceTier, { kind, target }: PlannedFault): Fault | null {
  const [action, subject] = kind.split('-') as [string, string | undefined];
  if (typeof target !== 'number' || kind.endsWith('-nats-node')) return null;
  if (action === 'kill9') return kill9(tier, subject as Role, target);
  if (action === 'pause') return pause(tier, subject as Role, target);
  return null;
}

/** The fault a planned one is on the single tier; the tier must have been started with networkFaults for a network fault. */
export function faultFor(tier: SingleTier, planned: PlannedFault): Fault {
  const service = serviceFault(tier, planned);
  if (service !== null) return service;
  const { kind, target } = planned;
  if (typeof target === 'string' && kind === `restart-${target}`) return restart(tier, target);
  if (typeof target === 'string' && isNetworkFault(kind) && tier.toxiproxy !== null) return network(tier.toxiproxy, kind, target);
  throw new Error(`no fault ${kind} on ${String(target)} in the single tier (network faults need startSingleTier({ networkFaults: true }))`);
}
