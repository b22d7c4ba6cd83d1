import type { ChildProcess } from 'node:child_process';
import { freePort, startIngress, type Ingress } from '@hearth/harness';
import { runHearthCommand, startService, type Hearth, type HearthOptions, type ServiceProcess, type StopOptions } from './harness.ts';

/** The server tiers' roles, each its own process, as the operator deploys them. */
export const ROLES = ['messaging', 'realtime', 'gateway'] as const;
export type Role = (typeof ROLES)[number];

export interface ServiceTier extends Hearth {
  /** The processes of a role. */
  services(role: Role): readonly ServiceProcess[];
}

export interface ServiceTierOptions extends HearthOptions {
  /** Processes per role (default 1). */
  readonly replicas?: Partial<Record<Role, number>>;
}

/** What a server tier runs on: the environment that names its backends, and how to stop them. */
export interface TierBackends {
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * The messaging, realtime and gateway processes over `backends`, and nginx routing between them
 * as the Ingress does. Its url is the Ingress's. The single and the clustered tier differ only in
 * their backends and how many processes of each role run.
 */
export async function startServiceTier(backends: TierBackends, options: ServiceTierOptions): Promise<ServiceTier> {
  const ports: Record<Role, number[]> = { messaging: [], realtime: [], gateway: [] };
  // A free port is released as soon as it is found, so the kernel may hand it out again: each process needs its own.
  const taken = new Set<number>();
  const distinctPort = async (): Promise<number> => {
    let port = await freePort();
    while (taken.has(port)) port = await freePort();
    taken.add(port);
    return port;
  };
  for (const role of ROLES) {
    for (let i = 0; i < (options.replicas?.[role] ?? 1); i += 1) ports[role].push(await distinctPort());
  }
  const ingressPort = await distinctPort();
  const url = `http://127.0.0.1:${ingressPort}`;
  const shared = { ...backends.env, HEARTH_PUBLIC_URL: url };
  const processes: Record<Role, ServiceProcess[]> = { messaging: [], realtime: [], gateway: [] };
  let ingress: Ingress | null = null;

  const stopBackends = async (): Promise<void> => {
    await ingress?.stop();
    await backends.stop();
  };
  try {
    for (const role of ROLES) {
      processes[role] = await Promise.all(ports[role].map((port) => startService({ ...options, env: { ...shared, ...options.env } }, role, port)));
    }
    ingress = await startIngress({ gateway: ports.gateway, realtime: ports.realtime }, ingressPort);
  } catch (error) {
    await Promise.allSettled(ROLES.flatMap((role) => processes[role].map((p) => p.stop())));
    await stopBackends();
    throw error;
  }

  const all = (): ServiceProcess[] => ROLES.flatMap((role) => processes[role]);
  return {
    url,
    port: ingressPort,
    dataDir: '',
    services: (role) => processes[role],
    get readyAfterMs() {
      return Math.max(...all().map((p) => p.readyAfterMs));
    },
    get process(): ChildProcess {
      return (processes.gateway[0] as ServiceProcess).process;
    },
    output: () =>
      all()
        .map((p) => `--- ${p.role} :${p.port} ---\n${p.output()}`)
        .join('\n'),
    /** With keepData, only the services stop: the backends (the tier's data) stay for a restart. */
    async stop(stopOptions: StopOptions = {}) {
      await Promise.all(all().map((p) => p.stop()));
      if (stopOptions.keepData !== true) await stopBackends();
    },
    async kill9() {
      await Promise.all(all().map((p) => p.kill9()));
    },
    async restart() {
      // Messaging first: the others' readiness does not need it, but their first requests do.
      for (const role of ROLES) await Promise.all(processes[role].map((p) => p.restart()));
    },
    // As the operator's Jobs run them: the store, and the files in it (whether files are on or not).
    runCommand: (args) => runHearthCommand(args, { HEARTH_DATABASE_URL: backends.env['HEARTH_DATABASE_URL'] ?? '', HEARTH_FILES_STORAGE: 'postgres' }),
  };
}
