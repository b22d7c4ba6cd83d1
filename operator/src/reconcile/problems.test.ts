import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeApiError } from '@hearth/kube-runtime';
import { ObjectWriteError, problemOf } from './problems.ts';

const refused = (status: number, message?: string): KubeApiError =>
  new KubeApiError(status, message === undefined ? undefined : { kind: 'Status', message }, 'apply /apis/apps/v1/namespaces/chat/deployments/acme-gateway');

describe('problemOf', () => {
  it('tells a spec the API server refuses from a reconcile to retry, and leaves a conflict to the next reconcile', () => {
    const cases: { name: string; error: unknown; want: unknown }[] = [
      { name: 'a conflict', error: refused(409, 'the object has been modified'), want: undefined },
      { name: 'a conflict writing one object', error: new ObjectWriteError('Deployment', 'acme-gateway', refused(409)), want: undefined },
      {
        name: 'a 422 writing one object: the object named, the server’s words without our request line',
        error: new ObjectWriteError('Deployment', 'acme-gateway', refused(422, 'spec.replicas: Invalid value: -1')),
        want: { code: 'InvalidResource', message: 'the API server refused Deployment acme-gateway of this spec: spec.replicas: Invalid value: -1' },
      },
      {
        name: 'a 400 of no one object',
        error: refused(400, 'bad request'),
        want: { code: 'InvalidResource', message: 'the API server refused an object of this spec: bad request' },
      },
      {
        name: 'a 422 without a message: its status',
        error: refused(422),
        want: { code: 'InvalidResource', message: 'the API server refused an object of this spec: HTTP 422' },
      },
      {
        name: 'a 403 writing one object',
        error: new ObjectWriteError('Service', 'acme-gateway', refused(403, 'forbidden')),
        want: { code: 'ReconcileError', message: 'Service acme-gateway: forbidden; retrying with back-off' },
      },
      { name: 'a 500', error: refused(500, 'etcd timed out'), want: { code: 'ReconcileError', message: 'etcd timed out; retrying with back-off' } },
      { name: 'an Error', error: new Error('socket hang up'), want: { code: 'ReconcileError', message: 'socket hang up; retrying with back-off' } },
      { name: 'not an Error', error: 'boom', want: { code: 'ReconcileError', message: 'boom; retrying with back-off' } },
    ];
    for (const { name, error, want } of cases) assert.deepEqual(problemOf(error), want, name);
  });
});
