import { useEffect, useState } from 'react';
import { getSettings, saveSettings } from '../api/settings';
import { ErrorMessage, StatusNote } from '../components/ErrorMessage';
import { button, card, checkbox, input, label, primaryButton } from '../components/ui';
import { useAuth } from '../hooks/useAuth';
import { useLoader } from '../hooks/useLoader';
import { useServerEvent } from '../hooks/useServerEvents';
import {
  MIN_ROTATE_INTERVAL_MINUTES,
  formToSettings,
  hasErrors,
  settingsToForm,
  validateSettings,
  type SettingsErrors,
  type SettingsForm,
} from '../lib/settingsValidation';
import { withoutField } from '../lib/fieldErrors';

function NumberField({ id, text, hint, value, error, disabled, onChange }: {
  id: keyof SettingsForm;
  text: string;
  hint: string;
  value: string;
  error?: string;
  disabled: boolean;
  onChange: (v: string) => void;
}) {
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div>
      <label htmlFor={id} className={label}>{text}</label>
      <input
        id={id}
        name={id}
        className={`${input} max-w-[12rem]`}
        inputMode="numeric"
        value={value}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      <p id={`${id}-hint`} className="mt-0.5 text-xs text-slate-500 dark:text-slate-400">{hint}</p>
      {error && <p id={`${id}-error`} role="alert" className="mt-0.5 text-sm text-red-700 dark:text-red-300" data-testid="field-error">{error}</p>}
    </div>
  );
}

/** Global auto-rotation and health-check settings, with the rules checked before saving. */
export function SettingsPage() {
  const { isAdmin } = useAuth();
  const loaded = useLoader(getSettings, []);
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<SettingsErrors>({});
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [changedElsewhere, setChangedElsewhere] = useState(false);

  useEffect(() => {
    if (loaded.data) setForm(settingsToForm(loaded.data));
  }, [loaded.data]);

  useServerEvent((event) => {
    if (event.type === 'settings.changed' && !saving) setChangedElsewhere(true);
  });

  const set = <K extends keyof SettingsForm>(field: K, value: SettingsForm[K]) => {
    setForm((f) => (f ? { ...f, [field]: value } : f));
    setNote(null);
    setErrors((e) => withoutField(e, field));
  };

  const save = async () => {
    if (!form) return;
    setNote(null);
    setSaveError(null);
    const found = validateSettings(form);
    setErrors(found);
    if (hasErrors(found)) return;
    setSaving(true);
    try {
      const saved = await saveSettings(formToSettings(form));
      loaded.setData(saved);
      setForm(settingsToForm(saved));
      setChangedElsewhere(false);
      setNote('Settings saved.');
    } catch (e) {
      setSaveError(e);
      const field = (e as { field?: string | null }).field;
      if (field && form && field in form) setErrors((prev) => ({ ...prev, [field]: (e as Error).message }));
    } finally {
      setSaving(false);
    }
  };

  const readOnly = !isAdmin;
  return (
    <section aria-labelledby="settings-title" className="max-w-2xl space-y-4">
      <h1 id="settings-title" className="text-xl font-bold">Settings</h1>
      {readOnly && <p className="text-sm text-slate-600 dark:text-slate-300">Only admins can change these settings.</p>}
      <ErrorMessage error={loaded.error} />
      {changedElsewhere && (
        <div role="status" className="flex items-center gap-2 rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:bg-amber-950 dark:text-amber-100">
          The settings were changed elsewhere.
          <button type="button" className={button} onClick={() => { setChangedElsewhere(false); void loaded.reload(); }}>
            Load the new values
          </button>
        </div>
      )}
      {form && (
        <form
          className={`${card} space-y-5`}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <fieldset className="space-y-3" disabled={readOnly}>
            <legend className="text-lg font-semibold">Automatic rotation</legend>
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" name="auto_rotate_on_expiration" className={`${checkbox} mt-0.5`} checked={form.auto_rotate_on_expiration} onChange={(e) => set('auto_rotate_on_expiration', e.target.checked)} />
              <span>Rotate before the upstream expires (keeps each key's region)</span>
            </label>
            <NumberField id="expiry_lead_seconds" text="Rotate this many seconds before expiry" hint="0 to 3600; 60 rotates one minute before." value={form.expiry_lead_seconds} error={errors.expiry_lead_seconds} disabled={readOnly} onChange={(v) => set('expiry_lead_seconds', v)} />
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" name="auto_rotate_interval_enabled" className={`${checkbox} mt-0.5`} checked={form.auto_rotate_interval_enabled} onChange={(e) => set('auto_rotate_interval_enabled', e.target.checked)} />
              <span>Rotate on a fixed interval (wins over expiry when both are on; each rotation restarts the expiry clock)</span>
            </label>
            <NumberField
              id="auto_rotate_interval_minutes"
              text="Rotation interval (minutes)"
              hint={`At least ${MIN_ROTATE_INTERVAL_MINUTES} minutes (at most a week), counted from the last rotation.`}
              value={form.auto_rotate_interval_minutes}
              error={errors.auto_rotate_interval_minutes}
              disabled={readOnly}
              onChange={(v) => set('auto_rotate_interval_minutes', v)}
            />
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" name="rotate_on_failure" className={`${checkbox} mt-0.5`} checked={form.rotate_on_failure} onChange={(e) => set('rotate_on_failure', e.target.checked)} />
              <span>Rotate when health checks keep failing</span>
            </label>
            <NumberField id="failure_threshold" text="Failed checks in a row before rotating" hint="1 to 100." value={form.failure_threshold} error={errors.failure_threshold} disabled={readOnly} onChange={(v) => set('failure_threshold', v)} />
          </fieldset>
          <fieldset className="space-y-3" disabled={readOnly}>
            <legend className="text-lg font-semibold">Health checks</legend>
            <NumberField id="health_check_interval" text="Check every (seconds)" hint="5 to 86400 seconds: how often each endpoint is checked through its own proxy." value={form.health_check_interval} error={errors.health_check_interval} disabled={readOnly} onChange={(v) => set('health_check_interval', v)} />
          </fieldset>
          {hasErrors(errors) && !saveError && (
            <p role="alert" className="text-sm font-medium text-red-700 dark:text-red-300">Fix the marked fields; nothing was saved.</p>
          )}
          <ErrorMessage error={saveError} onDismiss={() => setSaveError(null)} />
          <StatusNote>{note}</StatusNote>
          {!readOnly && (
            <button type="submit" className={primaryButton} disabled={saving}>
              {saving ? 'Saving…' : 'Save settings'}
            </button>
          )}
        </form>
      )}
    </section>
  );
}
