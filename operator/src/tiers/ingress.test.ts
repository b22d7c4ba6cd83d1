import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec, IngressSpec } from '../api/index.ts';
import { buildIngress, ingressAnnotations, publicUrl, type IngressRoute } from './ingress.ts';
import { hearthFixture } from './testing.ts';

const labels = { 'app.kubernetes.io/instance': 'acme', 'app.kubernetes.io/component': 'gateway' };
const routes: IngressRoute[] = [
  { path: '/api/realtime/', service: 'acme-realtime' },
  { path: '/', service: 'acme-gateway' },
];

describe('buildIngress', () => {
  it('is there only when spec.ingress is', () => {
    assert.equal(buildIngress(hearthFixture({}), labels, routes), undefined);
  });

  it('routes each prefix, in order, to its Service’s http port on the host', () => {
    const ingress = buildIngress(hearthFixture({ ingress: { host: 'chat.acme.example' } }), labels, routes);
    assert.deepEqual(
      [ingress?.apiVersion, ingress?.kind, ingress?.metadata.name, ingress?.metadata.labels],
      ['networking.k8s.io/v1', 'Ingress', 'acme', labels],
    );
    assert.deepEqual(ingress?.spec?.rules, [
      {
        host: 'chat.acme.example',
        http: {
          paths: [
            { path: '/api/realtime/', pathType: 'Prefix', backend: { service: { name: 'acme-realtime', port: { name: 'http' } } } },
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'acme-gateway', port: { name: 'http' } } } },
          ],
        },
      },
    ]);
    assert.equal(ingress?.metadata.ownerReferences?.[0]?.kind, 'Hearth');
  });

  it('keeps WebSockets open between heartbeats, on a copy of the annotations', () => {
    const ingress = buildIngress(hearthFixture({ ingress: { host: 'chat.acme.example' } }), labels, routes);
    assert.deepEqual(ingress?.metadata.annotations, {
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
    });
    assert.notEqual(ingress?.metadata.annotations, ingressAnnotations);
  });

  it('lets a file at the upload limit through ingress-nginx, whose own limit is 1 MiB', () => {
    const ingress = buildIngress(
      hearthFixture({ ingress: { host: 'chat.acme.example' }, features: { files: true }, files: { maxSizeMiB: 40 } }),
      labels,
      routes,
    );
    assert.equal(ingress?.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'], '41m');
  });

  it('sets the class and TLS only when given', () => {
    const cases: { name: string; ingress: IngressSpec; className: string | undefined; tls: unknown }[] = [
      { name: 'host only', ingress: { host: 'chat.acme.example' }, className: undefined, tls: undefined },
      { name: 'a class', ingress: { host: 'chat.acme.example', className: 'nginx' }, className: 'nginx', tls: undefined },
      {
        name: 'TLS',
        ingress: { host: 'chat.acme.example', tlsSecretName: 'chat-tls' },
        className: undefined,
        tls: [{ hosts: ['chat.acme.example'], secretName: 'chat-tls' }],
      },
    ];
    for (const { name, ingress, className, tls } of cases) {
      const spec = buildIngress(hearthFixture({ ingress }), labels, routes)?.spec;
      assert.equal(spec?.ingressClassName, className, name);
      assert.deepEqual(spec?.tls, tls, name);
      assert.equal(spec !== undefined && 'ingressClassName' in spec, className !== undefined, `${name}: no key without a class`);
    }
  });
});

describe('publicUrl', () => {
  it('is the Ingress host, https with a TLS secret, else the Service’s in-cluster address', () => {
    const cases: { spec: HearthSpec; namespace?: string; want: string }[] = [
      { spec: {}, want: 'http://acme-gateway.chat.svc' },
      { spec: {}, namespace: 'team-a', want: 'http://acme-gateway.team-a.svc' },
      { spec: { ingress: { host: 'chat.acme.example' } }, want: 'http://chat.acme.example' },
      { spec: { ingress: { host: 'chat.acme.example', tlsSecretName: 'tls' } }, want: 'https://chat.acme.example' },
    ];
    for (const { spec, namespace, want } of cases) {
      const hearth = hearthFixture(spec, namespace === undefined ? {} : { namespace });
      assert.equal(publicUrl(hearth, 'acme-gateway'), want);
    }
  });
});
