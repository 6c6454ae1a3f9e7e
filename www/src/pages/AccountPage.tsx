import { useState } from 'react';
import { changePassword } from '../api/auth';
import { createToken, listTokens, revokeToken, type ApiToken, type NewApiToken } from '../api/tokens';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { ErrorMessage, StatusNote } from '../components/ErrorMessage';
import { button, card, input, label, muted, primaryButton, smallButton } from '../components/ui';
import { useAuth } from '../hooks/useAuth';
import { useLoader } from '../hooks/useLoader';
import { formatDateTime } from '../lib/time';
import { passwordProblem } from './UsersPage';
import { withoutField } from '../lib/fieldErrors';

export const MAX_TOKEN_NAME_LENGTH = 100;

type PasswordField = 'current_password' | 'new_password' | 'confirm_password';
type PasswordErrors = Partial<Record<PasswordField, string>>;

function PasswordInput({ id, text, value, error, autoComplete, onChange }: {
  id: PasswordField;
  text: string;
  value: string;
  error?: string;
  autoComplete: string;
  onChange: (v: string) => void;
}) {
  return (
    <div>
      <label htmlFor={id} className={label}>{text}</label>
      <input
        id={id}
        name={id}
        type="password"
        autoComplete={autoComplete}
        className={`${input} max-w-sm`}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {error && <p id={`${id}-error`} role="alert" className="mt-0.5 text-sm text-red-700 dark:text-red-300" data-testid="field-error">{error}</p>}
    </div>
  );
}

/**
 * Changes the caller's own password. The server then revokes every session of the account and
 * answers with a new one for this browser (as at login), so the page stays signed in; should an
 * answer come without a new session, the person is sent to the sign-in page with a note.
 */
function PasswordForm() {
  const { endSession } = useAuth();
  const [values, setValues] = useState<Record<PasswordField, string>>({ current_password: '', new_password: '', confirm_password: '' });
  const [errors, setErrors] = useState<PasswordErrors>({});
  const [error, setError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [note, setNote] = useState<string | null>(null);

  const set = (field: PasswordField, value: string) => {
    setValues((v) => ({ ...v, [field]: value }));
    setNote(null);
    setErrors((e) => withoutField(e, field));
  };

  const submit = async () => {
    setError(null);
    setNote(null);
    const found: PasswordErrors = {};
    if (!values.current_password) found.current_password = 'Enter your current password.';
    const weak = passwordProblem(values.new_password);
    if (weak) found.new_password = weak;
    else if (values.confirm_password !== values.new_password) found.confirm_password = 'The two new passwords differ.';
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setPending(true);
    try {
      const session = await changePassword(values.current_password, values.new_password);
      setValues({ current_password: '', new_password: '', confirm_password: '' });
      if (!session?.csrf_token) {
        endSession('Your password was changed and your sessions were ended. Sign in with the new password.');
        return;
      }
      setNote('Password changed. Your other sessions were signed out; this one goes on. API tokens keep working.');
    } catch (e) {
      setError(e);
      const field = (e as { field?: string | null }).field;
      if (field === 'current_password' || field === 'new_password') setErrors((prev) => ({ ...prev, [field]: (e as Error).message }));
    } finally {
      setPending(false);
    }
  };

  return (
    <form
      aria-labelledby="password-title"
      className={`${card} space-y-3`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="password-title" className="text-lg font-semibold">Change your password</h2>
      <p className={`text-sm ${muted}`}>Every session of your account ends, except this one. Your API tokens are not affected.</p>
      <PasswordInput id="current_password" text="Current password" autoComplete="current-password" value={values.current_password} error={errors.current_password} onChange={(v) => set('current_password', v)} />
      <PasswordInput id="new_password" text="New password" autoComplete="new-password" value={values.new_password} error={errors.new_password} onChange={(v) => set('new_password', v)} />
      <PasswordInput id="confirm_password" text="New password again" autoComplete="new-password" value={values.confirm_password} error={errors.confirm_password} onChange={(v) => set('confirm_password', v)} />
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      <StatusNote>{note}</StatusNote>
      <button type="submit" className={primaryButton} disabled={pending}>
        {pending ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}

/** The secret of a token just created: shown here once, never again (the server keeps a hash). */
function NewTokenPanel({ token, onDone }: { token: NewApiToken; onDone: () => void }) {
  return (
    <div
      role="region"
      aria-label="New API token"
      data-testid="new-token-panel"
      className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <p className="font-semibold">Token “{token.name}” created.</p>
      <p>
        <strong>Copy it now: you will not see it again.</strong> The server keeps only a hash of it; if it is lost, revoke it and create a new one.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="new-token" className="min-w-0 flex-1 select-all break-all rounded bg-white px-2 py-1 font-mono text-xs text-slate-900 dark:bg-slate-900 dark:text-slate-100">
          {token.token}
        </code>
        <CopyButton text={token.token} label="token" ariaLabel="Copy the new API token" />
      </div>
      <p className="text-xs">
        Send it as the header <code className="font-mono">Authorization: Bearer &lt;token&gt;</code>; no CSRF token is needed.
      </p>
      <button type="button" className={button} onClick={onDone}>
        Done, I have copied it
      </button>
    </div>
  );
}

function CreateTokenForm({ onCreated }: { onCreated: (t: NewApiToken) => void }) {
  const [name, setName] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setError(null);
    const trimmed = name.trim();
    if (!trimmed) return setError(new Error('Enter a name for the token (what will use it).'));
    if (trimmed.length > MAX_TOKEN_NAME_LENGTH) return setError(new Error(`Token names have at most ${MAX_TOKEN_NAME_LENGTH} characters.`));
    setPending(true);
    try {
      onCreated(await createToken(trimmed));
      setName('');
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  return (
    <form aria-label="Create an API token" className="space-y-2" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
      <div className="flex flex-wrap items-end gap-2">
        <div className="min-w-[14rem] flex-1">
          <label htmlFor="token-name" className={label}>Token name</label>
          <input id="token-name" className={input} autoComplete="off" maxLength={MAX_TOKEN_NAME_LENGTH} placeholder="e.g. backup script" value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <button type="submit" className={primaryButton} disabled={pending}>{pending ? 'Creating…' : 'Create token'}</button>
      </div>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
    </form>
  );
}

function TokensPanel() {
  const tokens = useLoader(listTokens, []);
  const [created, setCreated] = useState<NewApiToken | null>(null);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const [revokeError, setRevokeError] = useState<unknown>(null);
  const [pending, setPending] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const list = tokens.data ?? [];

  const onCreated = (t: NewApiToken) => {
    setNote(null);
    setCreated(t);
    // The list keeps only what the server lists too: never the secret.
    const record: ApiToken = { id: t.id, name: t.name, created_at: t.created_at ?? null, last_used_at: null };
    tokens.setData([...list.filter((x) => x.id !== t.id), record]);
  };

  const revoke = async () => {
    if (!revoking) return;
    setPending(true);
    setRevokeError(null);
    try {
      await revokeToken(revoking.id);
      tokens.setData(list.filter((x) => x.id !== revoking.id));
      if (created?.id === revoking.id) setCreated(null);
      setNote(`Token “${revoking.name}” revoked.`);
      setRevoking(null);
    } catch (e) {
      setRevokeError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <section aria-labelledby="tokens-title" className={`${card} space-y-3`}>
      <h2 id="tokens-title" className="text-lg font-semibold">API tokens</h2>
      <p className={`text-sm ${muted}`}>
        Personal tokens let scripts call the API as you, with <code className="font-mono">Authorization: Bearer &lt;token&gt;</code> instead of signing in.
      </p>
      <CreateTokenForm onCreated={onCreated} />
      {created && <NewTokenPanel token={created} onDone={() => setCreated(null)} />}
      <StatusNote>{note}</StatusNote>
      <ErrorMessage error={tokens.error} />
      {tokens.loading && !tokens.data ? (
        <p className="text-sm" role="status">Loading tokens…</p>
      ) : list.length === 0 ? (
        <p className={`text-sm ${muted}`}>No API tokens yet.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label="Your API tokens">
            <thead className="text-xs uppercase text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3">Name</th>
                <th scope="col" className="py-1 pr-3">Created</th>
                <th scope="col" className="py-1 pr-3">Last used</th>
                <th scope="col" className="py-1"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id} className="border-t border-slate-100 dark:border-slate-800" data-testid="token-row" data-token-name={t.name}>
                  <td className="break-all py-1 pr-3 font-medium">{t.name}</td>
                  <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs">{formatDateTime(t.created_at)}</td>
                  <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs" data-testid="token-last-used">{t.last_used_at ? formatDateTime(t.last_used_at) : 'never'}</td>
                  <td className="py-1 text-right">
                    <button
                      type="button"
                      className={`${smallButton} text-red-700 dark:text-red-300`}
                      aria-label={`Revoke ${t.name}`}
                      onClick={() => {
                        setRevokeError(null);
                        setNote(null);
                        setRevoking(t);
                      }}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {revoking && (
        <ConfirmDialog
          title={`Revoke token “${revoking.name}”?`}
          confirmLabel="Revoke token"
          pending={pending}
          error={revokeError}
          onCancel={() => { setRevoking(null); setRevokeError(null); }}
          onConfirm={() => void revoke()}
        >
          <p>Whatever uses it gets “401 unauthenticated” from now on. This cannot be undone.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

/** The signed-in person's own account: password and personal API tokens. */
export function AccountPage() {
  const { user } = useAuth();
  return (
    <section aria-labelledby="account-title" className="max-w-3xl space-y-4">
      <h1 id="account-title" className="text-xl font-bold">Account</h1>
      <p className="text-sm">
        Signed in as <strong data-testid="account-username">{user?.username}</strong> ({user?.role}).
      </p>
      <PasswordForm />
      <TokensPanel />
    </section>
  );
}
