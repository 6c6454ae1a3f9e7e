import { getProxy, listHealth, listLeases } from '../api/proxies';
import { listLogs } from '../api/logs';
import { CredentialsPanel } from '../components/CredentialsPanel';
import { ErrorMessage } from '../components/ErrorMessage';
import { LatencyChart } from '../components/LatencyChart';
import { LogTable } from '../components/LogTable';
import { StatusBadge } from '../components/StatusBadge';
import { ProxyTimers } from '../components/proxies/ProxyTimers';
import { card, link } from '../components/ui';
import { useLoader } from '../hooks/useLoader';
import { useNow } from '../hooks/useNow';
import { Link } from '../hooks/useRoute';
import { useServerEvent } from '../hooks/useServerEvents';
import { eventKeyId } from '../lib/proxiesReducer';
import { exitIpView } from '../lib/exitIp';
import { describeUpstream } from '../lib/proxyUrls';
import { latencySeries, leaseExpiresAt, leaseHttp, leaseIp, leaseObtainedAt } from '../lib/records';
import { regionLabel } from '../lib/regions';
import { formatDateTime } from '../lib/time';

/** One key in depth: its lease history, health chart, log lines and credentials. */
export function ProxyDetailsPage({ id }: { id: number }) {
  const now = useNow(1000);
  const proxy = useLoader(() => getProxy(id), [id]);
  const leases = useLoader(() => listLeases(id, 50), [id]);
  const health = useLoader(() => listHealth(id, 120), [id]);
  const logs = useLoader(() => listLogs({ proxyId: id, limit: 50, offset: 0 }), [id]);

  useServerEvent(
    (event) => {
      if (event.type === 'settings.changed') void proxy.reload();
      if (eventKeyId(event) !== id) return;
      void proxy.reload();
      void logs.reload();
      if (event.type === 'upstream.changed') void leases.reload();
      if (event.type === 'health.changed' || event.type === 'upstream.changed') void health.reload();
    },
    () => {
      void proxy.reload();
      void leases.reload();
      void health.reload();
      void logs.reload();
    },
  );

  const p = proxy.data;
  return (
    <section aria-labelledby="details-title" className="space-y-4">
      <p>
        <Link to="/" className={link}>← All proxies</Link>
      </p>
      <ErrorMessage error={proxy.error} />
      {!p && !proxy.error && <p role="status">Loading…</p>}
      {p && (
        <>
          <div className={`${card} space-y-2`}>
            <h1 id="details-title" className="text-xl font-bold">
              #{p.id} {p.key_name || p.subdomain}
            </h1>
            <div className="grid gap-3 text-sm sm:grid-cols-2 lg:grid-cols-4">
              <div>
                <div className="font-mono text-xs text-slate-500 dark:text-slate-400">{p.kiotproxy_key}</div>
                <div>Endpoint <span className="font-mono">{p.endpoint}</span> ({p.subdomain})</div>
                <div>Region: {regionLabel(String(p.region))}</div>
              </div>
              <div>
                <div className="font-mono" data-testid="upstream">{describeUpstream(p.remote_http)}</div>
                <div>Exit IP <span className="font-mono" data-testid="exit-ip">{exitIpView(p).ip ?? '—'}</span></div>
                {exitIpView(p).mismatch && <div className="text-xs text-amber-700 dark:text-amber-300">last check saw <span className="font-mono">{exitIpView(p).mismatch}</span></div>}
                <div>{p.location || '—'}</div>
              </div>
              <div className="space-y-1">
                <StatusBadge status={p.is_active ? p.status : 'inactive'} title={p.status_message || undefined} />
                <div>{typeof p.latency_ms === 'number' && p.latency_ms >= 0 ? `${p.latency_ms} ms` : '—'}, checked {formatDateTime(p.last_check_at)}</div>
                {p.status_message && <div className="text-xs">{p.status_message}</div>}
              </div>
              <ProxyTimers proxy={p} now={now} />
            </div>
          </div>

          <div className={card}>
            <h2 className="mb-2 text-lg font-semibold">Credentials</h2>
            <CredentialsPanel proxy={p} />
          </div>

          <div className={card}>
            <h2 className="mb-2 text-lg font-semibold">Health</h2>
            <ErrorMessage error={health.error} />
            {health.data && <LatencyChart points={latencySeries(health.data)} />}
          </div>

          <div className={card}>
            <h2 className="mb-2 text-lg font-semibold">Lease history</h2>
            <ErrorMessage error={leases.error} />
            {leases.data && leases.data.length === 0 && <p className="text-sm">No upstreams yet.</p>}
            {leases.data && leases.data.length > 0 && (
              <div className="overflow-x-auto">
                <table className="w-full text-left text-sm" data-testid="lease-table">
                  <thead className="text-xs uppercase text-slate-500 dark:text-slate-400">
                    <tr>
                      <th scope="col" className="py-1 pr-3">Obtained</th>
                      <th scope="col" className="py-1 pr-3">IP</th>
                      <th scope="col" className="py-1 pr-3">Upstream</th>
                      <th scope="col" className="py-1 pr-3">Location</th>
                      <th scope="col" className="py-1 pr-3">Reason</th>
                      <th scope="col" className="py-1 pr-3">Expires</th>
                      <th scope="col" className="py-1 pr-3">Ended</th>
                    </tr>
                  </thead>
                  <tbody>
                    {leases.data.map((l, i) => (
                      <tr key={l.id ?? i} className="border-t border-slate-100 dark:border-slate-800">
                        <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs">{formatDateTime(leaseObtainedAt(l))}</td>
                        <td className="py-1 pr-3 font-mono">{leaseIp(l) ?? '—'}</td>
                        <td className="py-1 pr-3 font-mono">{describeUpstream(leaseHttp(l))}</td>
                        <td className="py-1 pr-3">{l.location || '—'}{l.region ? ` [${l.region}]` : ''}</td>
                        <td className="py-1 pr-3">{l.reason || '—'}</td>
                        <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs">{formatDateTime(leaseExpiresAt(l))}</td>
                        <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs">{l.ended_at ? formatDateTime(l.ended_at) : 'current'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </div>

          <div className={card}>
            <h2 className="mb-2 text-lg font-semibold">Log</h2>
            <ErrorMessage error={logs.error} />
            {logs.data && <LogTable entries={logs.data.items} showKey={false} />}
          </div>
        </>
      )}
    </section>
  );
}
