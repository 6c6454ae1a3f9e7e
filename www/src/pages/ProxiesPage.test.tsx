import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Proxy } from '../api/types';
import { FakeEventSource, installFakeServer } from '../test/fakeServer';
import { ADMIN_SESSION, renderWithProviders } from '../test/renderApp';
import { ProxiesPage } from './ProxiesPage';

function proxy(extra: Partial<Proxy> = {}): Proxy {
  return {
    id: 1, key_name: 'My Proxy 1', kiotproxy_key: 'K6fa3db6...c24c47', subdomain: 'proxy1', endpoint: 'localhost:9001', port: 9001,
    region: 'random', is_active: true, status: 'active', remote_http: '127.0.0.2:31194', remote_ip: '127.0.0.2', exit_ip: '127.0.0.2',
    location: 'Bình Thuận', latency_ms: 539, expiration_at: new Date(Date.now() + 600_000).toISOString(), next_change_at: null,
    ...extra,
  };
}

const CREDS = { username: 'proxy1', password: 'secret', http_url: 'http://proxy1:secret@localhost:9001', socks5_url: 'socks5://proxy1:secret@localhost:9001' };

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
});

describe('ProxiesPage', () => {
  it('shows each key with upstream, exit IP, location, endpoint and copyable URLs', async () => {
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': { body: [proxy()], headers: { 'X-Total-Count': '1' } },
      'GET /api/proxies/1/credentials': { body: CREDS },
      'GET /api/proxies/1/health': { body: [{ at: new Date().toISOString(), ok: true, latency_ms: 539 }] },
    });
    renderWithProviders(<ProxiesPage />);
    const row = await screen.findByTestId('proxy-row');
    expect(within(row).getByTestId('upstream').textContent).toBe('HTTP 127.0.0.2:31194');
    expect(within(row).getByTestId('exit-ip').textContent).toBe('127.0.0.2');
    expect(within(row).getByTestId('location').textContent).toBe('Bình Thuận');
    expect(within(row).getByTestId('endpoint').textContent).toContain('localhost:9001');
    const copy = await within(row).findByRole('button', { name: 'Copy HTTP proxy1 URL' });
    expect(copy.getAttribute('data-copy-text')).toBe('http://proxy1:secret@localhost:9001');
    const socks = within(row).getByRole('button', { name: 'Copy SOCKS5 proxy1 URL' });
    expect(socks.getAttribute('data-copy-text')).toBe('socks5h://proxy1:secret@localhost:9001');
    expect(within(row).getByTestId('expires-in').textContent).toMatch(/^(9m|10m) /);
  });

  it('refreshes a row when upstream.changed arrives, without reloading the list', async () => {
    let current = proxy();
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': () => ({ body: [current] }),
      'GET /api/proxies/1': () => ({ body: current }),
      'GET /api/proxies/1/credentials': { body: CREDS },
      'GET /api/proxies/1/health': { body: [] },
    });
    renderWithProviders(<ProxiesPage />);
    const row = await screen.findByTestId('proxy-row');
    await waitFor(() => expect(FakeEventSource.instances.length).toBe(1));
    expect(FakeEventSource.latest().url).toBe('/api/events');
    current = proxy({ remote_http: '127.0.0.3:40000', remote_ip: '127.0.0.3', exit_ip: '127.0.0.3', location: 'Hà Nội' });
    act(() => FakeEventSource.latest().emit('upstream.changed', { type: 'upstream.changed', key_id: 1, at: Date.now() }));
    await waitFor(() => expect(within(row).getByTestId('exit-ip').textContent).toBe('127.0.0.3'));
    expect(within(row).getByTestId('location').textContent).toBe('Hà Nội');
    expect(server.calls.filter((c) => c.url.startsWith('/api/proxies?')).length).toBe(1);
  });

  it("shows the API's error when a rotation fails", async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': { body: [proxy()] },
      'GET /api/proxies/1/credentials': { body: CREDS },
      'GET /api/proxies/1/health': { body: [] },
      'POST /api/proxies/1/rotate': { status: 502, body: { error: { status: 502, code: 'provider_error', message: 'KiotProxy: change allowed in 42 s' } } },
    });
    renderWithProviders(<ProxiesPage />);
    const row = await screen.findByTestId('proxy-row');
    fireEvent.change(within(row).getByLabelText('Region to rotate My Proxy 1 into'), { target: { value: 'nam' } });
    fireEvent.click(within(row).getByRole('button', { name: 'Rotate My Proxy 1' }));
    const alert = await within(row).findByRole('alert');
    expect(alert.textContent).toContain('KiotProxy: change allowed in 42 s');
    const rotate = server.calls.find((c) => c.url === '/api/proxies/1/rotate')!;
    expect(rotate.body).toEqual({ region: 'nam' });
    expect(rotate.headers['X-CSRF-Token']).toBe('csrf-abc');
  });

  it('asks before deleting and removes the row', async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': { body: [proxy()] },
      'GET /api/proxies/1/credentials': { body: CREDS },
      'GET /api/proxies/1/health': { body: [] },
      'DELETE /api/proxies/1': { body: { success: true } },
    });
    renderWithProviders(<ProxiesPage />);
    const row = await screen.findByTestId('proxy-row');
    fireEvent.click(within(row).getByRole('button', { name: 'Delete My Proxy 1' }));
    const dialog = await screen.findByRole('dialog');
    expect(server.calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByTestId('proxy-row')).toBeNull());
  });

  it('lists a result per key after a bulk import', async () => {
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': { body: [] },
      'POST /api/proxies/bulk-import': {
        body: { results: [
          { line: 1, key: 'Kaaa...111', success: true, id: 3 },
          { line: 2, key: 'Kbbb...222', success: false, error: 'duplicate key' },
        ] },
      },
    });
    renderWithProviders(<ProxiesPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Bulk import' }));
    fireEvent.change(screen.getByLabelText('Keys, one per line'), { target: { value: 'Kaaa\nKbbb\n' } });
    fireEvent.click(screen.getByRole('button', { name: 'Import 2 keys' }));
    const results = await screen.findByTestId('bulk-results');
    expect(results.textContent).toContain('Line 1: Kaaa...111 — ✓ added as #3');
    expect(results.textContent).toContain('Line 2: Kbbb...222 — ✗ duplicate key');
  });
});
