import { useEffect, useState } from 'react';
import { listHealth } from '../../api/proxies';
import { latencySeries, type LatencyPoint } from '../../lib/records';
import { Sparkline } from '../Sparkline';
import { ErrorMessage } from '../ErrorMessage';

/** The row's small latency chart, fetched again whenever the key's health changes. */
export function ProxyLatency({ proxyId, version, label }: { proxyId: number; version: number; label: string }) {
  const [points, setPoints] = useState<LatencyPoint[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let cancelled = false;
    listHealth(proxyId, 30).then(
      (samples) => {
        if (cancelled) return;
        setPoints(latencySeries(Array.isArray(samples) ? samples : []));
        setError(null);
      },
      (e) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [proxyId, version]);
  if (error) return <ErrorMessage error={error} />;
  if (points.length === 0) return <span className="text-xs text-slate-500 dark:text-slate-400">no checks yet</span>;
  return <Sparkline points={points} label={`Latency of ${label}, last ${points.length} checks`} />;
}
