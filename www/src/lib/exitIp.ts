import type { Proxy } from '../api/types';
import { toEpochMs } from './time';

export interface ExitIpView {
  /** The IP to show: the one the provider announced for the current upstream. */
  ip: string | null;
  /** The address a health check last saw, when it was checked on the current upstream and differs. */
  mismatch: string | null;
}

/**
 * `remote_ip` is what the provider announced for the current upstream and changes at every
 * rotation; `exit_ip` is what the last health check saw, which lags until the next check.
 * Show the first, and point out the second only when it was measured on this upstream and
 * disagrees (traffic leaving from somewhere unexpected).
 */
export function exitIpView(proxy: Pick<Proxy, 'remote_ip' | 'exit_ip' | 'last_check_at' | 'last_rotated_at'>): ExitIpView {
  const announced = proxy.remote_ip || null;
  const seen = proxy.exit_ip || null;
  if (!announced) return { ip: seen, mismatch: null };
  if (!seen || seen === announced) return { ip: announced, mismatch: null };
  const checked = toEpochMs(proxy.last_check_at);
  const rotated = toEpochMs(proxy.last_rotated_at);
  // Times have whole seconds: a check in the rotation's own second may predate it, so it does not count.
  const checkedOnThisUpstream = checked !== null && (rotated === null || checked > rotated);
  return { ip: announced, mismatch: checkedOnThisUpstream ? seen : null };
}
