// The few API calls the reconcile makes, as plain JSON over the KubeConfig's transport. Not through
// client-node's ObjectSerializer: it would drop a NetworkPolicy rule's `from` (desired-object.ts).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import {
  applyKubeConnection,
  KubeApiError,
  parseJson,
  readText,
  recordResponse,
  type KubeObject,
  type OwnWrites,
  type RequestRecorder,
} from '@hearth/kube-runtime';

export const fieldManager = 'hearth-operator';

export type PatchType = 'apply' | 'merge';

const contentTypes: Readonly<Record<PatchType, string>> = {
  // Server-side apply takes YAML, and JSON is YAML.
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
};

export interface KubeClient {
  /** The object, or undefined when it does not exist. */
  get(path: string): Promise<KubeObject | undefined>;
  list(path: string, labelSelector?: string): Promise<KubeObject[]>;
  /** Creates at the collection `path`: the object as created, or undefined when one of that name exists. */
  create(path: string, object: unknown): Promise<KubeObject | undefined>;
  /** Server-side apply under our one field manager, taking over fields others changed. */
  apply(path: string, object: unknown, options?: { dryRun?: boolean }): Promise<KubeObject>;
  mergePatch(path: string, patch: unknown): Promise<KubeObject>;
  /**
   * Deletes in the background; false when it was already gone, or (given a uid) when the object of
   * that name is another one now.
   */
  delete(path: string, options?: { uid?: string }): Promise<boolean>;
  /**
   * A text subresource (a pod's log), or undefined when the API server cannot give it: no such pod,
   * or no kubelet to ask (a pod not scheduled, a control plane without nodes).
   */
  text(path: string, query?: Record<string, string>): Promise<string | undefined>;
  /** API requests made, by method (for tests and the benchmark). */
  requests(): Readonly<Record<string, number>>;
}

/** One request to the API server: a JSON body, if any, sent as `contentType` (JSON when not given). */
interface KubeRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly contentType?: string;
}

interface Sent {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export interface KubeClientOptions {
  readonly timeoutMs?: number;
  /** Told of every request (rest_client_requests_total). */
  readonly recordRequest?: RequestRecorder;
}

export function createKubeClient(kubeConfig: KubeConfig, { timeoutMs = 30_000, recordRequest }: KubeClientOptions = {}): KubeClient {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const server = new URL(cluster.server);
  const prefix = server.pathname.replace(/\/+$/, '');
  const counts: Record<string, number> = {};

  const send = async ({ method, path, query = {}, body, contentType = 'application/json' }: KubeRequest): Promise<Sent> => {
    counts[method] = (counts[method] ?? 0) + 1;
    const url = new URL(`${prefix}${path}`, server);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options: RequestOptions = { method, signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } };
    await applyKubeConnection(kubeConfig, options);
    if (payload !== undefined) options.headers = { ...options.headers, 'content-type': contentType, 'content-length': Buffer.byteLength(payload) };
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const pending = new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, options, resolve);
      req.on('error', reject);
      req.end(payload);
    });
    const response = await recordResponse(pending, recordRequest, method, url);
    const text = await readText(response);
    return { status: response.statusCode ?? 0, body: parseJson(text), text };
  };
  const ok = (sent: Sent, context: string): KubeObject => {
    if (sent.status < 200 || sent.status >= 300) throw new KubeApiError(sent.status, sent.body, context);
    return sent.body as KubeObject;
  };

  return {
    async get(path) {
      const sent = await send({ method: 'GET', path });
      return sent.status === 404 ? undefined : ok(sent, `GET ${path}`);
    },
    async list(path, labelSelector) {
      const sent = await send({ method: 'GET', path, query: labelSelector === undefined ? {} : { labelSelector } });
      return (ok(sent, `LIST ${path}`) as { items?: KubeObject[] }).items ?? [];
    },
    async create(path, object) {
      const sent = await send({ method: 'POST', path, query: { fieldManager }, body: object });
      if (sent.status === 409) return undefined;
      return ok(sent, `POST ${path}`);
    },
    async apply(path, object, options = {}) {
      const query: Record<string, string> = { fieldManager, force: 'true' };
      if (options.dryRun === true) query.dryRun = 'All';
      return ok(await send({ method: 'PATCH', path, query, body: object, contentType: contentTypes.apply }), `apply ${path}`);
    },
    async mergePatch(path, patch) {
      return ok(await send({ method: 'PATCH', path, query: { fieldManager }, body: patch, contentType: contentTypes.merge }), `PATCH ${path}`);
    },
    async delete(path, options = {}) {
      // Background: nothing waits on a garbage collector, which may not run at all.
      const body = {
        kind: 'DeleteOptions',
        apiVersion: 'v1',
        propagationPolicy: 'Background',
        ...(options.uid === undefined ? {} : { preconditions: { uid: options.uid } }),
      };
      const sent = await send({ method: 'DELETE', path, body });
      if (sent.status === 404 || (options.uid !== undefined && sent.status === 409)) return false;
      ok(sent, `DELETE ${path}`);
      return true;
    },
    async text(path, query) {
      const sent = await send({ method: 'GET', path, ...(query === undefined ? {} : { query }) });
      return sent.status >= 200 && sent.status < 300 ? sent.text : undefined;
    },
    requests: () => ({ ...counts }),
  };
}

/**
 * The client with each create, apply and merge patch told to `writes` (kube-runtime's OwnWrites), so
 * the controller can tell their watch events from others' changes. A dry run writes nothing.
 */
export function tellingOwnWrites(client: KubeClient, writes: OwnWrites): KubeClient {
  const told = async <T extends KubeObject | undefined>(path: string, write: () => Promise<T>): Promise<T> => {
    const pending = writes.begin(path);
    try {
      const answer = await write();
      pending.end(answer);
      return answer;
    } catch (error) {
      pending.end(undefined);
      throw error;
    }
  };
  return {
    ...client,
    create: (path, object) => told(`${path}/${encodeURIComponent(nameOf(object))}`, () => client.create(path, object)),
    apply: (path, object, options = {}) =>
      options.dryRun === true ? client.apply(path, object, options) : told(path, () => client.apply(path, object, options)),
    mergePatch: (path, patch) => told(path, () => client.mergePatch(path, patch)),
  };
}

function nameOf(object: unknown): string {
  return (object as KubeObject).metadata?.name ?? '';
}
