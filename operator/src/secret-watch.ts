// Noticing a change to a Secret a Hearth's pods read, whoever made it. The Secrets a person makes
// (an external backend's URL, the OIDC client secret) carry none of the operator's labels, so no
// label selector finds them, and a field selector cannot name a set of names. The operator
// therefore watches every Secret of the watched namespaces, but as metadata only
// (PartialObjectMetadata, as controller-runtime's metadata-only watches do): the cache holds names,
// labels, annotations and resourceVersions, never the data, which a reconcile reads by name for
// the few Secrets a Hearth uses (reconcile/secrets-checksums.ts). Service account tokens and Helm
// release records, the two kinds of Secret most clusters hold in numbers and no Hearth reads, are
// left out by the API server (a field selector on type). A changed Secret is mapped back to the
// Hearths that name it through an index kept from the Hearth informer's events.
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeHttp, objectKey, type Informer, type KubeHttp, type KubeHttpOptions, type KubeObject } from '@hearth/kube-runtime';
import type { Hearth } from './api/index.ts';
import { secretNamesOf } from './tiers/index.ts';

/** The Secrets no Hearth reads and clusters hold many of: not sent to the operator at all. */
export const secretWatchFieldSelector = 'type!=kubernetes.io/service-account-token,type!=helm.sh/release.v1';

const listAccept = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
const watchAccept = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/**
 * A transport whose LISTs and WATCHes ask the API server for metadata only. The server picks the
 * form by the Accept header, which differs between a list and a watch, so each goes through a
 * transport of its own; everything else (TLS, credentials, request metrics) is the KubeConfig's.
 */
export function createMetadataHttp(kubeConfig: KubeConfig, options: KubeHttpOptions = {}): KubeHttp {
  const lists = createKubeHttp(withAccept(kubeConfig, listAccept), options);
  const watches = createKubeHttp(withAccept(kubeConfig, watchAccept), options);
  return {
    requestJson: (method, path, request) => lists.requestJson(method, path, request),
    openStream: (path, query, signal) => watches.openStream(path, query, signal),
  };
}

/** `kubeConfig`, but every request it prepares asks for `accept`. */
function withAccept(kubeConfig: KubeConfig, accept: string): KubeConfig {
  return new Proxy(kubeConfig, {
    get(target, property, receiver) {
      if (property === 'applyToHTTPSOptions') {
        return async (options: { headers?: Record<string, unknown> }): Promise<void> => {
          await target.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
          options.headers = { ...options.headers, accept };
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export interface SecretReferenceIndex {
  /** The keys (namespace/name) of the Hearths whose pods may read `secret`. */
  keysOf(secret: KubeObject): string[];
}

/**
 * Secret (namespace/name) → the Hearths that name it, kept up to date from the Hearth informer:
 * a Secret event costs a map lookup, however many Hearths there are.
 */
export function createSecretReferenceIndex(hearths: Informer<Hearth & KubeObject>): SecretReferenceIndex {
  const bySecret = new Map<string, Set<string>>();
  const byHearth = new Map<string, string[]>();
  const forget = (hearthKey: string): void => {
    for (const secret of byHearth.get(hearthKey) ?? []) {
      const keys = bySecret.get(secret);
      keys?.delete(hearthKey);
      if (keys?.size === 0) bySecret.delete(secret);
    }
    byHearth.delete(hearthKey);
  };
  const remember = (hearth: Hearth & KubeObject): void => {
    const hearthKey = objectKey(hearth);
    forget(hearthKey);
    const secrets = secretNamesOf(hearth).map((name) => `${hearth.metadata.namespace ?? ''}/${name}`);
    byHearth.set(hearthKey, secrets);
    for (const secret of secrets) bySecret.set(secret, (bySecret.get(secret) ?? new Set()).add(hearthKey));
  };
  hearths.addHandlers({ onAdd: remember, onUpdate: (_previous, hearth) => remember(hearth), onDelete: (hearth) => forget(objectKey(hearth)) });
  return { keysOf: (secret) => [...(bySecret.get(objectKey(secret)) ?? [])] };
}
