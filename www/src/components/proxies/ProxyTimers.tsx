import type { Proxy } from '../../api/types';
import { formatDateTime, timeLeft } from '../../lib/time';

/** Time left before the upstream expires and before the provider allows the next change. */
export function ProxyTimers({ proxy, now }: { proxy: Proxy; now: number }) {
  const expiry = timeLeft(proxy.expiration_at, now, 'expired');
  const change = timeLeft(proxy.next_change_at, now, 'now');
  const rotation = timeLeft(proxy.next_rotation_at, now, 'due');
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-2 text-sm">
      <dt className="text-slate-500 dark:text-slate-400">Expires in</dt>
      <dd data-testid="expires-in" title={formatDateTime(proxy.expiration_at)} className={expiry.past ? 'font-semibold text-red-600 dark:text-red-400' : expiry.seconds !== null && expiry.seconds < 120 ? 'text-amber-700 dark:text-amber-300' : ''}>
        {expiry.text}
      </dd>
      <dt className="text-slate-500 dark:text-slate-400">Next change</dt>
      <dd data-testid="next-change" title={formatDateTime(proxy.next_change_at)}>{change.text}</dd>
      {proxy.next_rotation_at && (
        <>
          <dt className="text-slate-500 dark:text-slate-400">Auto-rotate</dt>
          <dd title={formatDateTime(proxy.next_rotation_at)}>
            {rotation.text}
            {proxy.next_rotation_reason ? ` (${proxy.next_rotation_reason})` : ''}
          </dd>
        </>
      )}
    </dl>
  );
}
