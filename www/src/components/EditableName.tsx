import { useEffect, useRef, useState } from 'react';
import { ErrorMessage } from './ErrorMessage';
import { input, smallButton } from './ui';

/** A name shown as text with an edit button; Enter saves, Escape cancels, errors stay visible. */
export function EditableName({ value, label, onSave }: { value: string; label: string; onSave: (next: string) => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(value);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const field = useRef<HTMLInputElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!editing) setDraft(value);
  }, [value, editing]);
  useEffect(() => {
    if (editing) field.current?.select();
  }, [editing]);

  const finish = () => {
    setEditing(false);
    setError(null);
    window.setTimeout(() => editButton.current?.focus(), 0);
  };

  const save = async () => {
    const next = draft.trim();
    if (next === value) return finish();
    setSaving(true);
    setError(null);
    try {
      await onSave(next);
      finish();
    } catch (e) {
      setError(e);
    } finally {
      setSaving(false);
    }
  };

  if (!editing) {
    return (
      <span className="inline-flex min-w-0 items-center gap-1">
        <span className="truncate font-semibold" data-testid="key-name">{value || 'Unnamed'}</span>
        <button ref={editButton} type="button" className={smallButton} aria-label={`Rename ${label}`} onClick={() => setEditing(true)}>
          ✎
        </button>
      </span>
    );
  }
  return (
    <form
      className="flex flex-col gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="flex items-center gap-1">
        <input
          ref={field}
          className={`${input} py-1`}
          value={draft}
          aria-label={`New name for ${label}`}
          maxLength={100}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && finish()}
        />
        <button type="submit" className={smallButton} disabled={saving}>
          Save
        </button>
        <button type="button" className={smallButton} onClick={finish}>
          Cancel
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}
