import type { LatencyPoint } from '../lib/records';
import { formatDateTime } from '../lib/time';
import { sparklinePath } from './Sparkline';

/**
 * The health chart of a key's details: latency over time with failed checks marked in red.
 * The drawing stretches to the width; the labels are HTML so they keep their size.
 */
export function LatencyChart({ points }: { points: LatencyPoint[] }) {
  const width = 600;
  const height = 120;
  if (points.length === 0) return <p className="text-sm text-slate-500 dark:text-slate-400">No health checks yet.</p>;
  const values = points.map((p) => p.latencyMs).filter((v): v is number => v !== null);
  const max = Math.max(...values, 1);
  const failures = points.filter((p) => !p.ok).length;
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  const summary = `${points.length} checks, ${failures} failed${values.length ? `, latency ${Math.min(...values)}–${max} ms` : ''}`;
  return (
    <figure className="w-full space-y-1">
      <div className="flex justify-between text-xs text-slate-500 dark:text-slate-400">
        <span>{max} ms</span>
        <span>
          <span className="mr-1 inline-block h-2 w-2 bg-red-500" aria-hidden="true" />
          failed check
        </span>
      </div>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        className="h-32 w-full rounded border border-slate-200 dark:border-slate-700"
        role="img"
        aria-label={`Latency chart: ${summary}`}
      >
        <path d={sparklinePath(points, width, height)} fill="none" stroke="currentColor" strokeWidth="2" vectorEffect="non-scaling-stroke" className="text-sky-600 dark:text-sky-400" />
        {points.map((p, i) =>
          p.ok ? null : <rect key={i} x={(points.length > 1 ? i * step : width / 2) - 2} y={height - 14} width="4" height="14" className="fill-red-500" />,
        )}
      </svg>
      <div className="flex justify-between text-xs text-slate-500 dark:text-slate-400">
        <span>{formatDateTime(points[0].at)}</span>
        <span>{formatDateTime(points[points.length - 1].at)}</span>
      </div>
      <figcaption className="text-xs text-slate-500 dark:text-slate-400">{summary}</figcaption>
    </figure>
  );
}
