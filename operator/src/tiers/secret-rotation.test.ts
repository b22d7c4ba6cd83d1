import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec } from '../api/index.ts';
import { cloudNativePGRefusal, rotateSecretsAnnotation, rotateSecretsOnlyAnnotation, rotationDecisions, rotationRequest } from './secret-rotation.ts';
import { singleSecrets } from './single.ts';
import { hearthFixture } from './testing.ts';

function hearthWith(spec: HearthSpec, annotations: Record<string, string>) {
  const hearth = hearthFixture(spec);
  hearth.metadata.annotations = annotations;
  return hearth;
}

/** Each decision as `action secret`. */
function decide(spec: HearthSpec, annotations: Record<string, string>, handled: Record<string, string | undefined>): string[] {
  const hearth = hearthWith(spec, annotations);
  return rotationDecisions(hearth, singleSecrets(hearth), new Map(Object.entries(handled))).map((decision) => `${decision.action} ${decision.secret.name}`);
}

const none = { 'acme-session-key': undefined, 'acme-postgres-credentials': undefined, 'acme-nats-credentials': undefined, 'acme-redis-credentials': undefined };

describe('rotationDecisions', () => {
  it('rotates only on a request not carried out yet, refusing what a roll cannot change', () => {
    const request = { [rotateSecretsAnnotation]: 'r1' };
    const cases: { name: string; spec: HearthSpec; annotations: Record<string, string>; handled: Record<string, string | undefined>; want: string[] }[] = [
      { name: 'no request', spec: { tier: 'single' }, annotations: {}, handled: none, want: [] },
      { name: 'an empty request', spec: { tier: 'single' }, annotations: { [rotateSecretsAnnotation]: ' ' }, handled: none, want: [] },
      {
        name: 'a new request on the single tier: PostgreSQL’s password set in the server first (it is in its volume)',
        spec: { tier: 'single' },
        annotations: request,
        handled: none,
        want: ['rotate acme-session-key', 'alterPassword acme-postgres-credentials', 'rotate acme-nats-credentials', 'rotate acme-redis-credentials'],
      },
      {
        name: 'the request carried out already: nothing',
        spec: { tier: 'single' },
        annotations: request,
        handled: { 'acme-session-key': 'r1', 'acme-postgres-credentials': 'r1', 'acme-nats-credentials': 'r1', 'acme-redis-credentials': 'r1' },
        want: [],
      },
      {
        name: 'a second request after the first',
        spec: { tier: 'single' },
        annotations: { [rotateSecretsAnnotation]: 'r2', [rotateSecretsOnlyAnnotation]: 'session' },
        handled: { ...none, 'acme-session-key': 'r1' },
        want: ['rotate acme-session-key'],
      },
      {
        name: 'only some, by component',
        spec: { tier: 'single' },
        annotations: { ...request, [rotateSecretsOnlyAnnotation]: 'session, redis' },
        handled: none,
        want: ['rotate acme-session-key', 'rotate acme-redis-credentials'],
      },
      {
        name: 'a Secret not there yet is created new anyway: not rotated',
        spec: { tier: 'single' },
        annotations: { ...request, [rotateSecretsOnlyAnnotation]: 'session,nats' },
        handled: { 'acme-session-key': undefined },
        want: ['rotate acme-session-key'],
      },
      {
        name: 'clustered: a NATS cluster and Redis with Sentinels refused (their members authenticate to each other)',
        spec: { tier: 'clustered' },
        annotations: request,
        handled: none,
        want: ['rotate acme-session-key', 'refuse acme-nats-credentials', 'refuse acme-redis-credentials'],
      },
      {
        name: 'clustered with a standalone Redis: that one rotates',
        spec: { tier: 'clustered', redis: { mode: 'standalone' } },
        annotations: { ...request, [rotateSecretsOnlyAnnotation]: 'redis' },
        handled: none,
        want: ['rotate acme-redis-credentials'],
      },
    ];
    for (const { name, spec, annotations, handled, want } of cases) assert.deepEqual(decide(spec, annotations, handled), want, name);
  });

  it('says why a refused Secret is refused and how to go about it, never with a value', () => {
    const hearth = hearthWith({ tier: 'clustered' }, { [rotateSecretsAnnotation]: 'r1', [rotateSecretsOnlyAnnotation]: 'nats' });
    const [refused] = rotationDecisions(hearth, singleSecrets(hearth), new Map(Object.entries(none)));
    assert.equal(refused?.action, 'refuse');
    assert.match(refused.action === 'refuse' ? refused.message : '', /route password.*docs\/operator\.md#rotating-generated-secrets/);
  });
});

describe('cloudNativePGRefusal', () => {
  it('tells a request that takes in PostgreSQL on the clustered tier to rotate it CloudNativePG’s way; nothing elsewhere', () => {
    const cases: { name: string; spec: HearthSpec; annotations: Record<string, string>; want: string | undefined }[] = [
      { name: 'clustered, all', spec: { tier: 'clustered' }, annotations: { [rotateSecretsAnnotation]: 'r1' }, want: 'acme-postgres-app' },
      {
        name: 'clustered, postgres',
        spec: { tier: 'clustered' },
        annotations: { [rotateSecretsAnnotation]: 'r1', [rotateSecretsOnlyAnnotation]: 'redis, postgres' },
        want: 'acme-postgres-app',
      },
      {
        name: 'clustered, nats only',
        spec: { tier: 'clustered' },
        annotations: { [rotateSecretsAnnotation]: 'r1', [rotateSecretsOnlyAnnotation]: 'nats' },
        want: undefined,
      },
      { name: 'clustered, no request', spec: { tier: 'clustered' }, annotations: {}, want: undefined },
      {
        name: 'clustered on an external database',
        spec: { tier: 'clustered', database: { external: { secretRef: { name: 'pg' } } } },
        annotations: { [rotateSecretsAnnotation]: 'r1' },
        want: undefined,
      },
      { name: 'single: the operator rotates it', spec: { tier: 'single' }, annotations: { [rotateSecretsAnnotation]: 'r1' }, want: undefined },
    ];
    for (const { name, spec, annotations, want } of cases) assert.equal(cloudNativePGRefusal(hearthWith(spec, annotations))?.secret, want, name);
    const refusal = cloudNativePGRefusal(hearthWith({ tier: 'clustered' }, { [rotateSecretsAnnotation]: 'r1' }));
    assert.match(refusal?.message ?? '', /^Secret acme-postgres-app was not rotated: .*CloudNativePG's way.*docs\/operator\.md#rotating-generated-secrets/);
  });
});

describe('rotationRequest', () => {
  it('is the trimmed annotation, or nothing', () => {
    assert.equal(rotationRequest(hearthWith({}, { [rotateSecretsAnnotation]: ' 2026-12-05 ' })), '2026-12-05');
    assert.equal(rotationRequest(hearthWith({}, {})), undefined);
  });
});
