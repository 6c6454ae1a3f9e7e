import { describe, expect, it } from 'vitest';
import type { Proxy } from '../api/types';
import { eventKeyId, initialProxiesState, proxiesReducer, type ProxiesState } from './proxiesReducer';

function proxy(id: number, extra: Partial<Proxy> = {}): Proxy {
  return { id, key_name: `k${id}`, kiotproxy_key: 'K1...abc', subdomain: `proxy${id}`, endpoint: `localhost:${9000 + id}`, port: 9000 + id, region: 'random', is_active: true, status: 'active', ...extra };
}

function loaded(...items: Proxy[]): ProxiesState {
  return proxiesReducer(initialProxiesState, { type: 'loaded', items });
}

const ev = (type: string, key_id?: number) => ({ type: 'event' as const, event: { type, key_id }, receivedAt: 1000 });

describe('proxiesReducer', () => {
  it('loads rows sorted by id', () => {
    const s = loaded(proxy(2), proxy(1));
    expect(s.items.map((p) => p.id)).toEqual([1, 2]);
    expect(s.loaded).toBe(true);
  });

  it('marks the row of an upstream.changed event for refetch and bumps its health chart', () => {
    const s = proxiesReducer(loaded(proxy(1), proxy(2)), ev('upstream.changed', 2));
    expect(s.stale).toEqual([2]);
    expect(s.healthVersion[2]).toBe(1);
    expect(s.flashed[2]).toBe(1000);
  });

  it('refetches on health.changed and key.* events, once per id', () => {
    let s = loaded(proxy(1));
    s = proxiesReducer(s, ev('health.changed', 1));
    s = proxiesReducer(s, ev('key.updated', 1));
    s = proxiesReducer(s, ev('endpoint.restarted', 1));
    expect(s.stale).toEqual([1]);
    expect(s.healthVersion[1]).toBe(1);
  });

  it('fetches a key added elsewhere', () => {
    const s = proxiesReducer(loaded(proxy(1)), ev('key.added', 7));
    expect(s.stale).toEqual([7]);
  });

  it('drops a removed key at once', () => {
    const s = proxiesReducer(loaded(proxy(1), proxy(2)), ev('key.removed', 1));
    expect(s.items.map((p) => p.id)).toEqual([2]);
  });

  it('reloads everything on settings.changed', () => {
    const s = proxiesReducer(loaded(proxy(1)), ev('settings.changed'));
    expect(s.reloadAll).toBe(true);
    expect(s.settingsVersion).toBe(1);
  });

  it('reloads everything for a key event without a key id', () => {
    expect(proxiesReducer(loaded(proxy(1)), ev('upstream.changed')).reloadAll).toBe(true);
  });

  it('ignores unknown event types', () => {
    const before = loaded(proxy(1));
    expect(proxiesReducer(before, ev('plugin.something', 1))).toBe(before);
  });

  it('upserts a refetched row in place and inserts new ones in order', () => {
    let s = loaded(proxy(1), proxy(3));
    s = proxiesReducer(s, { type: 'upserted', proxy: proxy(3, { remote_ip: '1.2.3.4' }) });
    s = proxiesReducer(s, { type: 'upserted', proxy: proxy(2) });
    expect(s.items.map((p) => [p.id, p.remote_ip ?? null])).toEqual([[1, null], [2, null], [3, '1.2.3.4']]);
  });

  it('clears stale ids once they are being fetched', () => {
    let s = proxiesReducer(loaded(proxy(1)), ev('upstream.changed', 1));
    s = proxiesReducer(s, { type: 'refetching', ids: [1] });
    expect(s.stale).toEqual([]);
  });

  it('asks for a full reload after the event stream reconnects', () => {
    expect(proxiesReducer(loaded(), { type: 'reconnected' }).reloadAll).toBe(true);
  });

  it('reads key ids given as strings', () => {
    expect(eventKeyId({ type: 'x', key_id: '5' as unknown as number })).toBe(5);
    expect(eventKeyId({ type: 'x', key_id: 0 })).toBeNull();
  });
});
