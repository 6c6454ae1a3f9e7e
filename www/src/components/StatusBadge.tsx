const COLORS: Record<string, string> = {
  active: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-200',
  degraded: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  error: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200',
  expired: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-200',
  paused: 'bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200',
  inactive: 'bg-slate-200 text-slate-700 dark:bg-slate-700 dark:text-slate-200',
};

export function StatusBadge({ status, title }: { status: string; title?: string }) {
  const color = COLORS[status] ?? 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-200';
  return (
    <span title={title} data-testid="status" className={`inline-block rounded-full px-2 py-0.5 text-xs font-semibold ${color}`}>
      {status || 'unknown'}
    </span>
  );
}
