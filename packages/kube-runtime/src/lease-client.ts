import {
  ApiException,
  CoordinationV1Api,
  createConfiguration,
  Observable,
  type ConfigurationOptions,
  type HttpLibrary,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
  type V1LeaseSpec,
} from '@kubernetes/client-node';
import type { RequestRecorder } from './controller-metrics.ts';

/** The three calls leader election makes on its one Lease, each bounded by a timeout. */
export interface LeaseClient {
  /** The Lease, or undefined when it does not exist yet. */
  read(): Promise<V1Lease | undefined>;
  create(spec: V1LeaseSpec): Promise<V1Lease>;
  /** Replaces `lease` (its resourceVersion rides along: the server refuses with 409 if anyone wrote since). */
  replace(lease: V1Lease, spec: V1LeaseSpec): Promise<V1Lease>;
}

export interface LeaseClientOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly requestTimeoutMs: number;
  readonly recordRequest?: RequestRecorder | undefined;
}

/** 409: another candidate wrote the Lease since we read it. */
export function isConflict(error: unknown): boolean {
  return isApiStatus(error, 409);
}

function isApiStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/** Makes the generated client abort a request after `ms` (it has no timeout of its own). */
function timeoutMiddleware(ms: number): ObservableMiddleware {
  return {
    pre(context: RequestContext) {
      context.setSignal(AbortSignal.timeout(ms));
      return new Observable(Promise.resolve(context));
    },
    post: (context: ResponseContext) => new Observable(Promise.resolve(context)),
  };
}

/**
 * The generated client's HTTP library, telling `record` of each request's status, or of its
 * failure (no response: refused, reset, timed out), which middleware's post() never sees.
 */
function recordingHttpApi(record: RequestRecorder): HttpLibrary {
  const inner = createConfiguration().httpApi;
  return {
    send(context: RequestContext) {
      const request = { method: context.getHttpMethod(), host: new URL(context.getUrl()).host };
      const sent = inner.send(context).toPromise();
      return new Observable(
        sent.then(
          (response) => {
            record({ ...request, status: response.httpStatusCode });
            return response;
          },
          (error: unknown) => {
            record({ ...request, status: undefined });
            throw error;
          },
        ),
      );
    },
  };
}

export function createLeaseClient(options: LeaseClientOptions): LeaseClient {
  const { name, namespace } = options;
  const api = options.kubeConfig.makeApiClient(CoordinationV1Api);
  const requestOptions: ConfigurationOptions = {
    middleware: [timeoutMiddleware(options.requestTimeoutMs)],
    middlewareMergeStrategy: 'append',
    ...(options.recordRequest === undefined ? {} : { httpApi: recordingHttpApi(options.recordRequest) }),
  };
  return {
    async read() {
      try {
        return await api.readNamespacedLease({ name, namespace }, requestOptions);
      } catch (error) {
        if (isApiStatus(error, 404)) return undefined;
        throw error;
      }
    },
    create: (spec) =>
      api.createNamespacedLease(
        { namespace, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec } },
        requestOptions,
      ),
    replace: (lease, spec) => api.replaceNamespacedLease({ name, namespace, body: { ...lease, spec } }, requestOptions),
  };
}
