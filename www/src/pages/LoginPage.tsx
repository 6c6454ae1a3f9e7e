import { useState } from 'react';
import { ErrorMessage } from '../components/ErrorMessage';
import { input, label, primaryButton } from '../components/ui';
import { useAuth } from '../hooks/useAuth';
import { ThemeToggle } from '../components/ThemeToggle';

export function LoginPage() {
  const { login, sessionEndedReason } = useAuth();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async () => {
    setPending(true);
    setError(null);
    try {
      await login(username.trim(), password);
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <main className="relative flex min-h-screen items-center justify-center p-4">
      <div className="absolute right-3 top-3">
        <ThemeToggle />
      </div>
      <form
        aria-labelledby="login-title"
        className="w-full max-w-sm space-y-4 rounded-lg border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-700 dark:bg-slate-900"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1 id="login-title" className="text-xl font-bold">Sign in to steadyproxy</h1>
        {sessionEndedReason && <p role="status" className="text-sm text-amber-800 dark:text-amber-200">{sessionEndedReason}</p>}
        <div>
          <label htmlFor="login-username" className={label}>User name</label>
          <input id="login-username" name="username" autoComplete="username" required className={input} value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div>
          <label htmlFor="login-password" className={label}>Password</label>
          <input id="login-password" name="password" type="password" autoComplete="current-password" required className={input} value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <ErrorMessage error={error} />
        <button type="submit" className={`${primaryButton} w-full`} disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
