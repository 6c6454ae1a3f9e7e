import type { LatencyPoint } from '../lib/records';

/**
 * Small latency line for a dashboard row: one point per sample, failed checks as red ticks.
 * Scaled to its own maximum; purely visual (the numbers are in the row's text).
 */
export function sparklinePath(points: LatencyPoint[], width: number, height: number): string {
  const values = points.map((p) => p.latencyMs).filter((v): v is number => v !== null);
  if (values.length === 0) return '';
  const max = Math.max(...values, 1);
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  let d = '';
  let pen = false;
  points.forEach((p, i) => {
    if (p.latencyMs === null) {
      pen = false;
      return;
    }
    const x = points.length > 1 ? i * step : width / 2;
    const y = height - 1 - (p.latencyMs / max) * (height - 2);
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  return d;
}

export function Sparkline({ points, width = 96, height = 24, label }: { points: LatencyPoint[]; width?: number; height?: number; label: string }) {
  const path = sparklinePath(points, width, height);
  const step = points.length > 1 ? width / (points.length - 1) : 0;
  return (
    <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} className="overflow-visible">
      <title>{label}</title>
      {path && <path d={path} fill="none" stroke="currentColor" strokeWidth="1.5" className="text-sky-600 dark:text-sky-400" />}
      {points.map((p, i) =>
        p.ok ? null : <line key={i} x1={i * step} x2={i * step} y1={height - 6} y2={height} stroke="currentColor" className="text-red-500" strokeWidth="2" />,
      )}
    </svg>
  );
}
