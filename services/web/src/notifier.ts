import type { ChatContext } from './chat-state.ts';
import type { Alert } from './notifications.ts';
import { navigate, roomPath } from './router.ts';

/**
 * Tells the person of an Alert: in the page (a list the ChatApp shows, each gone after a while or
 * when clicked), and, while the tab is hidden and they allowed it, as a browser notification that
 * brings them to the room when clicked. Nothing is asked of the browser until they press "Enable
 * desktop notifications": browsers ignore (or hold against the site) a request nobody asked for.
 */
export interface Notifier {
  notify(alert: Alert): void;
  dismiss(id: string): void;
  /** Asks the browser's permission; the state's desktopNotifications says what came of it. */
  enableDesktop(): Promise<void>;
}

/** In-page alerts shown at once, oldest dropped first. */
const MAX_SHOWN = 4;
const SHOWN_MS = 8_000;

export type DesktopPermission = NotificationPermission | 'unsupported';

export function desktopPermission(): DesktopPermission {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export function createNotifier(ctx: ChatContext): Notifier {
  const dismiss = (id: string): void => ctx.store.update((s) => ({ ...s, alerts: s.alerts.filter((a) => a.id !== id) }));
  return {
    notify(alert) {
      ctx.store.update((s) => ({ ...s, alerts: [...s.alerts.filter((a) => a.id !== alert.id), alert].slice(-MAX_SHOWN) }));
      setTimeout(() => dismiss(alert.id), SHOWN_MS);
      if (!ctx.isVisible() && desktopPermission() === 'granted') showDesktop(alert);
    },
    dismiss,
    async enableDesktop() {
      if (desktopPermission() !== 'default') return;
      const answer = await Notification.requestPermission();
      ctx.store.update((s) => ({ ...s, desktopNotifications: answer }));
    },
  };
}

function showDesktop(alert: Alert): void {
  // One per room (tag): a busy room replaces its notification instead of stacking them.
  const shown = new Notification(alert.title, { body: alert.body, tag: alert.roomId });
  shown.onclick = () => {
    window.focus();
    navigate(roomPath(alert.roomId));
    shown.close();
  };
}
