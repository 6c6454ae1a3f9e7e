import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from '../App';
import { api } from '../api/client';
import { FakeEventSource, installFakeServer } from '../test/fakeServer';
import { ADMIN_SESSION, renderWithProviders } from '../test/renderApp';
import { AccountPage } from './AccountPage';

const SECRET = 'spt_0123456789abcdefSECRET';
const TOKENS = [{ id: 1, name: 'ci', created_at: '2025-11-13T10:00:00Z', last_used_at: null }];

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  api.setCsrfToken(null);
});

async function openPage() {
  renderWithProviders(<AccountPage />);
  await screen.findAllByTestId('token-row');
}

describe('AccountPage: API tokens', () => {
  it('shows a new token once, with a copy button and a warning, and never again', async () => {
    let list = [...TOKENS];
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/tokens': () => ({ body: list }),
      'POST /api/tokens': (call) => {
        const created = { id: 2, name: (call.body as { name: string }).name, created_at: '2025-11-13T11:00:00Z' };
        list = [...list, { ...created, last_used_at: null }];
        return { status: 201, body: { ...created, token: SECRET } };
      },
    });
    const view = renderWithProviders(<AccountPage />);
    await screen.findByTestId('token-row');
    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: '  backup script ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));

    const panel = await screen.findByRole('region', { name: 'New API token' });
    expect(within(panel).getByTestId('new-token').textContent).toBe(SECRET);
    expect(panel.textContent).toContain('you will not see it again');
    expect(within(panel).getByRole('button', { name: 'Copy the new API token' }).getAttribute('data-copy-text')).toBe(SECRET);
    const post = server.calls.find((c) => c.method === 'POST' && c.url === '/api/tokens')!;
    expect(post.body).toEqual({ name: 'backup script' });
    expect(post.headers['X-CSRF-Token']).toBe('csrf-abc');

    // The list shows the new token by name only.
    const rows = screen.getAllByTestId('token-row');
    expect(rows.map((r) => r.getAttribute('data-token-name'))).toEqual(['ci', 'backup script']);
    expect(rows[1].textContent).not.toContain(SECRET);
    expect(screen.getByLabelText('Token name')).toHaveProperty('value', '');

    fireEvent.click(within(panel).getByRole('button', { name: 'Done, I have copied it' }));
    expect(screen.queryByRole('region', { name: 'New API token' })).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    expect(document.body.innerHTML).not.toContain(SECRET);

    // Coming back to the page lists the token without its secret.
    view.unmount();
    renderWithProviders(<AccountPage />);
    await waitFor(() => expect(screen.getAllByTestId('token-row')).toHaveLength(2));
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("refuses an empty name without a request, and shows the API's error naming the field", async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/tokens': { body: TOKENS },
      'POST /api/tokens': { status: 422, body: { error: { status: 422, code: 'invalid_value', message: 'name is too long', field: 'name' } } },
    });
    await openPage();
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Enter a name for the token');
    expect(server.calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('name is too long [name]'));
    expect(screen.getByRole('alert').textContent).toContain('422 invalid_value');
    expect(screen.queryByRole('region', { name: 'New API token' })).toBeNull();
    expect(screen.getAllByTestId('token-row')).toHaveLength(1);
  });

  it('revokes a token after confirming, and shows an error in the dialog when that fails', async () => {
    let fail = true;
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/tokens': { body: [...TOKENS, { id: 7, name: 'old', created_at: null, last_used_at: '2025-11-13T12:00:00Z' }] },
      'DELETE /api/tokens/7': () =>
        fail ? { status: 404, body: { error: { status: 404, code: 'not_found', message: 'no token with id 7' } } } : { body: { success: true } },
    });
    await openPage();
    await waitFor(() => expect(screen.getAllByTestId('token-row')).toHaveLength(2));
    fireEvent.click(screen.getByRole('button', { name: 'Revoke old' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke token “old”?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('no token with id 7');
    expect(screen.getAllByTestId('token-row')).toHaveLength(2);

    fail = false;
    fireEvent.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getAllByTestId('token-row').map((r) => r.getAttribute('data-token-name'))).toEqual(['ci']);
    expect(screen.getByText('Token “old” revoked.')).toBeTruthy();
    const deletes = server.calls.filter((c) => c.method === 'DELETE');
    expect(deletes).toHaveLength(2);
    expect(deletes[1].url).toBe('/api/tokens/7');
    expect(deletes[1].headers['X-CSRF-Token']).toBe('csrf-abc');
  });
});

describe('AccountPage: password', () => {
  const fill = (current: string, next: string, again: string) => {
    fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: next } });
    fireEvent.change(screen.getByLabelText('New password again'), { target: { value: again } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
  };

  it('checks the form before sending anything', async () => {
    const server = installFakeServer({ 'GET /api/auth/me': { body: ADMIN_SESSION }, 'GET /api/tokens': { body: TOKENS } });
    await openPage();
    fill('old-password-1', 'short', 'short');
    expect(await screen.findByText('Passwords need at least 10 characters.')).toBeTruthy();
    expect(screen.getByLabelText('New password').getAttribute('aria-invalid')).toBe('true');
    fill('old-password-1', 'a-long-new-password', 'a-long-new-passwort');
    expect(await screen.findByText('The two new passwords differ.')).toBeTruthy();
    expect(server.calls.some((c) => c.url === '/api/auth/password')).toBe(false);
  });

  it("marks the field the API names when it refuses (wrong current password)", async () => {
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/tokens': { body: TOKENS },
      'POST /api/auth/password': { status: 422, body: { error: { status: 422, code: 'invalid_value', message: 'the current password is wrong', field: 'current_password' } } },
    });
    await openPage();
    fill('not-it-at-all', 'a-long-new-password', 'a-long-new-password');
    await waitFor(() => expect(screen.getByLabelText('Current password').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getAllByText(/the current password is wrong/).length).toBeGreaterThan(0);
    expect(screen.getByText(/\[current_password\]/)).toBeTruthy();
    expect(screen.queryByText(/Password changed/)).toBeNull();
  });

  it("changes it, stays signed in with the new session's CSRF token", async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/tokens': { body: TOKENS },
      'POST /api/auth/password': { body: { user: ADMIN_SESSION.user, csrf_token: 'csrf-new', session_id: 's2' } },
      'POST /api/tokens': { status: 201, body: { id: 3, name: 'after', token: SECRET, created_at: null } },
    });
    await openPage();
    fill('old-password-1', 'a-long-new-password', 'a-long-new-password');
    expect(await screen.findByText(/Password changed\. Your other sessions were signed out/)).toBeTruthy();
    const call = server.calls.find((c) => c.url === '/api/auth/password')!;
    expect(call.body).toEqual({ current_password: 'old-password-1', new_password: 'a-long-new-password' });
    expect(call.headers['X-CSRF-Token']).toBe('csrf-abc');
    expect(screen.getByLabelText('Current password')).toHaveProperty('value', '');

    // The next change is sent with the new session's token.
    fireEvent.change(screen.getByLabelText('Token name'), { target: { value: 'after' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    await screen.findByTestId('new-token');
    expect(server.calls.find((c) => c.url === '/api/tokens' && c.method === 'POST')!.headers['X-CSRF-Token']).toBe('csrf-new');
  });

  it('goes back to the sign-in page with a note when the answer brings no new session', async () => {
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/proxies': { body: [] },
      'GET /api/tokens': { body: TOKENS },
      'POST /api/auth/password': { body: { success: true } },
    });
    window.history.replaceState(null, '', '/account');
    render(<App />);
    await screen.findByTestId('token-row');
    fill('old-password-1', 'a-long-new-password', 'a-long-new-password');
    expect(await screen.findByRole('heading', { name: 'Sign in to steadyproxy' })).toBeTruthy();
    expect(screen.getByText('Your password was changed and your sessions were ended. Sign in with the new password.')).toBeTruthy();
    expect(api.getCsrfToken()).toBeNull();
  });
});
