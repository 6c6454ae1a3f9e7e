import type { Proxy, ServerEvent } from '../api/types';

/**
 * The dashboard's list of keys, kept current by server events. Events only say *which* key
 * changed; the reducer records what must be fetched again (`stale`), and the hook that owns
 * the state fetches those and feeds the answers back as `upserted` / `removed`.
 */
export interface ProxiesState {
  items: Proxy[];
  loaded: boolean;
  /** Ids whose row must be fetched again. */
  stale: number[];
  /** The whole list must be fetched again (an event without a key id, or after a reconnect). */
  reloadAll: boolean;
  /** Bumped per key when its health changed, so its latency chart refetches. */
  healthVersion: Record<number, number>;
  /** Bumped when the global settings changed. */
  settingsVersion: number;
  /** Ids a server event touched last, with when, to highlight them briefly. */
  flashed: Record<number, number>;
}

export type ProxiesAction =
  | { type: 'loaded'; items: Proxy[] }
  | { type: 'upserted'; proxy: Proxy }
  | { type: 'removed'; id: number }
  | { type: 'refetching'; ids: number[] }
  | { type: 'reloadStarted' }
  | { type: 'event'; event: ServerEvent; receivedAt: number }
  | { type: 'reconnected' };

export const initialProxiesState: ProxiesState = {
  items: [],
  loaded: false,
  stale: [],
  reloadAll: false,
  healthVersion: {},
  settingsVersion: 0,
  flashed: {},
};

/** Event types that change what a key's row shows. */
const ROW_EVENTS = new Set([
  'key.added',
  'key.updated',
  'upstream.changed',
  'health.changed',
  'rotation.scheduled',
  'endpoint.restarted',
]);

export function eventKeyId(event: ServerEvent): number | null {
  const raw = event.key_id ?? (event as { proxy_id?: unknown }).proxy_id ?? (event as { id?: unknown }).id;
  const id = typeof raw === 'string' ? Number(raw) : raw;
  return typeof id === 'number' && Number.isFinite(id) && id > 0 ? id : null;
}

function addStale(stale: number[], id: number): number[] {
  return stale.includes(id) ? stale : [...stale, id];
}

function sortById(items: Proxy[]): Proxy[] {
  return [...items].sort((a, b) => a.id - b.id);
}

export function proxiesReducer(state: ProxiesState, action: ProxiesAction): ProxiesState {
  switch (action.type) {
    case 'loaded':
      return { ...state, items: sortById(action.items), loaded: true, reloadAll: false };
    case 'upserted': {
      const exists = state.items.some((p) => p.id === action.proxy.id);
      const items = exists
        ? state.items.map((p) => (p.id === action.proxy.id ? action.proxy : p))
        : sortById([...state.items, action.proxy]);
      return { ...state, items };
    }
    case 'removed':
      return {
        ...state,
        items: state.items.filter((p) => p.id !== action.id),
        stale: state.stale.filter((id) => id !== action.id),
      };
    case 'refetching':
      return { ...state, stale: state.stale.filter((id) => !action.ids.includes(id)) };
    case 'reloadStarted':
      return { ...state, reloadAll: false, stale: [] };
    case 'reconnected':
      // Events may have been missed while disconnected.
      return { ...state, reloadAll: true };
    case 'event':
      return applyEvent(state, action.event, action.receivedAt);
    default:
      return state;
  }
}

function applyEvent(state: ProxiesState, event: ServerEvent, receivedAt: number): ProxiesState {
  const id = eventKeyId(event);
  if (event.type === 'settings.changed') {
    // Next rotation times may move for every key.
    return { ...state, settingsVersion: state.settingsVersion + 1, reloadAll: true };
  }
  if (event.type === 'key.removed') {
    if (id === null) return { ...state, reloadAll: true };
    return {
      ...state,
      items: state.items.filter((p) => p.id !== id),
      stale: state.stale.filter((s) => s !== id),
    };
  }
  if (ROW_EVENTS.has(event.type) || event.type.startsWith('key.')) {
    if (id === null) return { ...state, reloadAll: true };
    const next: ProxiesState = {
      ...state,
      stale: addStale(state.stale, id),
      flashed: { ...state.flashed, [id]: receivedAt },
    };
    if (event.type === 'health.changed' || event.type === 'upstream.changed') {
      next.healthVersion = { ...state.healthVersion, [id]: (state.healthVersion[id] ?? 0) + 1 };
    }
    return next;
  }
  return state;
}
