import { useEffect, useState } from 'react';
import { getCredentials, regenerateCredentials } from '../api/proxies';
import type { Credentials, Proxy } from '../api/types';
import { buildProxyUrls } from '../lib/proxyUrls';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';
import { ErrorMessage, StatusNote } from './ErrorMessage';
import { button } from './ui';

/** A key's endpoint credentials: hidden until asked for, copyable, and regenerable. */
export function CredentialsPanel({ proxy }: { proxy: Proxy }) {
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const [shown, setShown] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [regenError, setRegenError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    getCredentials(proxy.id).then(
      (c) => !cancelled && setCredentials(c),
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [proxy.id]);

  const regenerate = async () => {
    setPending(true);
    setRegenError(null);
    try {
      setCredentials(await regenerateCredentials(proxy.id));
      setConfirming(false);
      setShown(true);
      setNote('New password set. Clients using the old one are refused from now on.');
    } catch (e) {
      setRegenError(e);
    } finally {
      setPending(false);
    }
  };

  const urls = credentials ? buildProxyUrls(proxy, credentials, window.location.hostname) : [];
  return (
    <div className="space-y-3">
      <ErrorMessage error={error} />
      {credentials && (
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-slate-500 dark:text-slate-400">User name</dt>
          <dd className="font-mono" data-testid="cred-username">{credentials.username}</dd>
          <dt className="text-slate-500 dark:text-slate-400">Password</dt>
          <dd className="font-mono" data-testid="cred-password">{shown ? credentials.password : '••••••••••'}</dd>
          {urls.map((u) => (
            <div key={u.label} className="contents">
              <dt className="text-slate-500 dark:text-slate-400">{u.label}</dt>
              <dd className="flex min-w-0 items-center gap-2">
                <code className="min-w-0 break-all text-xs" data-testid={`cred-url-${u.label.toLowerCase()}`}>{shown ? u.url : u.url.replace(/:[^:@/]*@/, ':••••@')}</code>
                <CopyButton text={u.url} label={u.label} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      <div className="flex flex-wrap gap-2">
        <button type="button" className={button} onClick={() => setShown((s) => !s)} disabled={!credentials} aria-pressed={shown}>
          {shown ? 'Hide password' : 'Show password'}
        </button>
        <button type="button" className={button} onClick={() => setConfirming(true)}>
          Regenerate password
        </button>
      </div>
      <StatusNote>{note}</StatusNote>
      {confirming && (
        <ConfirmDialog
          title="Regenerate the password?"
          confirmLabel="Regenerate"
          pending={pending}
          error={regenError}
          onConfirm={regenerate}
          onCancel={() => {
            setConfirming(false);
            setRegenError(null);
          }}
        >
          <p>Every client using the current URL of {proxy.subdomain} must be given the new one.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
