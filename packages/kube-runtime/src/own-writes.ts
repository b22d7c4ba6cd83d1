import { resourcePath, type ResourceRef } from './informer.ts';
import type { KubeObject } from './kube-object.ts';

/**
 * A controller's own writes, so that the watch event each one causes does not queue the object's
 * owner for another reconcile: the reconcile that wrote the object knows what it wrote, and
 * reconciling again only to find nothing to do doubled the API requests of a new Hearth.
 *
 * An event is the echo of a write when it carries the resourceVersion the write's answer gave.
 * The event often arrives before that answer, so while a write to an object is in flight its
 * events are held, and decided when the answer comes: the echo is dropped, any other event (a
 * change by someone else meanwhile) passes on, and every held event passes on when the write
 * fails. An answer is remembered for `rememberMs` (one minute) or until the next write to the
 * object, since its event may come later and more than once (two informers of one kind, Secrets
 * and their metadata), or never (a write that changed nothing causes no event).
 */
export interface OwnWrites {
  /** Before sending a write to the object at `path` (an object's path, not a collection's); call `end` with the answer (undefined when it failed). */
  begin(path: string): { end(answer: KubeObject | undefined): void };
  /** Runs `pass` now or later unless this event of the object at `path` is the echo of an own write. */
  sift(path: string, object: KubeObject, pass: () => void): void;
}

interface Pending {
  writes: number;
  held: { readonly resourceVersion: string | undefined; readonly pass: () => void }[];
  answered: Set<string>;
}

export interface OwnWritesOptions {
  readonly rememberMs?: number;
  readonly now?: () => number;
}

export function createOwnWrites({ rememberMs = 60_000, now = () => performance.now() }: OwnWritesOptions = {}): OwnWrites {
  const pending = new Map<string, Pending>();
  /** By the time of the answer, oldest first (an entry is moved to the end when set again). */
  const answered = new Map<string, { readonly resourceVersion: string; readonly at: number }>();
  const forgetOld = (): void => {
    for (const [path, { at }] of answered) {
      if (now() - at < rememberMs) return;
      answered.delete(path);
    }
  };
  const remember = (path: string, resourceVersion: string): void => {
    answered.delete(path);
    answered.set(path, { resourceVersion, at: now() });
    forgetOld();
  };

  const settle = (path: string, entry: Pending): void => {
    pending.delete(path);
    for (const event of entry.held) {
      if (event.resourceVersion === undefined || !entry.answered.has(event.resourceVersion)) event.pass();
    }
    // Its event may still come (again): the latest answer is the object's version now.
    const latest = [...entry.answered].at(-1);
    if (latest !== undefined) remember(path, latest);
  };

  return {
    begin(path) {
      answered.delete(path);
      const entry = pending.get(path) ?? { writes: 0, held: [], answered: new Set<string>() };
      entry.writes += 1;
      pending.set(path, entry);
      let ended = false;
      return {
        end(answer) {
          if (ended) return;
          ended = true;
          const resourceVersion = answer?.metadata?.resourceVersion;
          if (resourceVersion !== undefined) entry.answered.add(resourceVersion);
          else for (const event of entry.held.splice(0)) event.pass();
          entry.writes -= 1;
          if (entry.writes === 0) settle(path, entry);
        },
      };
    },
    sift(path, object, pass) {
      const resourceVersion = object.metadata?.resourceVersion;
      const entry = pending.get(path);
      if (entry !== undefined) {
        entry.held.push({ resourceVersion, pass });
        return;
      }
      forgetOld();
      if (resourceVersion === undefined || answered.get(path)?.resourceVersion !== resourceVersion) pass();
    },
  };
}

/** The path of `object` of `resource`, as a write to it names it (`…/namespaces/<ns>/<plural>/<name>`). */
export function objectPath(resource: ResourceRef, object: KubeObject): string {
  const name = object.metadata?.name ?? '';
  return `${resourcePath({ ...resource, namespace: object.metadata?.namespace })}/${encodeURIComponent(name)}`;
}
