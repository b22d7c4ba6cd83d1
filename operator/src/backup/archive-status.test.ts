import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { decideArchiveStatus, reportedLocation, type ArchiveFindings } from './archive-status.ts';

const now = '2026-12-05T03:00:00Z';
const job = (status: NonNullable<V1Job['status']>): V1Job => ({ metadata: { name: 'nightly-backup' }, status });
const pod = (name: string, created: string, status: NonNullable<V1Pod['status']>): V1Pod => ({
  metadata: { name, creationTimestamp: created as unknown as Date },
  status,
});
const terminated = (exitCode: number, message?: string) => ({ terminated: { exitCode, ...(message === undefined ? {} : { message }) } });

const succeededPod = pod('p2', '2026-12-05T02:01:00Z', {
  phase: 'Succeeded',
  containerStatuses: [
    { name: 'backup', image: 'i', imageID: '', ready: false, restartCount: 0, state: terminated(0, 's3://b/p/hearth-20261205T020100.000Z.ndjson.gz') },
  ],
});
const failedPod = pod('p1', '2026-12-05T02:00:00Z', {
  phase: 'Failed',
  containerStatuses: [
    { name: 'backup', image: 'i', imageID: '', ready: false, restartCount: 0, state: terminated(1, 'hearth backup: cannot use s3://b: access denied\n') },
  ],
});

const found = (overrides: Partial<ArchiveFindings>): ArchiveFindings => ({ job: undefined, pods: [], now, generation: 1, ...overrides });

describe('the status of a backup, from its Job', () => {
  const cases: readonly (readonly [string, ArchiveFindings, { phase: string; complete: string; failed: string; reason: string; message: RegExp }])[] = [
    ['no Job yet', found({}), { phase: 'Pending', complete: 'False', failed: 'False', reason: 'JobPending', message: /the Job is being made/ }],
    [
      'no Hearth',
      found({ blocked: { reason: 'HearthNotFound', message: 'there is no Hearth acme in chat to back up' } }),
      { phase: 'Pending', complete: 'False', failed: 'False', reason: 'HearthNotFound', message: /no Hearth acme/ },
    ],
    ['a Job waiting', found({ job: job({}) }), { phase: 'Pending', complete: 'False', failed: 'False', reason: 'JobPending', message: /waiting for its pod/ }],
    [
      'a Job running',
      found({ job: job({ active: 1, startTime: '2026-12-05T02:00:00Z' as unknown as Date }) }),
      { phase: 'Running', complete: 'False', failed: 'False', reason: 'JobRunning', message: /is running/ },
    ],
    [
      'a Job complete',
      found({ job: job({ conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 }), pods: [failedPod, succeededPod] }),
      { phase: 'Succeeded', complete: 'True', failed: 'False', reason: 'JobComplete', message: /succeeded/ },
    ],
    [
      'a Job failed: the pod’s one line',
      found({
        job: job({ conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] }),
        pods: [failedPod],
      }),
      { phase: 'Failed', complete: 'False', failed: 'True', reason: 'JobFailed', message: /^backup: hearth backup: cannot use s3:\/\/b: access denied$/ },
    ],
    [
      'a Job failed with no pod left: the Job’s words',
      found({
        job: job({ conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }] }),
      }),
      { phase: 'Failed', complete: 'False', failed: 'True', reason: 'DeadlineExceeded', message: /active longer/ },
    ],
  ];
  for (const [what, findings, expected] of cases) {
    it(what, () => {
      const status = decideArchiveStatus(findings, undefined);
      const complete = status.conditions.find((c) => c.type === 'Complete');
      const failed = status.conditions.find((c) => c.type === 'Failed');
      assert.equal(status.phase, expected.phase);
      assert.equal(complete?.status, expected.complete);
      assert.equal(failed?.status, expected.failed);
      assert.equal(complete?.reason, expected.reason);
      assert.match(complete?.message ?? '', expected.message);
      assert.equal(complete?.observedGeneration, 1);
    });
  }

  it('keeps a condition’s transition time while its status holds, and takes the Job’s times', () => {
    const running = found({ job: job({ active: 1, startTime: '2026-12-05T02:00:00Z' as unknown as Date }) });
    const first = decideArchiveStatus({ ...running, now: '2026-12-05T02:00:05Z' }, undefined);
    const again = decideArchiveStatus({ ...running, now: '2026-12-05T02:00:09Z' }, first);
    assert.deepEqual(again.conditions, first.conditions);
    const doneJob = job({
      conditions: [{ type: 'Complete', status: 'True' }],
      startTime: '2026-12-05T02:00:00Z' as unknown as Date,
      completionTime: '2026-12-05T02:01:30Z' as unknown as Date,
    });
    const finished = decideArchiveStatus(found({ job: doneJob, now: '2026-12-05T02:01:31Z' }), again);
    assert.equal(finished.conditions.find((c) => c.type === 'Complete')?.lastTransitionTime, '2026-12-05T02:01:31Z');
    assert.deepEqual([finished.job, finished.startedAt, finished.completedAt], ['nightly-backup', '2026-12-05T02:00:00Z', '2026-12-05T02:01:30Z']);
  });

  it('takes the location from the newest pod that succeeded', () => {
    assert.equal(reportedLocation([failedPod, succeededPod]), 's3://b/p/hearth-20261205T020100.000Z.ndjson.gz');
    assert.equal(reportedLocation([failedPod]), undefined);
  });
});
