import { useCallback, useEffect, useReducer, useState } from 'react';
import { getProxy, listProxies } from '../api/proxies';
import type { Proxy } from '../api/types';
import { initialProxiesState, proxiesReducer } from '../lib/proxiesReducer';
import { useServerEvent } from './useServerEvents';

/**
 * Every key the signed-in person may see, kept current: loads the list, then follows
 * /api/events and fetches again just the rows an event names.
 */
export function useProxies() {
  const [state, dispatch] = useReducer(proxiesReducer, initialProxiesState);
  const [error, setError] = useState<unknown>(null);

  const reload = useCallback(async () => {
    dispatch({ type: 'reloadStarted' });
    try {
      const page = await listProxies();
      dispatch({ type: 'loaded', items: page.items });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);

  const refreshOne = useCallback(async (id: number) => {
    try {
      dispatch({ type: 'upserted', proxy: await getProxy(id) });
    } catch (e) {
      if ((e as { status?: number }).status === 404) dispatch({ type: 'removed', id });
      else setError(e);
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  useServerEvent(
    (event) => dispatch({ type: 'event', event, receivedAt: Date.now() }),
    () => dispatch({ type: 'reconnected' }),
  );

  useEffect(() => {
    if (state.reloadAll) void reload();
  }, [state.reloadAll, reload]);

  useEffect(() => {
    if (state.stale.length === 0) return;
    const ids = state.stale;
    dispatch({ type: 'refetching', ids });
    ids.forEach((id) => void refreshOne(id));
  }, [state.stale, refreshOne]);

  const upsert = useCallback((proxy: Proxy) => dispatch({ type: 'upserted', proxy }), []);
  const remove = useCallback((id: number) => dispatch({ type: 'removed', id }), []);

  return { ...state, error, reload, refreshOne, upsert, remove, clearError: () => setError(null) };
}
