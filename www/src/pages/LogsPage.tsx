import { useState } from 'react';
import { listLogs } from '../api/logs';
import { listProxies } from '../api/proxies';
import { ErrorMessage } from '../components/ErrorMessage';
import { LogTable } from '../components/LogTable';
import { Pager } from '../components/Pager';
import { button, input, label } from '../components/ui';
import { useLoader } from '../hooks/useLoader';
import { useRoute } from '../hooks/useRoute';

const PAGE_SIZE = 25;
const KNOWN_ACTIONS = ['rotate', 'add', 'delete', 'update', 'check', 'restart', 'settings', 'credentials', 'import', 'login'];

/** Every log line, newest first, filtered by key and action, in pages. State lives in the URL. */
export function LogsPage() {
  const { search, navigate } = useRoute();
  const proxyId = search.get('proxy_id') ? Number(search.get('proxy_id')) : null;
  const action = search.get('action') ?? '';
  const offset = Math.max(0, Number(search.get('offset') ?? 0) || 0);
  const [draftAction, setDraftAction] = useState(action);

  const keys = useLoader(() => listProxies(), []);
  const logs = useLoader(() => listLogs({ proxyId, action, limit: PAGE_SIZE, offset }), [proxyId, action, offset]);

  const go = (next: { proxyId?: number | null; action?: string; offset?: number }) => {
    const params = new URLSearchParams();
    const p = next.proxyId === undefined ? proxyId : next.proxyId;
    const a = next.action === undefined ? action : next.action;
    const o = next.offset ?? 0;
    if (p) params.set('proxy_id', String(p));
    if (a) params.set('action', a);
    if (o) params.set('offset', String(o));
    const qs = params.toString();
    navigate(`/logs${qs ? `?${qs}` : ''}`);
  };

  const keyName = (id: number) => {
    const k = keys.data?.items.find((p) => p.id === id);
    return k ? `#${id} ${k.key_name || k.subdomain}` : undefined;
  };

  return (
    <section aria-labelledby="logs-title" className="space-y-4">
      <h1 id="logs-title" className="text-xl font-bold">Logs</h1>
      <form
        className="flex flex-wrap items-end gap-2"
        aria-label="Filter logs"
        onSubmit={(e) => {
          e.preventDefault();
          go({ action: draftAction.trim() });
        }}
      >
        <div>
          <label htmlFor="log-key" className={label}>Key</label>
          <select id="log-key" className={input} value={proxyId ?? ''} onChange={(e) => go({ proxyId: e.target.value ? Number(e.target.value) : null })}>
            <option value="">All keys</option>
            {keys.data?.items.map((p) => (
              <option key={p.id} value={p.id}>
                #{p.id} {p.key_name || p.subdomain}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label htmlFor="log-action" className={label}>Action</label>
          <input id="log-action" className={input} list="log-actions" value={draftAction} placeholder="any" onChange={(e) => setDraftAction(e.target.value)} />
          <datalist id="log-actions">
            {KNOWN_ACTIONS.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <button type="submit" className={button}>Filter</button>
        <button type="button" className={button} onClick={() => { setDraftAction(''); go({ proxyId: null, action: '' }); }}>
          Clear
        </button>
        <button type="button" className={button} onClick={() => void logs.reload()}>
          Refresh
        </button>
      </form>
      <ErrorMessage error={keys.error} />
      <ErrorMessage error={logs.error} />
      {logs.loading && !logs.data && <p role="status">Loading…</p>}
      {logs.data && (
        <>
          <LogTable entries={logs.data.items} keyName={keyName} />
          <Pager offset={offset} limit={PAGE_SIZE} total={logs.data.total} shown={logs.data.items.length} onChange={(o) => go({ offset: o })} />
        </>
      )}
    </section>
  );
}
