import { useState } from 'react';
import { addProxy } from '../../api/proxies';
import type { Proxy } from '../../api/types';
import { ErrorMessage, StatusNote } from '../ErrorMessage';
import { RegionSelect } from '../RegionSelect';
import { input, label, primaryButton } from '../ui';

/** Adds one provider key; shows the endpoint it got, or the API's error. */
export function AddKeyForm({ onAdded }: { onAdded: (proxy: Proxy) => void }) {
  const [key, setKey] = useState('');
  const [name, setName] = useState('');
  const [region, setRegion] = useState('random');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [added, setAdded] = useState<Proxy | null>(null);

  const submit = async () => {
    setError(null);
    setAdded(null);
    if (!key.trim()) {
      setError(new Error('Enter the provider key.'));
      return;
    }
    setPending(true);
    try {
      const proxy = await addProxy({ kiotproxy_key: key.trim(), key_name: name.trim() || undefined, region });
      setAdded(proxy);
      setKey('');
      setName('');
      onAdded(proxy);
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <form
      aria-label="Add a key"
      className="space-y-2"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <div className="grid gap-2 sm:grid-cols-[2fr_1.2fr_auto_auto] sm:items-end">
        <div>
          <label htmlFor="add-key" className={label}>Provider key</label>
          <input id="add-key" className={`${input} font-mono`} value={key} autoComplete="off" spellCheck={false} onChange={(e) => setKey(e.target.value)} placeholder="K0123…" />
        </div>
        <div>
          <label htmlFor="add-name" className={label}>Name (optional)</label>
          <input id="add-name" className={input} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div>
          <label htmlFor="add-region" className={label}>Region</label>
          <RegionSelect id="add-region" label="Region" value={region} onChange={setRegion} />
        </div>
        <button type="submit" className={primaryButton} disabled={pending}>
          {pending ? 'Adding…' : 'Add key'}
        </button>
      </div>
      <ErrorMessage error={error} onDismiss={() => setError(null)} />
      {added && (
        <StatusNote>
          Added {added.key_name || added.subdomain}: endpoint <span className="font-mono">{added.endpoint}</span> ({added.subdomain})
        </StatusNote>
      )}
    </form>
  );
}
