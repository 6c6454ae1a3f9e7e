import { useRef, useState } from 'react';
import { importDataJson, listPlugins, reloadConfig, type ImportReport, type PluginInfo, type ReloadReport } from '../api/system';
import { ErrorMessage } from '../components/ErrorMessage';
import { button, card, input, label, muted, primaryButton } from '../components/ui';
import { useAuth } from '../hooks/useAuth';
import { useLoader } from '../hooks/useLoader';

function PluginsPanel() {
  const plugins = useLoader(listPlugins, []);
  const list = plugins.data ?? [];
  return (
    <section aria-labelledby="plugins-title" className={`${card} space-y-3`}>
      <div className="flex flex-wrap items-center gap-2">
        <h2 id="plugins-title" className="text-lg font-semibold">Plugins</h2>
        <button type="button" className={`${button} ml-auto`} onClick={() => void plugins.reload()} disabled={plugins.loading}>
          Refresh
        </button>
      </div>
      <ErrorMessage error={plugins.error} />
      {plugins.loading && !plugins.data ? (
        <p className="text-sm" role="status">Loading plugins…</p>
      ) : list.length === 0 && !plugins.error ? (
        <p className={`text-sm ${muted}`}>No plugins are loaded.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label="Loaded plugins">
            <thead className="text-xs uppercase text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3">Plugin</th>
                <th scope="col" className="py-1 pr-3">Kind</th>
                <th scope="col" className="py-1 pr-3">Version</th>
                <th scope="col" className="py-1 pr-3">State</th>
                <th scope="col" className="py-1 pr-3">Description</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p: PluginInfo) => (
                <tr key={p.id} className="border-t border-slate-100 align-top dark:border-slate-800" data-testid="plugin-row" data-plugin-id={p.id}>
                  <td className="py-1 pr-3">
                    <span className="font-mono font-medium">{p.id}</span>
                    {p.file && <span className={`block break-all text-xs ${muted}`}>{p.file}</span>}
                  </td>
                  <td className="py-1 pr-3">{p.kind || '—'}</td>
                  <td className="whitespace-nowrap py-1 pr-3 font-mono text-xs" title={p.build ? `build ${p.build}` : undefined}>{p.version || '—'}</td>
                  <td className="py-1 pr-3">
                    {p.started ? (
                      <span className="rounded-full bg-emerald-100 px-2 text-xs text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100">started</span>
                    ) : (
                      <span className="rounded-full bg-amber-100 px-2 text-xs text-amber-900 dark:bg-amber-900 dark:text-amber-100">not started</span>
                    )}
                  </td>
                  <td className="break-words py-1 pr-3">{p.description || ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function KeyList({ title, keys, testId, className = '' }: { title: string; keys: string[]; testId: string; className?: string }) {
  return (
    <div>
      <h3 className="text-sm font-semibold">{title}</h3>
      {keys.length === 0 ? (
        <p className={`text-sm ${muted}`}>none</p>
      ) : (
        <ul className={`list-inside list-disc text-sm ${className}`} data-testid={testId}>
          {keys.map((k) => (
            <li key={k}><code className="font-mono">{k}</code></li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ReloadPanel() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<ReloadReport | null>(null);
  const run = async () => {
    setPending(true);
    setError(null);
    setReport(null);
    try {
      const answer = await reloadConfig();
      setReport({ ...answer, applied: answer?.applied ?? [], restart_required: answer?.restart_required ?? [], notes: answer?.notes ?? [] });
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  const nothing = report && report.applied.length === 0 && report.restart_required.length === 0;
  return (
    <section aria-labelledby="reload-title" className={`${card} space-y-3`}>
      <h2 id="reload-title" className="text-lg font-semibold">Configuration</h2>
      <p className={`text-sm ${muted}`}>
        Re-reads the configuration file the server was started with (as <code className="font-mono">SIGHUP</code> does) and applies what can change
        without a restart. An invalid file is refused and the running configuration stays.
      </p>
      <button type="button" className={primaryButton} disabled={pending} onClick={() => void run()}>
        {pending ? 'Reloading…' : 'Reload configuration'}
      </button>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      {report && (
        <div role="region" aria-label="Reload result" className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <p role="status" className="text-sm font-medium">
            {nothing
              ? 'Configuration reloaded: nothing changed.'
              : `Configuration reloaded: ${report.applied.length} applied now, ${report.restart_required.length} need a restart.`}
          </p>
          {!nothing && (
            <>
              <KeyList title="Applied now" keys={report.applied} testId="reload-applied" />
              <KeyList title="Needs a restart to take effect" keys={report.restart_required} testId="reload-restart" className="text-amber-800 dark:text-amber-200" />
            </>
          )}
          {(report.notes ?? []).length > 0 && (
            <div>
              <h3 className="text-sm font-semibold">Notes</h3>
              <ul className="list-inside list-disc text-sm" data-testid="reload-notes">
                {(report.notes ?? []).map((n) => <li key={n}>{n}</li>)}
              </ul>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** Reads a chosen file as text (Blob.text where the browser has it, FileReader otherwise). */
function readText(file: File): Promise<string> {
  if (typeof file.text === 'function') return file.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result ?? ''));
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsText(file);
  });
}

/** Parses a data.json file; the API takes its JSON object as the request body, as it is. */
export async function readDataJson(file: File): Promise<Record<string, unknown>> {
  const text = await readText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file.name} is not JSON (${(e as Error).message}); choose the data.json of KiotProxy Manager.`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${file.name} does not hold a JSON object; a data.json has "settings", "users" and "proxy_keys".`);
  }
  return parsed as Record<string, unknown>;
}

const IMPORTED_LABELS: Record<string, string> = { settings: 'Settings', users: 'Users', keys: 'Keys', logs: 'Log lines' };

function ImportReportView({ report }: { report: ImportReport }) {
  const counts = report.imported ?? {};
  const order = Object.keys(IMPORTED_LABELS);
  const imported = Object.entries(counts).sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const skipped = report.skipped ?? [];
  return (
    <div role="region" aria-label="Import report" className="space-y-3 rounded-md border border-slate-200 p-3 dark:border-slate-700">
      <p role="status" className="text-sm font-medium">
        Import finished. Imported: {imported.map(([k, n]) => `${(IMPORTED_LABELS[k] ?? k).toLowerCase()} ${n}`).join(', ') || 'nothing'}; skipped: {skipped.length}.
      </p>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4" data-testid="import-counts">
        {imported.map(([k, n]) => (
          <div key={k}>
            <dt className={muted}>{IMPORTED_LABELS[k] ?? k}</dt>
            <dd className="font-semibold" data-testid={`imported-${k}`}>{n}</dd>
          </div>
        ))}
      </dl>
      {skipped.length === 0 ? (
        <p className={`text-sm ${muted}`}>Nothing was skipped.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" aria-label="Skipped items">
            <thead className="text-xs uppercase text-slate-500 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3">Skipped</th>
                <th scope="col" className="py-1 pr-3">Why</th>
              </tr>
            </thead>
            <tbody>
              {skipped.map((s, i) => (
                <tr key={`${s.what}-${i}`} className="border-t border-slate-100 align-top dark:border-slate-800" data-testid="import-skipped-row">
                  <td className="break-all py-1 pr-3 font-mono text-xs">{s.what}</td>
                  <td className="break-words py-1 pr-3">{s.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function ImportPanel() {
  const fileInput = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const run = async () => {
    setError(null);
    setReport(null);
    if (!file) return setError(new Error('Choose a data.json file first.'));
    setPending(true);
    try {
      const data = await readDataJson(file);
      setReport(await importDataJson(data));
      setFile(null);
      if (fileInput.current) fileInput.current.value = '';
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };
  return (
    <section aria-labelledby="import-title" className={`${card} space-y-3`}>
      <h2 id="import-title" className="text-lg font-semibold">Import data.json</h2>
      <p className={`text-sm ${muted}`}>
        Brings over the earlier KiotProxy Manager's <code className="font-mono">data.json</code>: its settings, users (with their password hashes), keys
        and their log lines. Users and keys that already exist are kept as they are; everything left out is listed with the reason.
      </p>
      <form
        aria-label="Import data.json"
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <div className="min-w-[14rem] flex-1">
          <label htmlFor="import-file" className={label}>data.json file</label>
          <input
            id="import-file"
            ref={fileInput}
            type="file"
            accept=".json,application/json"
            className={input}
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setError(null);
            }}
          />
        </div>
        <button type="submit" className={primaryButton} disabled={pending}>
          {pending ? 'Importing…' : 'Import'}
        </button>
      </form>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      {report && <ImportReportView report={report} />}
    </section>
  );
}

/** Admins only: loaded plugins, reloading the configuration file, importing the earlier tool's data. */
export function SystemPage() {
  const { isAdmin } = useAuth();
  if (!isAdmin) {
    return (
      <section className="space-y-2">
        <h1 className="text-xl font-bold">System</h1>
        <p role="alert">Only admins can see the system page.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="system-title" className="max-w-5xl space-y-4">
      <h1 id="system-title" className="text-xl font-bold">System</h1>
      <PluginsPanel />
      <ReloadPanel />
      <ImportPanel />
    </section>
  );
}
