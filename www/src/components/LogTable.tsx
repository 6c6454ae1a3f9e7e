import type { LogEntry } from '../api/types';
import { logKeyId, logTime } from '../lib/records';
import { formatDateTime } from '../lib/time';

/** Log lines, newest first as the API gives them. On phones each line wraps as a block. */
export function LogTable({ entries, showKey = true, keyName }: { entries: LogEntry[]; showKey?: boolean; keyName?: (id: number) => string | undefined }) {
  if (entries.length === 0) return <p className="text-sm text-slate-500 dark:text-slate-400">No log lines.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="log-table">
        <thead className="text-xs uppercase text-slate-500 dark:text-slate-400">
          <tr>
            <th scope="col" className="py-1 pr-3">Time</th>
            {showKey && <th scope="col" className="py-1 pr-3">Key</th>}
            <th scope="col" className="py-1 pr-3">Action</th>
            <th scope="col" className="py-1 pr-3">Status</th>
            <th scope="col" className="py-1 pr-3">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => {
            const id = logKeyId(e);
            return (
              <tr key={e.id} className="border-t border-slate-100 align-top dark:border-slate-800" data-testid="log-row" data-action={e.action}>
                <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs">{formatDateTime(logTime(e))}</td>
                {showKey && <td className="py-1 pr-3">{id ? (keyName?.(id) ?? `#${id}`) : '—'}</td>}
                <td className="py-1 pr-3">
                  {e.action}
                  {e.reason ? <span className="text-xs text-slate-500 dark:text-slate-400"> ({e.reason})</span> : null}
                  {e.region ? <span className="text-xs text-slate-500 dark:text-slate-400"> [{e.region}]</span> : null}
                </td>
                <td className={`py-1 pr-3 ${e.status === 'error' || e.status === 'failed' ? 'text-red-700 dark:text-red-300' : ''}`}>{e.status || '—'}</td>
                <td className="break-words py-1 pr-3">{e.details || ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
