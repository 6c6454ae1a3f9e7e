import { useState } from 'react';
import { updateProxy, type ProxyChanges } from '../../api/proxies';
import type { Proxy, ProxyOverrides } from '../../api/types';
import { MIN_ROTATE_INTERVAL_MINUTES } from '../../lib/settingsValidation';
import { ErrorMessage } from '../ErrorMessage';
import { Modal } from '../Modal';
import { RegionSelect } from '../RegionSelect';
import { button, checkbox, input, label, primaryButton } from '../ui';

type TriState = '' | 'on' | 'off';
const toTri = (v: boolean | null | undefined): TriState => (v === true ? 'on' : v === false ? 'off' : '');
const fromTri = (v: TriState): boolean | null => (v === 'on' ? true : v === 'off' ? false : null);

/** Validates a key's override form; returns an error per field. */
export function validateOverrideInterval(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t)) return 'Enter a whole number of minutes, or leave empty to use the global setting.';
  if (Number(t) < MIN_ROTATE_INTERVAL_MINUTES) return `The rotation interval must be at least ${MIN_ROTATE_INTERVAL_MINUTES} minutes.`;
  return null;
}

function TriSelect({ id, text, value, onChange }: { id: string; text: string; value: TriState; onChange: (v: TriState) => void }) {
  return (
    <div>
      <label htmlFor={id} className={label}>{text}</label>
      <select id={id} className={input} value={value} onChange={(e) => onChange(e.target.value as TriState)}>
        <option value="">Use global setting</option>
        <option value="on">On</option>
        <option value="off">Off</option>
      </select>
    </div>
  );
}

/** Per-key settings: region, active, allowed client networks, and rotation overrides. */
export function ProxySettingsDialog({ proxy, onSaved, onClose }: { proxy: Proxy; onSaved: (p: Proxy) => void; onClose: () => void }) {
  const o: Partial<ProxyOverrides> = proxy.overrides ?? {};
  const [region, setRegion] = useState(String(proxy.region || 'random'));
  const [active, setActive] = useState(proxy.is_active);
  const [onExpiry, setOnExpiry] = useState<TriState>(toTri(o.auto_rotate_on_expiration));
  const [onInterval, setOnInterval] = useState<TriState>(toTri(o.auto_rotate_interval_enabled));
  const [minutes, setMinutes] = useState(o.auto_rotate_interval_minutes == null ? '' : String(o.auto_rotate_interval_minutes));
  const [onFailure, setOnFailure] = useState<TriState>(toTri(o.rotate_on_failure));
  const [cidrs, setCidrs] = useState((proxy.allow_cidrs ?? []).join('\n'));
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const minutesError = validateOverrideInterval(minutes);
  const p = `key-${proxy.id}`;

  const save = async () => {
    if (minutesError) return;
    const changes: ProxyChanges = {
      region,
      is_active: active,
      allow_cidrs: cidrs.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean),
      overrides: {
        auto_rotate_on_expiration: fromTri(onExpiry),
        auto_rotate_interval_enabled: fromTri(onInterval),
        auto_rotate_interval_minutes: minutes.trim() === '' ? null : Number(minutes.trim()),
        rotate_on_failure: fromTri(onFailure),
      },
    };
    setPending(true);
    setError(null);
    try {
      onSaved(await updateProxy(proxy.id, changes));
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <Modal title={`Settings of ${proxy.key_name || proxy.subdomain}`} onClose={onClose}>
      <form
        className="space-y-3"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div>
          <label htmlFor={`${p}-region`} className={label}>Region</label>
          <RegionSelect id={`${p}-region`} label="Region" value={region} onChange={setRegion} className="w-full" />
        </div>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" className={checkbox} checked={active} onChange={(e) => setActive(e.target.checked)} />
          Endpoint active
        </label>
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3 dark:border-slate-700">
          <legend className="px-1 text-sm font-semibold">Rotation overrides</legend>
          <TriSelect id={`${p}-expiry`} text="Rotate before expiry" value={onExpiry} onChange={setOnExpiry} />
          <TriSelect id={`${p}-interval`} text="Rotate on an interval" value={onInterval} onChange={setOnInterval} />
          <div>
            <label htmlFor={`${p}-minutes`} className={label}>Interval (minutes, empty = global)</label>
            <input
              id={`${p}-minutes`}
              className={input}
              inputMode="numeric"
              value={minutes}
              aria-invalid={minutesError ? true : undefined}
              aria-describedby={minutesError ? `${p}-minutes-error` : undefined}
              onChange={(e) => setMinutes(e.target.value)}
            />
            {minutesError && <p id={`${p}-minutes-error`} className="mt-1 text-sm text-red-700 dark:text-red-300">{minutesError}</p>}
          </div>
          <TriSelect id={`${p}-failure`} text="Rotate when health checks fail" value={onFailure} onChange={setOnFailure} />
        </fieldset>
        <div>
          <label htmlFor={`${p}-cidrs`} className={label}>Allowed client networks (CIDR, one per line; empty = any with the password)</label>
          <textarea id={`${p}-cidrs`} className={`${input} font-mono`} rows={2} value={cidrs} onChange={(e) => setCidrs(e.target.value)} />
        </div>
        <ErrorMessage error={error} />
        <div className="flex justify-end gap-2">
          <button type="button" className={button} onClick={onClose}>Cancel</button>
          <button type="submit" className={primaryButton} disabled={pending || Boolean(minutesError)}>
            {pending ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
