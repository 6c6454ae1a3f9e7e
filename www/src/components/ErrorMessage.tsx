import { ApiError, describeError } from '../api/ApiError';

/** Shows an error from the API (or anything thrown) to the person, with a way to dismiss it. */
export function ErrorMessage({ error, onDismiss, className = '' }: { error: unknown; onDismiss?: () => void; className?: string }) {
  if (!error) return null;
  const apiError = error instanceof ApiError ? error : null;
  return (
    <div
      role="alert"
      data-testid="error"
      className={`flex items-start gap-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200 ${className}`}
    >
      <div className="min-w-0 flex-1 whitespace-pre-line break-words">
        <span>{describeError(error)}</span>
        {apiError && apiError.status > 0 && (
          <span className="ml-1 text-xs opacity-75">
            ({apiError.status} {apiError.code})
          </span>
        )}
      </div>
      {onDismiss && (
        <button type="button" onClick={onDismiss} className="rounded px-1 text-red-700 hover:bg-red-100 focus-visible:ring-2 focus-visible:ring-red-500 dark:text-red-200 dark:hover:bg-red-900" aria-label="Dismiss error">
          ×
        </button>
      )}
    </div>
  );
}

/** A short success or progress note, announced politely to screen readers. */
export function StatusNote({ children, className = '' }: { children: React.ReactNode; className?: string }) {
  if (!children) return null;
  return (
    <p role="status" className={`rounded-md bg-emerald-50 px-3 py-1.5 text-sm text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200 ${className}`}>
      {children}
    </p>
  );
}
