import { useEffect, useState } from 'react';
import { getCredentials } from '../../api/proxies';
import type { Credentials, Proxy } from '../../api/types';
import { buildProxyUrls } from '../../lib/proxyUrls';
import { CopyButton } from '../CopyButton';
import { ErrorMessage } from '../ErrorMessage';
import { smallButton } from '../ui';

/** The password replaced by dots, for showing a URL on screen. */
export function maskUrlPassword(url: string): string {
  return url.replace(/^([a-z0-9+.-]+:\/\/[^:@/]*:)([^@/]*)@/i, '$1••••@');
}

/**
 * The key's public endpoint and copy buttons for its ready-to-paste URLs (credentials are
 * fetched from the API; the password is never shown in the row, only copied).
 */
export function ProxyEndpoint({ proxy, credentialsVersion = 0 }: { proxy: Proxy; credentialsVersion?: number }) {
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setError(null);
    getCredentials(proxy.id).then(
      (c) => !cancelled && setCredentials(c),
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [proxy.id, credentialsVersion, attempt]);

  const urls = credentials ? buildProxyUrls(proxy, credentials, window.location.hostname) : [];
  return (
    <div className="min-w-0 space-y-1">
      <div className="font-mono text-sm" data-testid="endpoint">
        {proxy.endpoint}
        <span className="ml-1 text-xs text-slate-500 dark:text-slate-400">({proxy.subdomain})</span>
      </div>
      {urls.length > 0 && (
        <ul className="flex flex-wrap gap-1" aria-label={`Proxy URLs for ${proxy.subdomain}`}>
          {urls.map((u) => (
            <li key={u.label} className="flex items-center gap-1">
              <CopyButton text={u.url} label={u.label} description={`${u.label} ${proxy.subdomain}`} />
              <span className="sr-only">{maskUrlPassword(u.url)}</span>
            </li>
          ))}
        </ul>
      )}
      {error !== null && (
        <div className="flex items-start gap-1">
          <ErrorMessage error={error} className="flex-1" />
          <button type="button" className={smallButton} onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}
    </div>
  );
}
