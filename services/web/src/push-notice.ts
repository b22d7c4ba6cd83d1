/**
 * What the service worker does with a push message (service-worker.ts): the notice the messaging
 * service sent (services/messaging/src/push/push-notice.ts), read defensively since it crossed a
 * push service, and whether to show it. A window of Hearth that is visible and focused is being
 * looked at: it tells the person in the page (notifier.ts), and a system notification on top would
 * say it twice.
 */

export interface PushNotice {
  readonly roomId: string;
  readonly messageId: string;
  readonly title: string;
  readonly body: string;
  /** The room's page, opened when the notification is clicked. */
  readonly path: string;
}

/** A window of this origin, as the service worker's clients.matchAll() gives it. */
export interface WindowState {
  readonly visibilityState: DocumentVisibilityState;
  readonly focused: boolean;
}

export function parseNotice(text: string | null): PushNotice | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const notice = value as Record<string, unknown>;
  if (notice['v'] !== 1 || notice['kind'] !== 'message') return null;
  const fields = ['roomId', 'messageId', 'title', 'body', 'path'] as const;
  if (!fields.every((field) => typeof notice[field] === 'string')) return null;
  const path = notice['path'] as string;
  // Only a page of this app: a notice never sends the person elsewhere.
  if (!path.startsWith('/') || path.startsWith('//')) return null;
  return {
    roomId: notice['roomId'] as string,
    messageId: notice['messageId'] as string,
    title: notice['title'] as string,
    body: notice['body'] as string,
    path,
  };
}

export function isBeingLookedAt(windows: readonly WindowState[]): boolean {
  return windows.some((w) => w.visibilityState === 'visible' && w.focused);
}
