// What the tier migration tests play, on a control plane that runs no Job controller nor kubelet:
// the copy Job's pods, ending with the termination message `hearth migrate` leaves (its last log
// lines, with terminationMessagePolicy FallbackToLogsOnError), and the Job's status as the Job
// controller writes it; and the volume claims a StatefulSet controller would have made.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { E2eCluster } from './e2e-cluster.ts';
import type { operatorTestKit } from './operator-test-support.ts';

export interface JobItem {
  metadata: { name: string; uid: string; ownerReferences?: { uid: string }[] };
  spec: {
    backoffLimit?: number;
    template: {
      spec: {
        containers: { name: string; image?: string; args?: string[]; env?: { name: string; value?: string }[] }[];
        volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
        affinity?: { podAffinity?: unknown };
      };
    };
  };
}

type Kit = ReturnType<typeof operatorTestKit>;

/** What the Job controller reports: done, given up, or (an object) still running after a pod failed. */
export type JobOutcome = 'succeeded' | 'failed' | { active: number; failed: number };

export function migrationKit(cluster: () => E2eCluster, { kubectl, getJson, statusPatch }: Kit) {
  const jobsOf = async (name: string): Promise<JobItem[]> =>
    (await getJson<{ items: JobItem[] }>('jobs', '-l', `app.kubernetes.io/instance=${name},app.kubernetes.io/component=migration`)).items;

  const applyFile = async (name: string, object: unknown): Promise<void> => {
    const file = path.join(cluster().work, `${name}.json`);
    await writeFile(file, JSON.stringify(object));
    await kubectl('create', '-f', file);
  };

  let pods = 0;
  /** One pod of the Job, ended: exit 0, or 1 with `lines` as its termination message. */
  const podEnded = async (job: JobItem, outcome: 'succeeded' | 'failed', lines: readonly string[]): Promise<void> => {
    pods += 1;
    const name = `${job.metadata.name}-p${pods}`;
    const container = job.spec.template.spec.containers[0];
    const image = container?.image ?? 'hearth';
    const labels = { 'job-name': job.metadata.name, 'batch.kubernetes.io/job-name': job.metadata.name };
    await applyFile(name, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels },
      spec: { restartPolicy: 'Never', containers: [{ name: container?.name ?? 'migrate', image }] },
    });
    const failed = outcome === 'failed';
    const terminated = { exitCode: failed ? 1 : 0, reason: failed ? 'Error' : 'Completed', message: lines.join('\n') };
    await statusPatch('pod', name, {
      phase: failed ? 'Failed' : 'Succeeded',
      containerStatuses: [{ name: container?.name ?? 'migrate', image, imageID: '', ready: false, restartCount: 0, state: { terminated } }],
    });
  };

  /** The Job's status as its controller would write it (the API server checks the conditions' order). */
  const setJobStatus = async (job: JobItem, outcome: JobOutcome): Promise<void> => {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    // Set once, as the controller does: the API server refuses to move it.
    const live = await getJson<{ status?: { startTime?: string } }>('job', job.metadata.name);
    const startTime = live.status?.startTime ?? now;
    const condition = (type: string): Record<string, string> => ({ type, status: 'True', lastProbeTime: now, lastTransitionTime: now });
    if (typeof outcome === 'object') {
      await statusPatch('job', job.metadata.name, { startTime, ...outcome });
      return;
    }
    const status =
      outcome === 'succeeded'
        ? { startTime, completionTime: now, active: 0, succeeded: 1, conditions: [condition('SuccessCriteriaMet'), condition('Complete')] }
        : { startTime, active: 0, failed: (job.spec.backoffLimit ?? 6) + 1, conditions: [condition('FailureTarget'), condition('Failed')] };
    await statusPatch('job', job.metadata.name, status);
  };

  /** A claim as a StatefulSet's volume claim template makes it (none is made on the test control plane). */
  const createClaim = (name: string, instance: string, component: string): Promise<void> =>
    applyFile(name, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        labels: {
          'app.kubernetes.io/name': 'hearth',
          'app.kubernetes.io/instance': instance,
          'app.kubernetes.io/component': component,
          'app.kubernetes.io/part-of': 'hearth',
          'app.kubernetes.io/managed-by': 'hearth-operator',
        },
      },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    });

  return { jobsOf, podEnded, setJobStatus, createClaim };
}
