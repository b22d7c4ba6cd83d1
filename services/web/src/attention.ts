import type { RoomEvent, RoomForMember } from './api-types.ts';
import type { ChatContext } from './chat-state.ts';
import { alertFor } from './notifications.ts';
import { api } from './api.ts';
import { createNotifier, desktopPermission } from './notifier.ts';
import { browserPushManager, syncPushSubscription } from './push-subscription.ts';
import { createSoundPlayer } from './sound-player.ts';
import { soundToPlay } from './sounds.ts';

/**
 * What a new room event may do to get the person's attention: play its `/play` sound (sounds.ts)
 * and tell them of it (notifications.ts); and the person's say over both.
 */
export interface Attention {
  /** A new room event, once. */
  hear(event: RoomEvent): void;
  setSoundsMuted(muted: boolean): void;
  dismissAlert(id: string): void;
  enableDesktopNotifications(): Promise<void>;
}

export interface AttentionDeps {
  readonly ctx: ChatContext;
  readonly nameOf: (userId: string) => string;
  readonly roomName: (room: RoomForMember) => string;
}

export function createAttention({ ctx, nameOf, roomName }: AttentionDeps): Attention {
  const sounds = createSoundPlayer(ctx.me.id);
  const notifier = createNotifier(ctx);
  ctx.store.update((s) => ({ ...s, soundsMuted: sounds.isMuted(), desktopNotifications: desktopPermission() }));
  if (desktopPermission() === 'granted') void keepPushInStep(ctx);
  return {
    hear(event) {
      const { currentRoomId, rooms } = ctx.store.get();
      const now = Date.now();
      const sound = soundToPlay(event, currentRoomId, now);
      if (sound !== null) sounds.play(sound);
      const readingRoomId = ctx.isVisible() ? currentRoomId : null;
      const alert = alertFor(event, { meId: ctx.me.id, rooms, readingRoomId, now, nameOf, roomName });
      if (alert !== null) notifier.notify(alert);
    },
    setSoundsMuted(muted) {
      sounds.setMuted(muted);
      ctx.store.update((s) => ({ ...s, soundsMuted: muted }));
    },
    dismissAlert: notifier.dismiss,
    async enableDesktopNotifications() {
      await notifier.enableDesktop();
      if (desktopPermission() === 'granted') await keepPushInStep(ctx);
    },
  };
}

/** Once notifications are allowed, this browser's push subscription is kept in step with the server, so a closed tab is told too. */
async function keepPushInStep(ctx: ChatContext): Promise<void> {
  try {
    const manager = await browserPushManager();
    const state = manager === null ? 'unsupported' : await syncPushSubscription(manager, { key: api.pushKey, keep: api.keepPushSubscription });
    ctx.store.update((s) => ({ ...s, pushNotifications: state }));
  } catch (error) {
    console.warn('hearth: push notifications could not be set up; they come only while Hearth is open', error);
    ctx.store.update((s) => ({ ...s, pushNotifications: 'unavailable' }));
  }
}
