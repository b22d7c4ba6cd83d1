import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decidePostgresRotation,
  rotationFailedMessage,
  type ObservedPasswordJob,
  type ObservedPasswordSecret,
  type PostgresRotationAction,
  type PostgresRotationFindings,
} from './secret-rotation-postgres.ts';

const current: ObservedPasswordSecret = { uid: 'c1', password: 'old', request: undefined };
const pending: ObservedPasswordSecret = { uid: 'p1', password: 'new', request: 'r1' };
const job = (state: ObservedPasswordJob['state'], more: Partial<ObservedPasswordJob> = {}): ObservedPasswordJob => ({
  name: 'acme-pg-password-aaaaaa',
  pendingUid: 'p1',
  state,
  message: undefined,
  deleting: false,
  ...more,
});

/** Each action as a short string. */
function describeAction(action: PostgresRotationAction): string {
  switch (action.type) {
    case 'createPending':
      return `createPending ${action.request}`;
    case 'createJob':
      return `createJob ${action.pendingUid}`;
    case 'replaceCredentials':
      return `replaceCredentials ${action.request ?? '-'}`;
    case 'fail':
      return `fail ${action.request ?? '-'} ${action.job}: ${action.message ?? '-'}`;
    case 'deleteJob':
      return `deleteJob ${action.name}`;
    case 'deletePending':
      return 'deletePending';
  }
}

describe('decidePostgresRotation', () => {
  it('steps from the objects as they are: pending Secret, Job, replacement, clean-up; resumes at any point', () => {
    const cases: { name: string; findings: PostgresRotationFindings; want: string[] }[] = [
      { name: 'nothing asked, nothing there', findings: { wanted: undefined, credentials: current, pending: undefined, jobs: [] }, want: [] },
      { name: 'asked: a pending Secret first', findings: { wanted: 'r1', credentials: current, pending: undefined, jobs: [] }, want: ['createPending r1'] },
      {
        name: 'asked while the credentials are lost: nothing (ensureGeneratedSecrets says so)',
        findings: { wanted: 'r1', credentials: undefined, pending: undefined, jobs: [] },
        want: [],
      },
      { name: 'a pending Secret: its Job', findings: { wanted: 'r1', credentials: current, pending, jobs: [] }, want: ['createJob p1'] },
      {
        name: 'a pending Secret with the request gone: finished anyway (a Job may have run)',
        findings: { wanted: undefined, credentials: current, pending, jobs: [] },
        want: ['createJob p1'],
      },
      { name: 'the Job running: wait', findings: { wanted: 'r1', credentials: current, pending, jobs: [job('active')] }, want: [] },
      {
        name: 'the Job succeeded: replace the credentials, then clean up',
        findings: { wanted: 'r1', credentials: current, pending, jobs: [job('succeeded')] },
        want: ['replaceCredentials r1', 'deleteJob acme-pg-password-aaaaaa', 'deletePending'],
      },
      {
        name: 'stopped after deleting the credentials, before creating them: created from the pending one',
        findings: { wanted: 'r1', credentials: undefined, pending, jobs: [job('succeeded')] },
        want: ['replaceCredentials r1', 'deleteJob acme-pg-password-aaaaaa', 'deletePending'],
      },
      {
        name: 'stopped after replacing: only the clean-up is left',
        findings: { wanted: undefined, credentials: { uid: 'c2', password: 'new', request: 'r1' }, pending, jobs: [job('succeeded')] },
        want: ['deleteJob acme-pg-password-aaaaaa', 'deletePending'],
      },
      {
        name: 'the Job failed: told, recorded as handled, cleaned up; the credentials untouched',
        findings: { wanted: 'r1', credentials: current, pending, jobs: [job('failed', { message: 'FATAL: password authentication failed' })] },
        want: ['fail r1 acme-pg-password-aaaaaa: FATAL: password authentication failed', 'deleteJob acme-pg-password-aaaaaa', 'deletePending'],
      },
      {
        name: 'a Job of another pending Secret: deleted; this one gets its own',
        findings: { wanted: 'r1', credentials: current, pending, jobs: [job('failed', { name: 'acme-pg-password-bbbbbb', pendingUid: 'p0' })] },
        want: ['deleteJob acme-pg-password-bbbbbb', 'createJob p1'],
      },
      {
        name: 'a Job left without its pending Secret: deleted; a new request starts',
        findings: { wanted: 'r2', credentials: current, pending: undefined, jobs: [job('succeeded')] },
        want: ['deleteJob acme-pg-password-aaaaaa', 'createPending r2'],
      },
      {
        name: 'a Job being deleted: not deleted again nor counted as this pending Secret’s',
        findings: { wanted: 'r1', credentials: current, pending, jobs: [job('succeeded', { deleting: true })] },
        want: ['createJob p1'],
      },
    ];
    for (const { name, findings, want } of cases) assert.deepEqual(decidePostgresRotation(findings).map(describeAction), want, name);
  });

  it('a failure says what stays in force, quotes the last line, and says how to ask again', () => {
    const message = rotationFailedMessage('acme-postgres-credentials', 'acme-pg-password-aaaaaa', 'psql: error: FATAL: role "hearth" does not exist');
    assert.match(message, /^Secret acme-postgres-credentials was not rotated: Job acme-pg-password-aaaaaa/);
    assert.match(message, /its last line: psql: error: FATAL: role "hearth" does not exist/);
    assert.match(message, /current password stays in force and in the Secret.*new hearth\.dev\/rotate-secrets value/);
    assert.match(rotationFailedMessage('s', 'j', undefined), /it left no message/);
  });
});
