import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { ServerEvent } from '../api/types';

/** Event types published by the kernel (docs/api.md); each arrives as a named SSE event. */
export const EVENT_TYPES = [
  'key.added',
  'key.removed',
  'key.updated',
  'upstream.changed',
  'health.changed',
  'settings.changed',
  'rotation.scheduled',
  'endpoint.restarted',
] as const;

export type ConnectionState = 'connecting' | 'open' | 'closed';
type Listener = (event: ServerEvent) => void;
type ReconnectListener = () => void;

interface EventsContextValue {
  state: ConnectionState;
  subscribe: (listener: Listener) => () => void;
  onReconnect: (listener: ReconnectListener) => () => void;
}

const EventsContext = createContext<EventsContextValue | null>(null);

export function parseEventData(type: string, data: string): ServerEvent | null {
  try {
    const parsed = JSON.parse(data) as ServerEvent;
    if (!parsed || typeof parsed !== 'object') return null;
    return { ...parsed, type: parsed.type || type };
  } catch {
    return null;
  }
}

/**
 * One EventSource on /api/events for the whole app while signed in (the session cookie goes
 * with it: same origin). EventSource reconnects by itself; after a reconnect, listeners are
 * told so they can reload what they may have missed.
 */
export function ServerEventsProvider({ enabled, children }: { enabled: boolean; children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const reconnectListeners = useRef(new Set<ReconnectListener>());
  const [state, setState] = useState<ConnectionState>('closed');

  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') {
      setState('closed');
      return;
    }
    const source = new EventSource('/api/events', { withCredentials: true });
    let wasOpen = false;
    setState('connecting');
    const deliver = (type: string) => (message: MessageEvent<string>) => {
      const event = parseEventData(type, message.data);
      if (event) listeners.current.forEach((listener) => listener(event));
    };
    source.onopen = () => {
      setState('open');
      if (wasOpen) reconnectListeners.current.forEach((listener) => listener());
      wasOpen = true;
    };
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    source.onmessage = deliver('message');
    const handlers = EVENT_TYPES.map((type) => [type, deliver(type)] as const);
    handlers.forEach(([type, handler]) => source.addEventListener(type, handler as EventListener));
    return () => {
      handlers.forEach(([type, handler]) => source.removeEventListener(type, handler as EventListener));
      source.close();
      setState('closed');
    };
  }, [enabled]);

  const value = useRef<EventsContextValue>({
    state: 'closed',
    subscribe: (listener) => {
      listeners.current.add(listener);
      return () => listeners.current.delete(listener);
    },
    onReconnect: (listener) => {
      reconnectListeners.current.add(listener);
      return () => reconnectListeners.current.delete(listener);
    },
  });
  return <EventsContext.Provider value={{ ...value.current, state }}>{children}</EventsContext.Provider>;
}

function useEventsContext(): EventsContextValue {
  const ctx = useContext(EventsContext);
  if (!ctx) throw new Error('server events used outside ServerEventsProvider');
  return ctx;
}

export function useEventConnectionState(): ConnectionState {
  return useEventsContext().state;
}

/** Calls `listener` for every server event while the component is mounted. */
export function useServerEvent(listener: Listener, onReconnect?: ReconnectListener): void {
  const { subscribe, onReconnect: subscribeReconnect } = useEventsContext();
  const latest = useRef(listener);
  const latestReconnect = useRef(onReconnect);
  latest.current = listener;
  latestReconnect.current = onReconnect;
  useEffect(() => subscribe((event) => latest.current(event)), [subscribe]);
  useEffect(() => subscribeReconnect(() => latestReconnect.current?.()), [subscribeReconnect]);
}
