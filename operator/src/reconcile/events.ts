// Kubernetes Events on the Hearth, for what a person should see in `kubectl describe hearth`.
// The same event again bumps the count of the one already written instead of adding another.
import { randomBytes } from 'node:crypto';
import type { Hearth } from '../api/index.ts';
import { pathOf } from './kinds.ts';
import type { KubeClient } from './kube-client.ts';

export type EventType = 'Normal' | 'Warning';
/** What the operator did; a Warning's reason is instead the reason of the condition it reports (problems.ts). */
export type EventReason = 'Created' | 'Updated' | 'Pruned' | 'Ready' | 'Failed' | 'Deleted' | 'Retained' | 'Paused' | 'Resumed' | 'Resized';

export interface EventRecorder {
  /**
   * `reason` is an EventReason, or for a Warning the CamelCase reason of the condition it reports.
   * Never throws: an event that cannot be written is logged and dropped.
   */
  record(hearth: EventSubject, type: EventType, reason: EventReason | (string & {}), message: string): Promise<void>;
}

/** What an Event is about: a Hearth, or a HearthBackup or HearthRestore (backup/). */
export type EventSubject = Pick<Hearth, 'metadata'> & { readonly apiVersion: string; readonly kind: string };

interface Seen {
  readonly name: string;
  count: number;
}

export const reportingComponent = 'hearth-operator';

export function createEventRecorder(
  client: KubeClient,
  options: { now?: () => Date; instance?: string; log?: (message: string, fields?: Record<string, unknown>) => void } = {},
): EventRecorder {
  const now = options.now ?? ((): Date => new Date());
  const seen = new Map<string, Seen>();
  const maxSeen = 4096;
  return {
    async record(hearth, type, reason, message) {
      const namespace = hearth.metadata.namespace ?? '';
      const key = `${hearth.metadata.uid ?? ''}\u0000${type}\u0000${reason}\u0000${message}`;
      const timestamp = now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      try {
        const before = seen.get(key);
        if (before !== undefined) {
          before.count += 1;
          await client.mergePatch(pathOf('Event', namespace, before.name), { count: before.count, lastTimestamp: timestamp });
          return;
        }
        const name = `${hearth.metadata.name ?? 'hearth'}.${randomBytes(8).toString('hex')}`;
        await client.create(pathOf('Event', namespace), {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: hearth.apiVersion,
            kind: hearth.kind,
            name: hearth.metadata.name,
            namespace,
            uid: hearth.metadata.uid,
            resourceVersion: hearth.metadata.resourceVersion,
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: timestamp,
          lastTimestamp: timestamp,
          source: { component: reportingComponent },
          reportingComponent,
          reportingInstance: options.instance ?? reportingComponent,
        });
        if (seen.size >= maxSeen) seen.clear();
        seen.set(key, { name, count: 1 });
      } catch (error) {
        // The event may have expired (events live an hour): forget it, so the next one is created anew.
        seen.delete(key);
        options.log?.('event not recorded', { reason, message, error: String(error) });
      }
    },
  };
}
