import type { Chat, ChatState } from '../chat.ts';
import { navigate, roomPath } from '../router.ts';

/** New messages the person is told of, under the room list (in the flow: an overlay would cover what they click); a click opens the room. */
export function Alerts({ chat, state }: { readonly chat: Chat; readonly state: ChatState }) {
  return (
    <div class="alerts" role="status" aria-live="polite" data-testid="alerts" data-push={state.pushNotifications}>
      {state.alerts.map((alert) => (
        <button
          key={alert.id}
          type="button"
          class={alert.mention ? 'alert mention' : 'alert'}
          data-testid="alert"
          data-room-id={alert.roomId}
          onClick={() => {
            chat.dismissAlert(alert.id);
            navigate(roomPath(alert.roomId));
          }}
        >
          <strong class="alert-title">{alert.title}</strong>
          <span class="alert-body">{alert.body}</span>
        </button>
      ))}
      {state.desktopNotifications === 'default' && (
        <button type="button" class="link-button small" data-testid="enable-notifications" onClick={() => void chat.enableDesktopNotifications()}>
          Enable desktop notifications
        </button>
      )}
    </div>
  );
}
