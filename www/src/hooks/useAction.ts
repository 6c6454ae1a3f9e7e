import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Runs one async operation for a button or form: tracks whether it is running and keeps
 * the error it threw so the component can show it (errors are never swallowed).
 */
export function useAction<Args extends unknown[], Result>(operation: (...args: Args) => Promise<Result>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const mounted = useRef(true);
  const latest = useRef(operation);
  latest.current = operation;

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(async (...args: Args): Promise<Result | undefined> => {
    setPending(true);
    setError(null);
    try {
      return await latest.current(...args);
    } catch (e) {
      if (mounted.current) setError(e);
      return undefined;
    } finally {
      if (mounted.current) setPending(false);
    }
  }, []);

  const clearError = useCallback(() => setError(null), []);
  return { run, pending, error, clearError };
}
