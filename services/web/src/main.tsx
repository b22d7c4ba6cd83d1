import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken } from './api.ts';
import type { SessionAnswer, SignInOptions } from './api-types.ts';
import { createChat, type Chat, type SignedOutReason } from './chat.ts';
import { JoinForm, SetupForm, SignInForm } from './components/auth-forms.tsx';
import { ChatApp } from './components/chat-app.tsx';
import { navigate, parseRoute, usePathname, type Route } from './router.ts';
import { registerServiceWorker } from './service-worker-registration.ts';

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'setup' }
  | { readonly kind: 'signed-out'; readonly accountName: string | null; readonly signIn: SignInOptions; readonly notice: string | null }
  | { readonly kind: 'chat'; readonly chat: Chat };

/** Where the app is in a visit, and the ways it moves on: booting, signing in, learning the account's name. */
interface Session {
  readonly phase: Phase;
  /** Starts the chat with a session; `name` is the account's name (by default the one booting read). */
  signedIn(answer: SessionAnswer, name?: string | null): void;
  /** Asks the server whether it is set up and whether this browser is signed in. */
  boot(): Promise<void>;
  setAccountName(name: string | null): void;
}

/** What the sign-in page says when the session ended without this person signing out here. */
const SESSION_ENDED = 'Your session on this device has ended: it was signed out from another device, or it expired. Sign in again.';

function useSession(): Session {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [accountName, setAccountName] = useState<string | null>(null);
  const signInOptions = useRef<SignInOptions>({ password: 'enabled', sso: null });

  function signedIn(answer: SessionAnswer, name: string | null = accountName): void {
    setCsrfToken(answer.csrfToken);
    const chat = createChat(answer.user, name ?? 'Hearth', (reason: SignedOutReason) => {
      setCsrfToken(null);
      setPhase({ kind: 'signed-out', accountName: name, signIn: signInOptions.current, notice: reason === 'session-ended' ? SESSION_ENDED : null });
    });
    chat.start();
    if (parseRoute(window.location.pathname).name === 'join') navigate('/', { replace: true });
    setPhase({ kind: 'chat', chat });
  }

  async function boot(): Promise<void> {
    setPhase({ kind: 'loading' });
    try {
      const status = await api.status();
      setAccountName(status.accountName);
      signInOptions.current = status.signIn;
      if (!status.setUp) {
        setPhase({ kind: 'setup' });
        return;
      }
      try {
        signedIn(await api.session(), status.accountName);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401)
          setPhase({ kind: 'signed-out', accountName: status.accountName, signIn: status.signIn, notice: null });
        else throw error;
      }
    } catch (error) {
      setPhase({ kind: 'unreachable', message: error instanceof Error ? error.message : String(error) });
    }
  }

  useEffect(() => {
    void boot();
  }, []);

  useEffect(() => {
    if (phase.kind !== 'chat') document.title = accountName ?? 'Hearth';
  }, [phase.kind, accountName]);

  return { phase, signedIn, boot, setAccountName };
}

function Unreachable({ message, retry }: { readonly message: string; readonly retry: () => void }) {
  return (
    <main class="auth">
      <div class="auth-form">
        <h1>Hearth is not answering</h1>
        <p class="form-error" role="alert">
          {message}
        </p>
        <button type="button" class="primary" onClick={retry}>
          Try again
        </button>
      </div>
    </main>
  );
}

/** Signed out: the join form on a join link, else the sign-in form. */
function SignedOut(props: {
  readonly phase: Extract<Phase, { kind: 'signed-out' }>;
  readonly route: Route;
  readonly signedIn: (answer: SessionAnswer, name: string | null) => void;
}) {
  const { phase, route, signedIn } = props;
  if (route.name === 'join') {
    const code = route.code;
    return (
      <JoinForm
        accountName={phase.accountName}
        submit={(v) => api.join(code, { name: v['name'] ?? '', email: v['email'] ?? '', password: v['password'] ?? '' })}
        onSignedIn={(answer) => signedIn(answer, phase.accountName)}
      />
    );
  }
  return (
    <SignInForm
      accountName={phase.accountName}
      options={phase.signIn}
      notice={phase.notice}
      submit={(v) => api.signIn({ email: v['email'] ?? '', password: v['password'] ?? '' })}
      onSignedIn={(answer) => signedIn(answer, phase.accountName)}
    />
  );
}

function App() {
  const route = parseRoute(usePathname());
  const session = useSession();
  const { phase } = session;
  const setupName = useRef<string | null>(null);

  switch (phase.kind) {
    case 'loading':
      return <p class="muted empty">Loading…</p>;
    case 'unreachable':
      return <Unreachable message={phase.message} retry={() => void session.boot()} />;
    case 'setup':
      return (
        <SetupForm
          submit={async (v) => {
            const answer = await api.setup({
              accountName: v['accountName'] ?? '',
              name: v['name'] ?? '',
              email: v['email'] ?? '',
              password: v['password'] ?? '',
            });
            setupName.current = v['accountName'] ?? null;
            session.setAccountName(setupName.current);
            return answer;
          }}
          onSignedIn={(answer) => session.signedIn(answer, setupName.current)}
        />
      );
    case 'signed-out':
      return <SignedOut phase={phase} route={route} signedIn={session.signedIn} />;
    case 'chat':
      return <ChatApp chat={phase.chat} />;
  }
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
registerServiceWorker();
