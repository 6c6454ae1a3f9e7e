import type { BatchResult } from '../../api/types';

export function batchResultText(r: BatchResult, nameOf?: (id: number) => string | undefined): string {
  const id = r.id ?? r.proxy_id;
  const who = r.key_name || (id !== undefined ? (nameOf?.(id) ?? `#${id}`) : 'key');
  const err = typeof r.error === 'string' ? r.error : r.error?.message;
  const detail = err || r.message || (typeof r.new_ip === 'string' ? `now ${r.new_ip}` : '') || (typeof r.latency_ms === 'number' ? `${r.latency_ms} ms` : '');
  const ok = r.success ?? (r as { ok?: boolean }).ok ?? !err;
  return `${who}: ${ok ? 'ok' : 'failed'}${detail ? ` — ${detail}` : ''}`;
}

/** The per-key outcome of "check all" or "rotate all". */
export function BatchResults({ title, results, onClose, nameOf }: { title: string; results: BatchResult[]; onClose: () => void; nameOf?: (id: number) => string | undefined }) {
  return (
    <section aria-label={title} className="rounded-md border border-slate-200 p-3 text-sm dark:border-slate-700">
      <div className="mb-1 flex items-center justify-between">
        <h3 className="font-semibold">{title}</h3>
        <button type="button" onClick={onClose} className="rounded px-2 hover:bg-slate-100 focus-visible:ring-2 focus-visible:ring-sky-500 dark:hover:bg-slate-800" aria-label={`Close ${title}`}>×</button>
      </div>
      <ul className="space-y-0.5">
        {results.length === 0 && <li>No keys.</li>}
        {results.map((r, i) => (
          <li key={i} data-testid="batch-result">{batchResultText(r, nameOf)}</li>
        ))}
      </ul>
    </section>
  );
}
