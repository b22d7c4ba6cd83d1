import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken } from './api.ts';
import type { SessionAnswer, SignInOptions } from './api-types.ts';
import { createChat, type Chat } from './chat.ts';
import { JoinForm, SetupForm, SignInForm } from './components/auth-forms.tsx';
import { ChatApp } from './components/chat-app.tsx';
import { navigate, parseRoute, usePathname } from './router.ts';

type Phase =
  | { readonly kind: 'loading' }
  | { readonly kind: 'unreachable'; readonly message: string }
  | { readonly kind: 'setup' }
  | { readonly kind: 'signed-out'; readonly accountName: string | null; readonly signIn: SignInOptions }
  | { readonly kind: 'chat'; readonly chat: Chat };

function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [accountName, setAccountName] = useState<string | null>(null);
  const signInOptions = useRef<SignInOptions>({ password: 'enabled', sso: null });
  const route = parseRoute(usePathname());
  const setupName = useRef<string | null>(null);

  function signedIn(answer: SessionAnswer, name: string | null = accountName): void {
    setCsrfToken(answer.csrfToken);
    const chat = createChat(answer.user, name ?? 'Hearth', () => {
      setCsrfToken(null);
      setPhase({ kind: 'signed-out', accountName: name, signIn: signInOptions.current });
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
        if (error instanceof ApiError && error.status === 401) setPhase({ kind: 'signed-out', accountName: status.accountName, signIn: status.signIn });
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

  switch (phase.kind) {
    case 'loading':
      return <p class="muted empty">Loading…</p>;
    case 'unreachable':
      return (
        <main class="auth">
          <div class="auth-form">
            <h1>Hearth is not answering</h1>
            <p class="form-error" role="alert">
              {phase.message}
            </p>
            <button type="button" class="primary" onClick={() => void boot()}>
              Try again
            </button>
          </div>
        </main>
      );
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
            setAccountName(setupName.current);
            return answer;
          }}
          onSignedIn={(answer) => signedIn(answer, setupName.current)}
        />
      );
    case 'signed-out':
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
          submit={(v) => api.signIn({ email: v['email'] ?? '', password: v['password'] ?? '' })}
          onSignedIn={(answer) => signedIn(answer, phase.accountName)}
        />
      );
    case 'chat':
      return <ChatApp chat={phase.chat} />;
  }
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
