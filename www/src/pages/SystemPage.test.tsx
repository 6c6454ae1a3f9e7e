import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import { FakeEventSource, installFakeServer } from '../test/fakeServer';
import { ADMIN_SESSION, renderWithProviders } from '../test/renderApp';
import { SystemPage } from './SystemPage';

const PLUGINS = [
  { id: 'storage.sqlite', kind: 'storage', version: '1.2.0', build: 'abc', file: '/usr/lib/steadyproxy/plugins/libstorage_sqlite.so', description: 'SQLite storage', started: true },
  { id: 'proxy.forward', kind: 'proxy', version: '1.2.0', build: 'abc', file: '/usr/lib/steadyproxy/plugins/libproxy_forward.so', description: 'HTTP and SOCKS5 endpoints', started: false },
];

const DATA_JSON = {
  settings: { auto_rotate_interval_minutes: 15 },
  users: [{ id: 1, username: 'admin', password: '$2b$12$abc' }, { id: 2, username: 'bob', password: 'plain' }],
  proxy_keys: [{ id: 1, kiotproxy_key: 'K1', subdomain: 'proxy1', port: 70000 }],
};

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  api.setCsrfToken(null);
});

function jsonFile(name: string, text: string) {
  return new File([text], name, { type: 'application/json' });
}

async function chooseAndImport(file: File) {
  fireEvent.change(screen.getByLabelText('data.json file'), { target: { files: [file] } });
  fireEvent.click(screen.getByRole('button', { name: 'Import' }));
}

describe('SystemPage', () => {
  it('lists the loaded plugins with kind, version and state', async () => {
    installFakeServer({ 'GET /api/auth/me': { body: ADMIN_SESSION }, 'GET /api/plugins': { body: PLUGINS } });
    renderWithProviders(<SystemPage />);
    const rows = await screen.findAllByTestId('plugin-row');
    expect(rows.map((r) => r.getAttribute('data-plugin-id'))).toEqual(['storage.sqlite', 'proxy.forward']);
    expect(rows[0].textContent).toContain('storage');
    expect(rows[0].textContent).toContain('1.2.0');
    expect(rows[0].textContent).toContain('started');
    expect(rows[1].textContent).toContain('not started');
    expect(rows[1].textContent).toContain('libproxy_forward.so');
  });

  it('reloads the configuration and shows what was applied and what needs a restart', async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/plugins': { body: PLUGINS },
      'POST /api/config/reload': {
        body: { success: true, applied: ['log.level', 'plugins.health.http.url'], restart_required: ['admin.port'], notes: ['health.interval_seconds: the interval saved through the API stays in force'] },
      },
    });
    renderWithProviders(<SystemPage />);
    await screen.findAllByTestId('plugin-row');
    fireEvent.click(screen.getByRole('button', { name: 'Reload configuration' }));
    const result = await screen.findByRole('region', { name: 'Reload result' });
    expect(within(result).getByRole('status').textContent).toBe('Configuration reloaded: 2 applied now, 1 need a restart.');
    expect(within(result).getByTestId('reload-applied').textContent).toBe('log.levelplugins.health.http.url');
    expect(within(result).getByTestId('reload-restart').textContent).toBe('admin.port');
    expect(within(result).getByTestId('reload-notes').textContent).toContain('stays in force');
    const post = server.calls.find((c) => c.url === '/api/config/reload')!;
    expect(post.method).toBe('POST');
    expect(post.headers['X-CSRF-Token']).toBe('csrf-abc');
  });

  it('says when a reload changed nothing, and shows a refused reload as an error', async () => {
    let refuse = false;
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/plugins': { body: PLUGINS },
      'POST /api/config/reload': () =>
        refuse
          ? { status: 422, body: { error: { status: 422, code: 'invalid_config', message: 'admin.port: must be 1 to 65535, got 0' } } }
          : { body: { success: true, applied: [], restart_required: [], notes: [] } },
    });
    renderWithProviders(<SystemPage />);
    await screen.findAllByTestId('plugin-row');
    fireEvent.click(screen.getByRole('button', { name: 'Reload configuration' }));
    expect(await screen.findByText('Configuration reloaded: nothing changed.')).toBeTruthy();
    refuse = true;
    fireEvent.click(screen.getByRole('button', { name: 'Reload configuration' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('admin.port: must be 1 to 65535, got 0');
    expect(alert.textContent).toContain('422 invalid_config');
    expect(screen.queryByRole('region', { name: 'Reload result' })).toBeNull();
  });

  it('imports a data.json as the request body and shows the per-item report', async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/plugins': { body: PLUGINS },
      'POST /api/import': {
        body: {
          imported: { keys: 0, logs: 0, settings: 1, users: 0 },
          skipped: [
            { what: 'user admin', why: 'already exists' },
            { what: 'user bob', why: 'the password is not a bcrypt or argon2 hash' },
            { what: 'proxy1', why: 'port 70000 is not a port number' },
          ],
        },
      },
    });
    renderWithProviders(<SystemPage />);
    await screen.findAllByTestId('plugin-row');
    await chooseAndImport(jsonFile('data.json', JSON.stringify(DATA_JSON)));
    const report = await screen.findByRole('region', { name: 'Import report' });
    const post = server.calls.find((c) => c.url === '/api/import')!;
    expect(post.method).toBe('POST');
    expect(post.body).toEqual(DATA_JSON);
    expect(post.headers['X-CSRF-Token']).toBe('csrf-abc');
    expect(post.headers['Content-Type']).toBe('application/json');
    expect(within(report).getByTestId('imported-settings').textContent).toBe('1');
    expect(within(report).getByTestId('imported-keys').textContent).toBe('0');
    const skipped = within(report).getAllByTestId('import-skipped-row').map((r) => r.textContent);
    expect(skipped).toEqual(['user adminalready exists', 'user bobthe password is not a bcrypt or argon2 hash', 'proxy1port 70000 is not a port number']);
    expect(within(report).getByRole('status').textContent).toBe('Import finished. Imported: settings 1, users 0, keys 0, log lines 0; skipped: 3.');
  });

  it('refuses a file that is not JSON without sending it, and shows an API refusal with its field', async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/plugins': { body: PLUGINS },
      'POST /api/import': {
        status: 422,
        body: { error: { status: 422, code: 'invalid_value', message: 'this is not a KiotProxy Manager data.json: it has no settings, users or proxy_keys', field: 'data' } },
      },
    });
    renderWithProviders(<SystemPage />);
    await screen.findAllByTestId('plugin-row');
    fireEvent.click(screen.getByRole('button', { name: 'Import' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Choose a data.json file first.');

    await chooseAndImport(jsonFile('notes.json', '{"settings": '));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('notes.json is not JSON'));
    expect(server.calls.some((c) => c.url === '/api/import')).toBe(false);

    await chooseAndImport(jsonFile('other.json', '{"hello": 1}'));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('it has no settings, users or proxy_keys [data]'));
    expect(server.calls.filter((c) => c.url === '/api/import')).toHaveLength(1);
    expect(screen.queryByRole('region', { name: 'Import report' })).toBeNull();
  });

  it('tells a non-admin the page is for admins and asks the API nothing', async () => {
    const server = installFakeServer({ 'GET /api/auth/me': { body: { user: { id: 2, username: 'bob', role: 'user' }, csrf_token: 'c2' } } });
    renderWithProviders(<SystemPage />);
    expect(await screen.findByText('Only admins can see the system page.')).toBeTruthy();
    expect(server.calls.some((c) => c.url.startsWith('/api/plugins'))).toBe(false);
  });
});
