import { useEffect, useState } from 'preact/hooks';
import type { SignedInDevice } from '../api-types.ts';
import type { Chat } from '../chat.ts';
import { signedOutSummary, timeAgo } from '../devices.ts';

/** How often the "last seen" times are said again. */
const RETELL_EVERY_MS = 30_000;

/** The page's state: the devices once loaded, what is being done, and what came of it. */
interface DevicesPageState {
  readonly devices: readonly SignedInDevice[] | null;
  /** A device's id while it is signed out, 'others' while all the others are; null when idle. */
  readonly busy: string | null;
  readonly error: string | null;
  readonly message: string | null;
}

const messageOf = (caught: unknown): string => (caught instanceof Error ? caught.message : String(caught));

/** Loads the devices, and signs them out: each action reloads the list, so it shows what the server now has. */
function useDevicesPage(chat: Chat) {
  const [state, setState] = useState<DevicesPageState>({ devices: null, busy: null, error: null, message: null });

  async function run(busy: string, action: () => Promise<string | null>): Promise<void> {
    setState((s) => ({ ...s, busy, error: null, message: null }));
    try {
      const message = await action();
      const devices = await chat.listDevices();
      setState({ devices, busy: null, error: null, message });
    } catch (caught) {
      setState((s) => ({ ...s, busy: null, error: messageOf(caught) }));
    }
  }

  useEffect(() => {
    void run('loading', async () => null);
  }, []);

  return {
    state,
    signOut: (device: SignedInDevice) =>
      run(device.id, async () => {
        await chat.signOutDevice(device.id);
        return `Signed out ${device.device}.`;
      }),
    signOutOthers: () => run('others', async () => signedOutSummary(await chat.signOutOtherDevices())),
  };
}

/** The time now, again every `everyMs`, so relative times stay true while the page is open. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function DeviceRow(props: { readonly device: SignedInDevice; readonly now: number; readonly busy: boolean; readonly onSignOut: () => void }) {
  const { device, now } = props;
  const seen = device.current ? 'Active now' : `Last seen ${timeAgo(device.lastSeenAt, now)}`;
  return (
    <li class={`device${device.current ? ' current' : ''}`} data-testid="device" data-session-id={device.id} data-current={device.current ? 'true' : 'false'}>
      <div class="device-what">
        <strong data-testid="device-name" title={device.userAgent}>
          {device.device}
        </strong>
        {device.current && (
          <span class="this-device" data-testid="this-device">
            This device
          </span>
        )}
        <div class="small muted">
          <span data-testid="device-ip">{device.ip}</span>
          {' · '}
          <time data-testid="device-last-seen" dateTime={device.lastSeenAt} title={new Date(device.lastSeenAt).toLocaleString()}>
            {seen}
          </time>
          {' · '}
          <time dateTime={device.createdAt} title={new Date(device.createdAt).toLocaleString()}>
            signed in {timeAgo(device.createdAt, now)}
          </time>
        </div>
      </div>
      {!device.current && (
        <button type="button" data-testid="device-sign-out" disabled={props.busy} onClick={props.onSignOut}>
          {props.busy ? 'Signing out…' : 'Sign out'}
        </button>
      )}
    </li>
  );
}

/** The signed-in devices page (/settings/sessions): every session of the person's, and signing the others out. */
export function DevicesPage({ chat }: { readonly chat: Chat }) {
  const { state, signOut, signOutOthers } = useDevicesPage(chat);
  const now = useNow(RETELL_EVERY_MS);
  const others = state.devices?.filter((device) => !device.current).length ?? 0;

  return (
    <section class="devices-page" data-testid="devices-page" aria-labelledby="devices-title">
      <header class="room-header">
        <h1 id="devices-title">Signed-in devices</h1>
      </header>
      <div class="devices-body">
        <p class="muted">Where you are signed in. Signing a device out ends its session there at once.</p>
        {state.devices === null && state.error === null && <p class="muted">Loading…</p>}
        <ul class="device-list" data-testid="device-list">
          {(state.devices ?? []).map((device) => (
            <DeviceRow key={device.id} device={device} now={now} busy={state.busy === device.id} onSignOut={() => void signOut(device)} />
          ))}
        </ul>
        {state.message !== null && (
          <p class="notice" data-testid="devices-message" role="status">
            {state.message}
          </p>
        )}
        {state.error !== null && (
          <p class="form-error" data-testid="form-error" role="alert">
            {state.error}
          </p>
        )}
        {others > 0 && (
          <button type="button" class="danger" data-testid="sign-out-others" disabled={state.busy !== null} onClick={() => void signOutOthers()}>
            {state.busy === 'others' ? 'Signing out…' : 'Sign out all other devices'}
          </button>
        )}
      </div>
    </section>
  );
}
