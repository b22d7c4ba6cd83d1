import { useState } from 'preact/hooks';
import type { ComponentChildren, TargetedSubmitEvent } from 'preact';
import { ApiError } from '../api.ts';
import type { SessionAnswer, SignInOptions } from '../api-types.ts';

interface FieldSpec {
  readonly name: 'accountName' | 'name' | 'email' | 'password';
  readonly label: string;
  readonly type: 'text' | 'email' | 'password';
  readonly autocomplete: string;
  readonly minLength?: number;
}

const ACCOUNT_NAME: FieldSpec = { name: 'accountName', label: 'Account name', type: 'text', autocomplete: 'organization' };
const NAME: FieldSpec = { name: 'name', label: 'Your name', type: 'text', autocomplete: 'name' };
const EMAIL: FieldSpec = { name: 'email', label: 'Email', type: 'email', autocomplete: 'email' };
const NEW_PASSWORD: FieldSpec = { name: 'password', label: 'Password (at least 8 characters)', type: 'password', autocomplete: 'new-password', minLength: 8 };
const PASSWORD: FieldSpec = { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' };

/** Preact's JSX types each input `type` separately, so the literal must be spelled out. */
function FieldInput({ field, invalid }: { readonly field: FieldSpec; readonly invalid: boolean }) {
  const common = {
    name: field.name,
    autocomplete: field.autocomplete,
    required: true,
    'aria-invalid': invalid ? ('true' as const) : ('false' as const),
    ...(field.minLength === undefined ? {} : { minLength: field.minLength }),
  };
  switch (field.type) {
    case 'password':
      return <input type="password" {...common} />;
    case 'email':
      return <input type="email" {...common} />;
    case 'text':
      return <input type="text" {...common} />;
  }
}

interface AuthFormProps {
  readonly testId: string;
  readonly title: string;
  readonly intro?: string;
  readonly fields: readonly FieldSpec[];
  readonly submitLabel: string;
  readonly submit: (values: Record<string, string>) => Promise<SessionAnswer>;
  readonly onSignedIn: (answer: SessionAnswer) => void;
  /** Shown under the title, before the fields (the SSO button). */
  readonly lead?: ComponentChildren;
}

/** A sign-in style form; API errors show next to the field they name, or above the button. */
function AuthForm(props: AuthFormProps) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function onSubmit(event: TargetedSubmitEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const values: Record<string, string> = {};
    for (const field of props.fields) values[field.name] = String(data.get(field.name) ?? '');
    setBusy(true);
    setError(null);
    try {
      props.onSignedIn(await props.submit(values));
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, 'unknown', String(caught)));
      setBusy(false);
    }
  }

  const fieldNames = props.fields.map((f) => f.name as string);
  const generalError = error !== null && (error.field === undefined || !fieldNames.includes(error.field)) ? error : null;

  return (
    <main class="auth">
      <form class="auth-form" data-testid={props.testId} onSubmit={(e) => void onSubmit(e)} noValidate>
        <h1>{props.title}</h1>
        {props.intro !== undefined && <p class="muted">{props.intro}</p>}
        {props.lead}
        {props.fields.map((field) => (
          <label key={field.name} class="field">
            <span>{field.label}</span>
            <FieldInput field={field} invalid={error?.field === field.name} />
            {error?.field === field.name && (
              <span class="field-error" data-testid="field-error" data-field={field.name} role="alert">
                {error.message}
              </span>
            )}
          </label>
        ))}
        {generalError !== null && (
          <p class="form-error" data-testid="form-error" role="alert">
            {generalError.message}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Please wait…' : props.submitLabel}
        </button>
      </form>
    </main>
  );
}

type OnSignedIn = (answer: SessionAnswer) => void;

export function SetupForm(props: { readonly onSignedIn: OnSignedIn; readonly submit: AuthFormProps['submit'] }) {
  return (
    <AuthForm
      testId="setup-form"
      title="Welcome to Hearth"
      intro="Set up your account. You will be its first administrator."
      fields={[ACCOUNT_NAME, NAME, EMAIL, NEW_PASSWORD]}
      submitLabel="Set up Hearth"
      submit={props.submit}
      onSignedIn={props.onSignedIn}
    />
  );
}

/** The provider's sign-in, returning to the page the person asked for. */
function SsoButton({ sso }: { readonly sso: NonNullable<SignInOptions['sso']> }) {
  const returnTo = encodeURIComponent(window.location.pathname + window.location.search);
  return (
    <a class="button primary sso" data-testid="sso-sign-in" href={`${sso.startUrl}?returnTo=${returnTo}`}>
      {sso.label}
    </a>
  );
}

/** Why the person is asked to sign in again, when they did not sign out here (the session ended elsewhere). */
function SignedOutNotice({ notice }: { readonly notice: string }) {
  return (
    <p class="notice signed-out-notice" data-testid="signed-out-notice" role="status">
      {notice}
    </p>
  );
}

export function SignInForm(props: {
  readonly accountName: string | null;
  readonly options: SignInOptions;
  /** Why the person is here again, when their session ended elsewhere. */
  readonly notice?: string | null;
  readonly onSignedIn: OnSignedIn;
  readonly submit: AuthFormProps['submit'];
}) {
  const title = props.accountName === null ? 'Sign in' : `Sign in to ${props.accountName}`;
  const { sso, password } = props.options;
  const notice = typeof props.notice === 'string' ? <SignedOutNotice notice={props.notice} /> : null;
  if (password === 'disabled' && sso !== null) {
    return (
      <main class="auth">
        <div class="auth-form" data-testid="signin-form">
          <h1>{title}</h1>
          {notice}
          <SsoButton sso={sso} />
        </div>
      </main>
    );
  }
  const lead =
    sso === null ? (
      notice
    ) : (
      <>
        {notice}
        <SsoButton sso={sso} />
        <p class="muted">{password === 'admins' ? 'Password sign-in is for administrators only (break-glass).' : 'Or sign in with your password:'}</p>
      </>
    );
  return (
    <AuthForm
      testId="signin-form"
      title={title}
      fields={[EMAIL, PASSWORD]}
      submitLabel="Sign in"
      submit={props.submit}
      onSignedIn={props.onSignedIn}
      {...(lead === null ? {} : { lead })}
    />
  );
}

export function JoinForm(props: { readonly accountName: string | null; readonly onSignedIn: OnSignedIn; readonly submit: AuthFormProps['submit'] }) {
  return (
    <AuthForm
      testId="join-form"
      title={props.accountName === null ? 'Join Hearth' : `Join ${props.accountName}`}
      intro="You were invited. Create your account to start chatting."
      fields={[NAME, EMAIL, NEW_PASSWORD]}
      submitLabel="Join"
      submit={props.submit}
      onSignedIn={props.onSignedIn}
    />
  );
}
