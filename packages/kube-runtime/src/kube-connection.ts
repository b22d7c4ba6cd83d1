import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * The agents client-node makes (KubeConfig.createAgent) do not keep connections alive, so each
 * API request opened a TCP connection and a TLS session of its own: at 200 Hearths, thousands of
 * handshakes for the operator and the API server alike. The same TLS options with keepAlive, one
 * agent per agent client-node hands out (it caches those per cluster and user).
 */
const keptAlive = new WeakMap<object, HttpAgent>();

/** The TLS options applyToHTTPSOptions puts on a request, which its agent was made from. */
function tlsOptionsOf(options: RequestOptions): AgentOptions {
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = options;
  const tls: AgentOptions = { ca, cert, key, pfx, passphrase, servername };
  // Left out when not configured, so that NODE_TLS_REJECT_UNAUTHORIZED still applies, as client-node does.
  if (rejectUnauthorized !== undefined) tls.rejectUnauthorized = rejectUnauthorized;
  return tls;
}

function keepAliveAgentFor(agent: HttpAgent, options: RequestOptions): HttpAgent {
  let kept = keptAlive.get(agent);
  if (kept === undefined) {
    kept = agent instanceof HttpsAgent ? new HttpsAgent({ ...tlsOptionsOf(options), keepAlive: true }) : new HttpAgent({ keepAlive: true });
    keptAlive.set(agent, kept);
  }
  return kept;
}

/**
 * `options` for a request to the cluster's API server: client-node's credentials and TLS
 * (applyToHTTPSOptions, which also refreshes exec and OIDC tokens), over connections kept alive.
 * A proxy's agent (the cluster's proxy-url) is left as it is.
 */
export async function applyKubeConnection(kubeConfig: KubeConfig, options: RequestOptions): Promise<void> {
  await kubeConfig.applyToHTTPSOptions(options);
  const agent = options.agent;
  const plainAgent = agent instanceof HttpAgent && (agent.constructor === HttpAgent || agent.constructor === HttpsAgent);
  if (plainAgent && kubeConfig.getCurrentCluster()?.proxyUrl === undefined) options.agent = keepAliveAgentFor(agent, options);
}
