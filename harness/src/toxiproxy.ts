import path from 'node:path';
import { isExecutable, pinnedVersion, repoRoot } from './pinned.ts';
import { freePort, startChild, waitUntil, type Child } from './process.ts';

/**
 * Shopify's toxiproxy (scripts/build-toxiproxy.sh) on loopback: a TCP proxy per backend, so that a
 * test can put network faults between the services and that backend (added latency, connections
 * reset, a black hole) through its HTTP API, without root or network namespaces.
 */

/** A toxic as toxiproxy's API takes it (https://github.com/Shopify/toxiproxy#toxics). */
export type Toxic =
  | { readonly type: 'latency'; readonly latencyMs: number; readonly jitterMs: number }
  /** Resets the connections (TCP RST) after timeoutMs of data, 0 at once. */
  | { readonly type: 'reset_peer'; readonly timeoutMs: number }
  /** Drops every byte and closes the connection after timeoutMs: a black hole that ends. */
  | { readonly type: 'timeout'; readonly timeoutMs: number };

export interface Toxiproxy {
  /** The HTTP API's base URL. */
  readonly apiUrl: string;
  /** A proxy named `name` from a free loopback port to `upstreamPort`; returns the port to connect to instead. */
  proxy(name: string, upstreamPort: number): Promise<number>;
  /** Adds `toxic` to both directions of the proxy's connections; returns the toxic names, for removeToxics. */
  addToxic(proxy: string, toxic: Toxic): Promise<readonly string[]>;
  removeToxics(proxy: string, names: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

/** The toxiproxy-server binary; throws, saying how to build it, when it is not there. */
export async function toxiproxyBinary(): Promise<string> {
  const version = await pinnedVersion('build-toxiproxy.sh', 'toxiproxy_version');
  const binary = path.join(repoRoot, '.cache', 'toxiproxy', version, 'toxiproxy-server');
  if (!(await isExecutable(binary))) throw new Error(`toxiproxy ${version} is not built at ${path.relative(repoRoot, binary)}: run \`make toxiproxy-bin\``);
  return binary;
}

/** The toxic's attributes in the API's terms (its units are milliseconds). */
export function toxicAttributes(toxic: Toxic): Record<string, number> {
  switch (toxic.type) {
    case 'latency':
      return { latency: toxic.latencyMs, jitter: toxic.jitterMs };
    case 'reset_peer':
    case 'timeout':
      return { timeout: toxic.timeoutMs };
  }
}

async function call(apiUrl: string, method: string, route: string, body?: object): Promise<void> {
  const response = await fetch(`${apiUrl}${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`toxiproxy ${method} ${route} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
}

export async function startToxiproxy(): Promise<Toxiproxy> {
  const binary = await toxiproxyBinary();
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const child: Child = startChild(binary, ['-host', '127.0.0.1', '-port', String(apiPort)]);
  const answers = (): Promise<boolean> =>
    fetch(`${apiUrl}/version`, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
  await waitUntil(`toxiproxy-server (${binary})`, answers, child);
  return {
    apiUrl,
    async proxy(name, upstreamPort) {
      const port = await freePort();
      await call(apiUrl, 'POST', '/proxies', { name, listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${upstreamPort}`, enabled: true });
      return port;
    },
    async addToxic(proxy, toxic) {
      const names = (['downstream', 'upstream'] as const).map((stream) => `${toxic.type}-${stream}`);
      for (const [i, stream] of (['downstream', 'upstream'] as const).entries()) {
        await call(apiUrl, 'POST', `/proxies/${proxy}/toxics`, { name: names[i], type: toxic.type, stream, toxicity: 1, attributes: toxicAttributes(toxic) });
      }
      return names;
    },
    async removeToxics(proxy, names) {
      for (const name of names) await call(apiUrl, 'DELETE', `/proxies/${proxy}/toxics/${name}`);
    },
    async stop() {
      await child.stop();
    },
  };
}
