import { button } from './ui';

/** Previous / next for limit+offset lists, with "21–40 of 93". */
export function Pager({ offset, limit, total, shown, onChange }: { offset: number; limit: number; total: number; shown: number; onChange: (offset: number) => void }) {
  const from = shown === 0 ? 0 : offset + 1;
  const to = offset + shown;
  return (
    <nav aria-label="Pages" className="flex items-center gap-2 text-sm">
      <button type="button" className={button} disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Newer
      </button>
      <span aria-live="polite">
        {from}–{to} of {total}
      </span>
      <button type="button" className={button} disabled={to >= total} onClick={() => onChange(offset + limit)}>
        Older
      </button>
    </nav>
  );
}
