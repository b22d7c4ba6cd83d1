import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestRecorder } from './controller-metrics.ts';
import { applyKubeConnection } from './kube-connection.ts';

/**
 * A thin HTTP transport to kube-apiserver that takes TLS, the agent and credentials from a
 * KubeConfig (applyToHTTPSOptions, which also refreshes exec/OIDC tokens). The informer uses
 * it instead of client-node's Watch, whose 30 s inactivity timer cannot be configured and
 * would cut every quiet watch (the server sends a bookmark only about once a minute).
 */
export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface KubeResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface KubeHttp {
  /** A request whose JSON answer is parsed whatever its status. */
  requestJson(method: string, path: string, options?: RequestJsonOptions): Promise<KubeResponse>;
  /** Opens a streaming GET and resolves once the status line and headers arrive. */
  openStream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage>;
}

export interface RequestJsonOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Aborts the request after this long (default 60 s). */
  readonly timeoutMs?: number;
}

/** A failed API call, with the HTTP status and the server's Status reason when it sent one. */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  /** The server's own words (its Status message), without our request line. */
  readonly serverMessage: string | undefined;
  constructor(status: number, body: unknown, context: string) {
    const statusBody = isStatus(body) ? body : undefined;
    super(`${context}: HTTP ${status}${statusBody?.message === undefined ? '' : `: ${statusBody.message}`}`);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = statusBody?.reason;
    this.serverMessage = statusBody?.message;
  }
}

export interface Status {
  kind: 'Status';
  code?: number;
  reason?: string;
  message?: string;
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

export interface KubeHttpOptions {
  /** Told of every request (rest_client_requests_total). */
  readonly recordRequest?: RequestRecorder;
}

/**
 * Tells `record` how a request ended: its status once the response's headers arrive (a watch
 * counts then, not when it ends), or no response at all.
 */
export function recordResponse(pending: Promise<IncomingMessage>, record: RequestRecorder | undefined, method: string, url: URL): Promise<IncomingMessage> {
  if (record === undefined) return pending;
  return pending.then(
    (response) => {
      record({ method, host: url.host, status: response.statusCode });
      return response;
    },
    (error: unknown) => {
      record({ method, host: url.host, status: undefined });
      throw error;
    },
  );
}

export function createKubeHttp(kubeConfig: KubeConfig, httpOptions: KubeHttpOptions = {}): KubeHttp {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  // A server URL may carry a path prefix (API proxies such as Rancher's): keep it.
  const prefix = server.pathname.replace(/\/+$/, '');

  const urlOf = (path: string, query: Query = {}): URL => {
    const url = new URL(`${prefix}${path}`, server);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  };

  const send = async (method: string, url: URL, signal: AbortSignal, body?: string): Promise<IncomingMessage> => {
    const options: RequestOptions = { method, signal, headers: { accept: 'application/json' } };
    await applyKubeConnection(kubeConfig, options);
    if (body !== undefined) options.headers = { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const pending = new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, options, resolve);
      req.on('error', reject);
      req.end(body);
    });
    return recordResponse(pending, httpOptions.recordRequest, method, url);
  };

  return {
    async requestJson(method, path, options = {}) {
      const signals = [AbortSignal.timeout(options.timeoutMs ?? 60_000)];
      if (options.signal !== undefined) signals.push(options.signal);
      const signal = AbortSignal.any(signals);
      const body = options.body === undefined ? undefined : JSON.stringify(options.body);
      const response = await send(method, urlOf(path, options.query), signal, body);
      const text = await readText(response);
      return { status: response.statusCode ?? 0, body: parseJson(text) };
    },
    openStream(path, query, signal) {
      return send('GET', urlOf(path, query), signal);
    },
  };
}

export async function readText(response: IncomingMessage): Promise<string> {
  response.setEncoding('utf8');
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return text;
}

/** JSON when the text is JSON, else the text itself (an error page, say). */
export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
