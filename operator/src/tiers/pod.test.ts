import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HearthSpec, Quantity, ResourceRequirements } from '../api/index.ts';
import {
  claimRetentionPolicy,
  claimTemplate,
  containerSecurityContext,
  emptyDirVolume,
  execProbe,
  httpProbe,
  imageUsers,
  podSecurityContext,
  quantity,
  resourceRequirements,
  secretEnv,
  tmpMount,
  tmpVolume,
  valueEnv,
} from './pod.ts';
import { hearthFixture } from './testing.ts';

const timing = { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 };

describe('the restricted Pod Security Standard', () => {
  it('runs each image as its own numeric user, the volumes owned by its group', () => {
    for (const user of Object.values(imageUsers)) {
      assert.deepEqual(podSecurityContext(user), {
        runAsNonRoot: true,
        runAsUser: user,
        runAsGroup: user,
        fsGroup: user,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
    }
    assert.deepEqual(imageUsers, { hearth: 65532, postgres: 999, redis: 999, nats: 1000 });
  });

  it('drops every capability, escalation and a writable root in each container', () => {
    assert.deepEqual(containerSecurityContext(), {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    assert.notEqual(containerSecurityContext(), containerSecurityContext(), 'a fresh object each time: no container shares another’s');
  });
});

describe('resources', () => {
  const defaults = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };

  it('writes a quantity as Kubernetes does, a number of bytes as its digits', () => {
    const cases: [Quantity, string][] = [
      ['10Gi', '10Gi'],
      ['500m', '500m'],
      [1073741824, '1073741824'],
      [2, '2'],
    ];
    for (const [value, want] of cases) assert.equal(quantity(value), want, String(value));
  });

  it('takes the spec’s requirements whole, else the defaults', () => {
    const cases: { name: string; spec: ResourceRequirements | undefined; want: unknown }[] = [
      { name: 'none given', spec: undefined, want: defaults },
      { name: 'an empty block', spec: {}, want: defaults },
      { name: 'limits only: no default requests mixed in', spec: { limits: { memory: '1Gi' } }, want: { limits: { memory: '1Gi' } } },
      { name: 'requests only', spec: { requests: { cpu: 1, memory: 268435456 } }, want: { requests: { cpu: '1', memory: '268435456' } } },
      {
        name: 'both',
        spec: { requests: { cpu: '250m' }, limits: { cpu: '2', memory: '2Gi' } },
        want: { requests: { cpu: '250m' }, limits: { cpu: '2', memory: '2Gi' } },
      },
    ];
    for (const { name, spec, want } of cases) assert.deepEqual(resourceRequirements(spec, defaults), want, name);
  });
});

describe('environment and probes', () => {
  it('writes a variable as a value or a reference to a Secret’s key', () => {
    assert.deepEqual(valueEnv('HEARTH_HTTP_PORT', '8080'), { name: 'HEARTH_HTTP_PORT', value: '8080' });
    assert.deepEqual(secretEnv('REDIS_PASSWORD', 'acme-redis-credentials', 'password'), {
      name: 'REDIS_PASSWORD',
      valueFrom: { secretKeyRef: { name: 'acme-redis-credentials', key: 'password' } },
    });
  });

  it('probes over HTTP on a named port, or by a command, with the timing given', () => {
    assert.deepEqual(httpProbe('/readyz', 'http', timing), { httpGet: { path: '/readyz', port: 'http', scheme: 'HTTP' }, ...timing });
    assert.deepEqual(execProbe(['pg_isready'], { ...timing, failureThreshold: 6 }), {
      exec: { command: ['pg_isready'] },
      periodSeconds: 5,
      timeoutSeconds: 3,
      failureThreshold: 6,
    });
  });
});

describe('volumes', () => {
  it('gives a read-only root a size-limited scratch /tmp', () => {
    assert.deepEqual(emptyDirVolume('run', '16Mi'), { name: 'run', emptyDir: { sizeLimit: '16Mi' } });
    assert.deepEqual(tmpVolume, { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
    assert.deepEqual(tmpMount, { name: tmpVolume.name, mountPath: '/tmp' });
  });

  it('makes a ReadWriteOnce claim template of the size, with a class only when one is named', () => {
    const labels = { 'app.kubernetes.io/instance': 'acme' };
    const cases: { name: string; size: Quantity; storageClass: string | undefined; want: unknown }[] = [
      {
        name: 'no class: the cluster’s default',
        size: '10Gi',
        storageClass: undefined,
        want: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
      },
      {
        name: 'a class and a size in bytes',
        size: 1073741824,
        storageClass: 'fast',
        want: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1073741824' } }, storageClassName: 'fast' },
      },
    ];
    for (const { name, size, storageClass, want } of cases) {
      const claim = claimTemplate('data', size, storageClass, labels);
      assert.deepEqual([claim.apiVersion, claim.kind, claim.metadata], ['v1', 'PersistentVolumeClaim', { name: 'data', labels }], name);
      assert.deepEqual(claim.spec, want, name);
    }
  });

  it('keeps the claims when the StatefulSet goes, unless spec.storage.retainOnDelete is false', () => {
    const cases: { storage: HearthSpec['storage']; whenDeleted: string }[] = [
      { storage: undefined, whenDeleted: 'Retain' },
      { storage: { retainOnDelete: true }, whenDeleted: 'Retain' },
      { storage: { retainOnDelete: false }, whenDeleted: 'Delete' },
    ];
    for (const { storage, whenDeleted } of cases) {
      const hearth = hearthFixture({ tier: 'single' });
      if (storage === undefined) delete hearth.spec.storage;
      else hearth.spec.storage = storage;
      assert.deepEqual(claimRetentionPolicy(hearth), { whenDeleted, whenScaled: 'Retain' }, JSON.stringify(storage));
    }
  });
});
