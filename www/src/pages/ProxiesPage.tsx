import { useState } from 'react';
import { checkAll, rotateAll } from '../api/proxies';
import type { BatchResult } from '../api/types';
import { ErrorMessage } from '../components/ErrorMessage';
import { AddKeyForm } from '../components/proxies/AddKeyForm';
import { BatchResults } from '../components/proxies/BatchResults';
import { BulkImportForm } from '../components/proxies/BulkImportForm';
import { ProxyRow } from '../components/proxies/ProxyRow';
import { button, card } from '../components/ui';
import { useAction } from '../hooks/useAction';
import { useNow } from '../hooks/useNow';
import { useProxies } from '../hooks/useProxies';

const FLASH_MS = 4000;

/** The dashboard: every key with its endpoint and state, and the actions on them. */
export function ProxiesPage() {
  const proxies = useProxies();
  const now = useNow(1000);
  const [panel, setPanel] = useState<'add' | 'bulk' | null>(null);
  const [batch, setBatch] = useState<{ title: string; results: BatchResult[] } | null>(null);
  const checkAllAction = useAction(async () => {
    const answer = await checkAll();
    setBatch({ title: 'Check all', results: answer.results ?? [] });
  });
  const rotateAllAction = useAction(async () => {
    const answer = await rotateAll();
    setBatch({ title: 'Rotate all', results: answer.results ?? [] });
    void proxies.reload();
  });

  return (
    <section aria-labelledby="proxies-title" className="space-y-4">
      <div className="flex flex-wrap items-center gap-2">
        <h1 id="proxies-title" className="mr-auto text-xl font-bold">
          Proxies <span className="text-base font-normal text-slate-500 dark:text-slate-400">({proxies.items.length})</span>
        </h1>
        <button type="button" className={button} aria-expanded={panel === 'add'} onClick={() => setPanel(panel === 'add' ? null : 'add')}>
          Add key
        </button>
        <button type="button" className={button} aria-expanded={panel === 'bulk'} onClick={() => setPanel(panel === 'bulk' ? null : 'bulk')}>
          Bulk import
        </button>
        <button type="button" className={button} disabled={checkAllAction.pending} onClick={() => void checkAllAction.run()}>
          {checkAllAction.pending ? 'Checking…' : 'Check all'}
        </button>
        <button type="button" className={button} disabled={rotateAllAction.pending} onClick={() => void rotateAllAction.run()}>
          {rotateAllAction.pending ? 'Rotating…' : 'Rotate all'}
        </button>
      </div>

      {panel === 'add' && (
        <div className={card}>
          <AddKeyForm onAdded={proxies.upsert} />
        </div>
      )}
      {panel === 'bulk' && (
        <div className={card}>
          <BulkImportForm onImported={() => void proxies.reload()} />
        </div>
      )}

      <ErrorMessage error={checkAllAction.error} onDismiss={checkAllAction.clearError} />
      <ErrorMessage error={rotateAllAction.error} onDismiss={rotateAllAction.clearError} />
      {batch && (
        <BatchResults
          title={batch.title}
          results={batch.results}
          onClose={() => setBatch(null)}
          nameOf={(id) => {
            const p = proxies.items.find((x) => x.id === id);
            return p ? `#${id} ${p.key_name || p.subdomain}` : undefined;
          }}
        />
      )}
      <ErrorMessage error={proxies.error} onDismiss={proxies.clearError} />

      {!proxies.loaded && proxies.error === null && <p role="status">Loading keys…</p>}
      {proxies.loaded && proxies.items.length === 0 && (
        <p className="rounded-md border border-dashed border-slate-300 p-6 text-center text-slate-600 dark:border-slate-700 dark:text-slate-300">
          No keys yet. Add a provider key to get a steady endpoint.
        </p>
      )}
      <ul className="space-y-3" aria-label="Keys">
        {proxies.items.map((p) => (
          <ProxyRow
            key={p.id}
            proxy={p}
            now={now}
            healthVersion={proxies.healthVersion[p.id] ?? 0}
            flashed={now - (proxies.flashed[p.id] ?? 0) < FLASH_MS}
            onChanged={proxies.upsert}
            onRemoved={proxies.remove}
          />
        ))}
      </ul>
    </section>
  );
}
