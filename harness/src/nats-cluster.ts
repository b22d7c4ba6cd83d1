// A NATS cluster with JetStream on loopback, as the clustered tier runs it: `size` nats-servers
// routed to each other, each with its own JetStream store, so that a stream of R3 survives the
// loss of any one node. Each node can be killed and brought back on its ports, keeping its store.
// As the operator deploys it, nobody connects anonymously: clients and routes each have a
// generated user and password.
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { natsUserInfo, startNatsNode, type NatsAuth, type NatsServer } from './nats.ts';
import { freePort, waitUntil } from './process.ts';

export interface NatsCluster {
  /** The nodes, in the order they were started; each is a NatsServer of its own. */
  readonly nodes: readonly NatsServer[];
  /** Every node's client URL with the client credentials, comma-separated: what HEARTH_NATS_URL takes. */
  readonly url: string;
  /** What clients must give. */
  readonly clientAuth: NatsAuth;
  /** Resolves once JetStream has a meta leader and every node that runs is current with it. */
  waitForQuorum(): Promise<void>;
  stop(): Promise<void>;
}

export const natsClusterName = 'hearth';

/** Starts a cluster of `size` (3 by default) nats-servers with JetStream, and waits for its quorum. */
export async function startNatsCluster(options: { size?: number } = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const routePorts: number[] = [];
  for (let i = 0; i < size; i += 1) routePorts.push(await freePort());
  const clientAuth = generatedAuth('hearth');
  const routeAuth = natsUserInfo(generatedAuth('route'));
  const routes = routePorts.map((port) => `nats://${routeAuth}127.0.0.1:${port}`).join(',');
  const nodes: NatsServer[] = [];
  try {
    // All at once: a node waits for its routes to elect a JetStream meta leader before it is healthy.
    const started = await Promise.all(
      routePorts.map((routePort, index) =>
        startNatsNode({
          name: `node-${index}`,
          clientAuth,
          // The user in the listen URL is the one routes must give; the same is in each route URL.
          args: ['--cluster_name', natsClusterName, '--cluster', `nats://${routeAuth}127.0.0.1:${routePort}`, '--routes', routes],
        }),
      ),
    );
    nodes.push(...started);
  } catch (error) {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    throw error;
  }
  const cluster: NatsCluster = {
    nodes,
    url: nodes.map((node) => node.url.replace('nats://', `nats://${natsUserInfo(clientAuth)}`)).join(','),
    clientAuth,
    waitForQuorum: () => waitUntil('a NATS JetStream meta leader', () => hasMetaLeader(nodes), null),
    async stop() {
      await Promise.allSettled(nodes.map((node) => node.stop()));
    },
  };
  await cluster.waitForQuorum();
  return cluster;
}

/** Some node that answers names a meta leader, and that leader is a node that answers. */
async function hasMetaLeader(nodes: readonly NatsServer[]): Promise<boolean> {
  const answers = (await Promise.all(nodes.map((node) => metaLeaderOf(node.monitorUrl)))).filter((leader) => leader !== undefined);
  const leader = answers[0];
  return leader !== undefined && leader !== '' && answers.every((other) => other === leader);
}

/** The meta leader a node's /jsz names ('' while there is none), or undefined when it does not answer. */
function metaLeaderOf(monitorUrl: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get(`${monitorUrl}/jsz`, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve((JSON.parse(body) as { meta_cluster?: { leader?: string } }).meta_cluster?.leader ?? '');
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on('error', () => resolve(undefined));
  });
}

function generatedAuth(user: string): NatsAuth {
  return { user, password: randomBytes(12).toString('hex') };
}
