import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job } from '@kubernetes/client-node';
import type { HearthSpec, HearthStatus, MigrationStatus } from '../api/index.ts';
import { migrationJobName } from './migration-job.ts';
import {
  decideMigration,
  failureLine,
  jobState,
  lastProgress,
  migrationAttempt,
  migrationPhase,
  stageEvent,
  type MigrationFindings,
  type MigrationPhase,
  type ObservedJob,
} from './migration.ts';
import { hearthFixture } from './testing.ts';

const NOW = '2026-01-02T15:04:05Z';
const EARLIER = '2026-01-02T14:00:00Z';
const up = { from: 'embedded', to: 'single' } as const;
const firstJob = migrationJobName('acme', up, '');
const retryJob = migrationJobName('acme', up, 'again');

const findings = (overrides: Partial<MigrationFindings> = {}): MigrationFindings => ({
  now: NOW,
  retry: undefined,
  backends: { ready: true, detail: '' },
  services: { ready: true, detail: '' },
  job: undefined,
  otherActiveJobs: [],
  servingReady: false,
  oldScaledDown: false,
  sameStore: false,
  ...overrides,
});

const job = (state: ObservedJob['state'], extra: Partial<ObservedJob> = {}): ObservedJob => ({
  name: firstJob,
  state,
  progress: undefined,
  message: undefined,
  ...extra,
});

const last = (stage: MigrationStatus['stage'], extra: Partial<MigrationStatus> = {}): MigrationStatus => ({
  ...up,
  stage,
  startedAt: EARLIER,
  attempt: '',
  job: firstJob,
  ...extra,
});

/** The Hearth mid-migration embedded → single: spec single, status embedded (or single once switched). */
function migrating(migration: MigrationStatus | undefined, spec: HearthSpec = {}, tier: HearthStatus['tier'] = 'embedded') {
  const status: HearthStatus = { tier };
  if (migration !== undefined) status.migration = migration;
  return hearthFixture({ tier: 'single', ...spec }, {}, status);
}

describe('migrationPhase', () => {
  it('reads the migration in effect from spec.tier, status.tier and status.migration', () => {
    const cases: { name: string; spec: HearthSpec['tier']; status: HearthStatus; want: MigrationPhase }[] = [
      { name: 'a new Hearth', spec: 'embedded', status: {}, want: { kind: 'none' } },
      { name: 'serving what it asks', spec: 'single', status: { tier: 'single' }, want: { kind: 'none' } },
      { name: 'one step up', spec: 'single', status: { tier: 'embedded' }, want: { kind: 'copying', move: up, startServices: false } },
      {
        name: 'single → clustered',
        spec: 'clustered',
        status: { tier: 'single' },
        want: { kind: 'copying', move: { from: 'single', to: 'clustered' }, startServices: false },
      },
      {
        name: 'the copy done: the new tier’s services start, the old tier serves',
        spec: 'single',
        status: { tier: 'embedded', migration: last('StartingServices') },
        want: { kind: 'copying', move: up, startServices: true },
      },
      {
        name: 'a StartingServices of another move does not start this one’s services',
        spec: 'clustered',
        status: { tier: 'single', migration: last('StartingServices') },
        want: { kind: 'copying', move: { from: 'single', to: 'clustered' }, startServices: false },
      },
      {
        name: 'two steps (an earlier release let it through)',
        spec: 'clustered',
        status: { tier: 'embedded' },
        want: { kind: 'unsupported', move: { from: 'embedded', to: 'clustered' } },
      },
      {
        name: 'the switch recorded',
        spec: 'single',
        status: { tier: 'embedded', migration: last('Switching') },
        want: { kind: 'switched', move: up, scaleDown: false },
      },
      {
        name: 'scaling down',
        spec: 'single',
        status: { tier: 'single', migration: last('ScalingDown') },
        want: { kind: 'switched', move: up, scaleDown: true },
      },
      { name: 'done', spec: 'single', status: { tier: 'single', migration: last('Succeeded') }, want: { kind: 'none' } },
      { name: 'cancelled: back to what serves', spec: 'embedded', status: { tier: 'embedded', migration: last('Copying') }, want: { kind: 'none' } },
    ];
    for (const { name, spec, status, want } of cases)
      assert.deepEqual(migrationPhase(hearthFixture(spec === undefined ? {} : { tier: spec }, {}, status)), want, name);
  });
});

describe('decideMigration', () => {
  const copying: MigrationPhase = { kind: 'copying', move: up, startServices: false };
  const gatewayMissing = { ready: false, detail: 'Deployment acme-gateway: not created yet' };
  const cases: {
    name: string;
    hearth: ReturnType<typeof migrating>;
    phase?: MigrationPhase;
    found?: Partial<MigrationFindings>;
    want: { [K in keyof MigrationStatus]?: MigrationStatus[K] | undefined } | undefined;
    actions: unknown[];
  }[] = [
    {
      name: 'begins: the backends first',
      hearth: migrating(undefined),
      found: { backends: { ready: false, detail: 'StatefulSet acme-postgres: not created yet' } },
      want: { stage: 'StartingBackends', startedAt: NOW, reason: 'WaitingForBackends', message: 'StatefulSet acme-postgres: not created yet', job: firstJob },
      actions: [],
    },
    {
      name: 'the new tier cannot be built here (no CloudNativePG): waits, saying so',
      hearth: migrating(undefined),
      found: { backends: { missing: 'spec.tier clustered needs a highly available PostgreSQL: install CloudNativePG' } },
      want: {
        stage: 'StartingBackends',
        reason: 'TierNotAvailable',
        message: 'the single tier cannot be built in this cluster yet: spec.tier clustered needs a highly available PostgreSQL: install CloudNativePG',
      },
      actions: [],
    },
    {
      name: 'backends ready, no Job: makes it',
      hearth: migrating(last('StartingBackends')),
      want: { stage: 'Copying', copied: 0, startedAt: EARLIER, job: firstJob },
      actions: [{ type: 'createJob', attempt: '' }],
    },
    {
      name: 'restarted after making the Job but before saying so: finds it, makes no second',
      hearth: migrating(last('StartingBackends')),
      found: { job: job('active') },
      want: { stage: 'Copying', job: firstJob },
      actions: [],
    },
    {
      name: 'another copy Job still runs: waits for it, makes none',
      hearth: migrating(last('StartingBackends')),
      found: { otherActiveJobs: ['acme-migrate-000000'] },
      want: { stage: 'Copying', reason: 'WaitingForJob' },
      actions: [],
    },
    {
      name: 'progress from the Job',
      hearth: migrating(last('Copying')),
      found: { job: job('active', { progress: { stage: 'copying', copied: 500, total: 2000 } }) },
      want: { stage: 'Copying', copied: 500, total: 2000 },
      actions: [],
    },
    {
      name: 'no log to read: the last counts stay',
      hearth: migrating(last('Copying', { copied: 500, total: 2000 })),
      found: { job: job('active') },
      want: { stage: 'Copying', copied: 500, total: 2000 },
      actions: [],
    },
    {
      name: 'verifying, as its progress says',
      hearth: migrating(last('Copying')),
      found: { job: job('active', { progress: { stage: 'verifying', copied: 2000, total: 2000 } }) },
      want: { stage: 'Verifying', copied: 2000, total: 2000 },
      actions: [],
    },
    {
      name: 'the Job succeeded: the new tier’s services start first, while the old tier serves',
      hearth: migrating(last('Verifying')),
      found: { job: job('succeeded'), services: gatewayMissing },
      want: { stage: 'StartingServices', reason: 'WaitingForServices', message: gatewayMissing.detail, job: firstJob },
      actions: [],
    },
    {
      name: 'StartingServices, a service not ready yet: waits, saying which',
      hearth: migrating(last('StartingServices', { reason: 'WaitingForServices', message: gatewayMissing.detail })),
      phase: { kind: 'copying', move: up, startServices: true },
      found: { job: job('succeeded'), services: { ready: false, detail: 'Deployment acme-gateway: 0/2 ready' } },
      want: { stage: 'StartingServices', reason: 'WaitingForServices', message: 'Deployment acme-gateway: 0/2 ready' },
      actions: [],
    },
    {
      name: 'StartingServices, the services ready: the switch',
      hearth: migrating(last('StartingServices', { reason: 'WaitingForServices', message: gatewayMissing.detail })),
      phase: { kind: 'copying', move: up, startServices: true },
      found: { job: job('succeeded') },
      want: { stage: 'Switching', reason: undefined, message: undefined, job: firstJob },
      actions: [],
    },
    {
      name: 'the Job succeeded, no service of a new name (single → clustered, updated in place at the switch): straight to the switch',
      hearth: hearthFixture({ tier: 'clustered' }, {}, { tier: 'single' }),
      phase: { kind: 'copying', move: { from: 'single', to: 'clustered' }, startServices: false },
      found: { job: job('succeeded', { name: migrationJobName('acme', { from: 'single', to: 'clustered' }, '') }) },
      want: { stage: 'Switching', from: 'single', to: 'clustered' },
      actions: [],
    },
    {
      name: 'the Job failed in verification: Failed, with its words and the way to retry',
      hearth: migrating(last('Verifying')),
      found: {
        job: job('failed', { progress: { stage: 'verifying', copied: 2000, total: 2000 }, message: 'verification failed: messages count 1999 != 2000' }),
      },
      want: { stage: 'Failed', reason: 'VerificationFailed' },
      actions: [],
    },
    {
      name: 'stays Failed until the retry annotation says something new',
      hearth: migrating(last('Failed', { reason: 'CopyFailed', message: 'x' })),
      found: { retry: undefined },
      want: { stage: 'Failed', reason: 'CopyFailed', message: 'x' },
      actions: [],
    },
    {
      name: 'a retry: the failed Job goes, a new one (of another name) comes',
      hearth: migrating(last('Failed', { reason: 'CopyFailed', message: 'x' })),
      found: { retry: 'again' },
      want: { stage: 'Copying', attempt: 'again', job: retryJob, startedAt: EARLIER, reason: undefined },
      actions: [
        { type: 'deleteJob', name: firstJob },
        { type: 'createJob', attempt: 'again' },
      ],
    },
    {
      name: 'the same store in both tiers: nothing to copy, straight to the switch',
      hearth: migrating(undefined),
      found: { sameStore: true },
      want: { stage: 'Switching', reason: 'SameStore' },
      actions: [],
    },
    {
      name: 'the same store, services of new names: they start before the switch',
      hearth: migrating(undefined),
      found: { sameStore: true, services: gatewayMissing },
      want: { stage: 'StartingServices', reason: 'WaitingForServices' },
      actions: [],
    },
    {
      name: 'switched, the new tier not ready yet: waits',
      hearth: migrating(last('Switching'), {}, 'single'),
      phase: { kind: 'switched', move: up, scaleDown: false },
      want: { stage: 'Switching', reason: 'WaitingForNewTier' },
      actions: [],
    },
    {
      name: 'the new tier serves: scale the old one down',
      hearth: migrating(last('Switching'), {}, 'single'),
      phase: { kind: 'switched', move: up, scaleDown: false },
      found: { servingReady: true },
      want: { stage: 'ScalingDown', reason: undefined },
      actions: [],
    },
    {
      name: 'the old tier stopped: Succeeded, the Job deleted, the old data kept',
      hearth: migrating(last('ScalingDown'), {}, 'single'),
      phase: { kind: 'switched', move: up, scaleDown: true },
      found: { oldScaledDown: true },
      want: { stage: 'Succeeded' },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'with deleteOldData: the old data deleted too',
      hearth: migrating(last('ScalingDown'), { migration: { deleteOldData: true } }, 'single'),
      phase: { kind: 'switched', move: up, scaleDown: true },
      found: { oldScaledDown: true },
      want: { stage: 'Succeeded' },
      actions: [{ type: 'deleteJob', name: firstJob }, { type: 'deleteOldData' }],
    },
    {
      name: 'cancelled before the switch: the Job deleted',
      hearth: hearthFixture({ tier: 'embedded' }, {}, { tier: 'embedded', migration: last('Copying') }),
      phase: { kind: 'none' },
      want: { stage: 'Cancelled' },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'cancelled just after the copy succeeded: the old store stays paused, and the status says how to resume it',
      hearth: hearthFixture({ tier: 'embedded' }, {}, { tier: 'embedded', migration: last('Verifying') }),
      phase: { kind: 'none' },
      found: { job: job('succeeded') },
      want: { stage: 'Cancelled', reason: 'SourceLeftPaused' },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'cancelled while the new services start, the Job already gone (deleted by the cancellation, read again from a cache still at StartingServices): the old store stays paused',
      hearth: hearthFixture({ tier: 'embedded' }, {}, { tier: 'embedded', migration: last('StartingServices') }),
      phase: { kind: 'none' },
      want: { stage: 'Cancelled', reason: 'SourceLeftPaused' },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'cancelled while the new services start on a store both tiers share: nothing was copied, nothing is paused',
      hearth: hearthFixture({ tier: 'embedded' }, {}, { tier: 'embedded', migration: last('StartingServices') }),
      phase: { kind: 'none' },
      found: { sameStore: true },
      want: { stage: 'Cancelled', reason: undefined },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'cancelled while the new services start: the old store stays paused, the Job deleted',
      hearth: hearthFixture({ tier: 'embedded' }, {}, { tier: 'embedded', migration: last('StartingServices') }),
      phase: { kind: 'none' },
      found: { job: job('succeeded') },
      want: { stage: 'Cancelled', reason: 'SourceLeftPaused' },
      actions: [{ type: 'deleteJob', name: firstJob }],
    },
    {
      name: 'two steps at once: Failed, saying to go back and move one at a time',
      hearth: hearthFixture({ tier: 'clustered' }, {}, { tier: 'embedded' }),
      phase: { kind: 'unsupported', move: { from: 'embedded', to: 'clustered' } },
      want: { stage: 'Failed', reason: 'UnsupportedMove' },
      actions: [],
    },
  ];
  for (const { name, hearth, phase = copying, found, want, actions } of cases) {
    it(name, () => {
      const decision = decideMigration(hearth, phase, findings(found));
      assert.deepEqual(decision.actions, actions);
      if (want === undefined) return assert.equal(decision.status, undefined);
      for (const [key, value] of Object.entries(want)) assert.deepEqual(decision.status?.[key as keyof MigrationStatus], value, key);
    });
  }

  it('a failure’s message carries the Job’s words, that the old tier serves, and how to retry or cancel', () => {
    const decision = decideMigration(migrating(last('Copying')), copying, findings({ job: job('failed', { message: 'target holds other data' }) }));
    assert.equal(decision.status?.reason, 'CopyFailed');
    assert.equal(
      decision.status?.message,
      'target holds other data; the embedded tier keeps serving, writable. Retry: kubectl annotate hearth acme --overwrite hearth.dev/retry-migration=<a new value>; cancel: set spec.tier back to embedded',
    );
  });
});

describe('migrationAttempt', () => {
  it('a retry counts only once the attempt failed', () => {
    assert.equal(migrationAttempt(undefined, up, undefined), '');
    assert.equal(migrationAttempt(undefined, up, 'x'), 'x');
    assert.equal(migrationAttempt(last('Copying'), up, 'x'), '', 'a running copy is never replaced');
    assert.equal(migrationAttempt(last('Failed'), up, 'x'), 'x');
    assert.equal(migrationAttempt(last('Failed', { attempt: 'x' }), up, 'x'), 'x');
  });
});

describe('the copy Job as observed', () => {
  it('progress: the last JSON progress line, whatever follows it', () => {
    const log = ['{"stage":"copying","copied":10,"total":100}', '{"stage":"copying","copied":60,"total":100}', 'hearth migrate: verification failed', ''].join(
      '\n',
    );
    assert.deepEqual(lastProgress(log), { stage: 'copying', copied: 60, total: 100 });
    assert.equal(lastProgress('{"stage":"copying","copied":-1,"total":100}'), undefined);
    assert.equal(lastProgress('{not json'), undefined);
    assert.equal(lastProgress(undefined), undefined);
    assert.equal(failureLine(log), 'hearth migrate: verification failed');
    assert.equal(failureLine('{"stage":"done","copied":1,"total":1}'), undefined);
  });

  it('state: its conditions, else its pod counts against backoffLimit', () => {
    const cases: { status: V1Job['status']; want: string }[] = [
      { status: {}, want: 'active' },
      { status: { active: 1 }, want: 'active' },
      { status: { succeeded: 1 }, want: 'succeeded' },
      { status: { conditions: [{ type: 'Complete', status: 'True' }] }, want: 'succeeded' },
      { status: { failed: 1 }, want: 'active' },
      { status: { failed: 2 }, want: 'failed' },
      { status: { conditions: [{ type: 'Failed', status: 'True' }] }, want: 'failed' },
    ];
    for (const { status = {}, want } of cases) assert.equal(jobState({ spec: { backoffLimit: 1, template: {} }, status }), want, JSON.stringify(status));
  });

  it('an Event per stage, a Warning for a failure', () => {
    assert.deepEqual(stageEvent(last('Copying')), {
      type: 'Normal',
      reason: 'MigrationCopying',
      message: `migrating embedded → single: copying the data (Job ${firstJob}); the embedded tier serves, read-only`,
    });
    assert.deepEqual(stageEvent(last('StartingServices')), {
      type: 'Normal',
      reason: 'MigrationStartingServices',
      message: "migrating embedded → single: the copy is verified; starting the single tier's services while the embedded tier serves, read-only",
    });
    assert.equal(stageEvent(last('Failed', { message: 'why' })).type, 'Warning');
  });
});
