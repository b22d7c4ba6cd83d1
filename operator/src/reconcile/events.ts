// Kubernetes Events on the Hearth, for what a person should see in `kubectl describe hearth`.
// The same event again bumps the count of the one already written instead of adding another.
// What one reconcile created, updated or deleted is said in one Event per reason, naming the
// objects (as client-go's recorder aggregates similar events), not in one Event per object.
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

/** What a reconcile does to an object, said in one Event per reason at its end. */
export type ChangeReason = 'Created' | 'Updated' | 'Pruned' | 'Deleted';

/** The verb a change's message starts with: a pruned object was deleted. */
const changeVerbs: Readonly<Record<ChangeReason, string>> = { Created: 'Created', Updated: 'Updated', Pruned: 'Deleted', Deleted: 'Deleted' };

/** The objects one reconcile changed, by reason, in the order it changed them. */
export interface ChangeLog {
  note(reason: ChangeReason, kind: string, name: string): void;
}

export interface ChangeEvent {
  readonly reason: ChangeReason;
  readonly message: string;
}

/** The longest Event message the operator writes: the API server takes more, but tools and client-go keep to 1024. */
export const maxEventMessage = 1024;

/** A reconcile's ChangeLog, which it drains into Events. */
export interface ChangeBatch extends ChangeLog {
  /** The Events of what was noted since the last drain, one per reason; forgets them. */
  drain(): ChangeEvent[];
}

export function createChangeLog(): ChangeBatch {
  const noted = new Map<ChangeReason, string[]>();
  return {
    note(reason, kind, name) {
      const objects = noted.get(reason) ?? [];
      objects.push(`${kind} ${name}`);
      noted.set(reason, objects);
    },
    drain() {
      const events = [...noted].map(([reason, objects]) => ({ reason, message: changeMessage(changeVerbs[reason], objects) }));
      noted.clear();
      return events;
    },
  };
}

/**
 * `Created Secret a, Service b, StatefulSet c`: as many objects as fit in `limit` characters,
 * then how many more there were (`… and 12 more`).
 */
export function changeMessage(verb: string, objects: readonly string[], limit = maxEventMessage): string {
  let message = `${verb} ${objects.length} objects`;
  let listed = '';
  for (const [index, object] of objects.entries()) {
    listed = index === 0 ? object : `${listed}, ${object}`;
    const left = objects.length - index - 1;
    const candidate = `${verb} ${listed}${left === 0 ? '' : ` and ${left} more`}`;
    if (candidate.length > limit) break;
    message = candidate;
  }
  return message.length <= limit ? message : message.slice(0, limit);
}

/** One Event per reason for what the log noted since it was last drained. Never throws, as record does not. */
export async function recordChanges(recorder: EventRecorder, subject: EventSubject, changes: ChangeBatch): Promise<void> {
  for (const { reason, message } of changes.drain()) await recorder.record(subject, 'Normal', reason, message);
}
