// The Ingress of a Hearth (when spec.ingress is set) and the URL people reach it at.
import type { V1HTTPIngressPath, V1IngressSpec } from '@kubernetes/client-node';
import type { Hearth } from '../api/index.ts';
import { objectMeta, type DesiredIngress } from './desired-object.ts';
import { hearthPortName, uploadBodyMiB } from './hearth-container.ts';
import type { Labels } from './labels.ts';
import { objectNames } from './names.ts';

export interface IngressRoute {
  /** A path prefix, matched by path element (`/api/realtime/` matches `/api/realtime/ws`). */
  readonly path: string;
  readonly service: string;
}

/**
 * ingress-nginx closes a proxied connection idle for 60 s by default, which would cut WebSockets
 * between heartbeats; other controllers ignore these annotations. SSE needs no buffering setting:
 * realtime sends `X-Accel-Buffering: no`.
 */
export const ingressAnnotations: Readonly<Record<string, string>> = Object.freeze({
  'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
  'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
});

export function buildIngress(hearth: Hearth, labels: Labels, routes: readonly IngressRoute[]): DesiredIngress | undefined {
  const ingress = hearth.spec.ingress;
  if (ingress === undefined) return undefined;
  const paths = routes.map((route): V1HTTPIngressPath => ({
    path: route.path,
    pathType: 'Prefix',
    backend: { service: { name: route.service, port: { name: hearthPortName } } },
  }));
  const spec: V1IngressSpec = { rules: [{ host: ingress.host, http: { paths } }] };
  if (ingress.className !== undefined) spec.ingressClassName = ingress.className;
  if (ingress.tlsSecretName !== undefined) spec.tls = [{ hosts: [ingress.host], secretName: ingress.tlsSecretName }];
  // ingress-nginx refuses a body over 1 MiB by default: a file must get through to Hearth, which knows the limit.
  const bodyMiB = uploadBodyMiB(hearth);
  const annotations =
    bodyMiB === undefined ? { ...ingressAnnotations } : { ...ingressAnnotations, 'nginx.ingress.kubernetes.io/proxy-body-size': `${bodyMiB}m` };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: objectMeta(hearth, objectNames(hearth.metadata.name ?? '').ingress, labels, annotations),
    spec,
  };
}

/**
 * https://<host> with a TLS secret, http://<host> without; with no Ingress, the in-cluster address
 * of `service` (the Service that answers `/`).
 */
export function publicUrl(hearth: Hearth, service: string): string {
  const ingress = hearth.spec.ingress;
  if (ingress !== undefined) return `${ingress.tlsSecretName === undefined ? 'http' : 'https'}://${ingress.host}`;
  return `http://${service}.${hearth.metadata.namespace ?? 'default'}.svc`;
}
