import { useState } from 'react';
import { bulkImport } from '../../api/proxies';
import type { BulkImportResult } from '../../api/types';
import { ErrorMessage } from '../ErrorMessage';
import { RegionSelect } from '../RegionSelect';
import { input, label, primaryButton } from '../ui';

export function countKeys(text: string): number {
  return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).length;
}

export function bulkResultMessage(result: BulkImportResult): string {
  if (result.success) return result.id !== undefined ? `added as #${result.id}` : 'added';
  const e = result.error;
  if (typeof e === 'string') return e;
  return e?.message || e?.code || 'failed';
}

/** Many keys at once, one per line; one result line per key. */
export function BulkImportForm({ onImported }: { onImported: () => void }) {
  const [text, setText] = useState('');
  const [region, setRegion] = useState('random');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [results, setResults] = useState<BulkImportResult[] | null>(null);
  const count = countKeys(text);

  const submit = async () => {
    setError(null);
    setResults(null);
    if (count === 0) {
      setError(new Error('Paste at least one key, one per line.'));
      return;
    }
    setPending(true);
    try {
      const answer = await bulkImport(text, region);
      setResults(answer.results ?? []);
      if ((answer.results ?? []).some((r) => r.success)) onImported();
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <form
      aria-label="Bulk import"
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor="bulk-keys" className={label}>Keys, one per line</label>
      <textarea id="bulk-keys" rows={4} className={`${input} font-mono`} value={text} spellCheck={false} onChange={(e) => setText(e.target.value)} />
      <div className="flex flex-wrap items-end gap-2">
        <div>
          <label htmlFor="bulk-region" className={label}>Region</label>
          <RegionSelect id="bulk-region" label="Region for imported keys" value={region} onChange={setRegion} />
        </div>
        <button type="submit" className={primaryButton} disabled={pending}>
          {pending ? 'Importing…' : `Import ${count} key${count === 1 ? '' : 's'}`}
        </button>
      </div>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      {results && (
        <ul aria-label="Import results" className="space-y-1 text-sm" data-testid="bulk-results">
          {results.length === 0 && <li>No keys were imported.</li>}
          {results.map((r) => (
            <li key={`${r.line}-${r.key}`} className={r.success ? 'text-emerald-700 dark:text-emerald-300' : 'text-red-700 dark:text-red-300'}>
              Line {r.line}: <span className="font-mono">{r.key}</span> — {r.success ? '✓' : '✗'} {bulkResultMessage(r)}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
