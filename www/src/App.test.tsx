import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import { api } from './api/client';
import { FakeEventSource, installFakeServer } from './test/fakeServer';

const UNAUTH = { status: 401, body: { error: { status: 401, code: 'unauthenticated', message: 'log in first' } } };

beforeEach(() => {
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
  api.setCsrfToken(null);
});

describe('App sign-in and sign-out', () => {
  it("shows the API's error for a wrong password, then signs in and out", async () => {
    let signedIn = false;
    const server = installFakeServer({
      'GET /api/auth/me': () => (signedIn ? { body: { user: { id: 1, username: 'admin', role: 'admin' }, csrf_token: 'c1' } } : UNAUTH),
      'POST /api/auth/login': (call) => {
        const body = call.body as { password: string };
        if (body.password !== 'right-password') return { status: 401, body: { error: { status: 401, code: 'unauthenticated', message: 'wrong user name or password' } } };
        signedIn = true;
        return { body: { user: { id: 1, username: 'admin', role: 'admin' }, csrf_token: 'c1', session_id: 's' } };
      },
      'POST /api/auth/logout': () => {
        signedIn = false;
        return { body: { success: true } };
      },
      'GET /api/proxies': { body: [] },
    });
    render(<App />);
    fireEvent.change(await screen.findByLabelText('User name'), { target: { value: 'admin' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('wrong user name or password');

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right-password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(/No keys yet/)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Users' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'System' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Account' }).getAttribute('href')).toBe('/account');
    await waitFor(() => expect(FakeEventSource.instances.length).toBeGreaterThan(0));

    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByRole('heading', { name: 'Sign in to steadyproxy' })).toBeTruthy();
    const logout = server.calls.find((c) => c.url === '/api/auth/logout')!;
    expect(logout.headers['X-CSRF-Token']).toBe('c1');
    expect(FakeEventSource.instances.every((s) => s.readyState === 2)).toBe(true);
  });

  it('hides Users from a non-admin and says so on the page', async () => {
    installFakeServer({
      'GET /api/auth/me': { body: { user: { id: 2, username: 'bob', role: 'user' }, csrf_token: 'c2' } },
      'GET /api/proxies': { body: [] },
    });
    window.history.replaceState(null, '', '/users');
    render(<App />);
    expect(await screen.findByText('Only admins can manage users.')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Users' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'System' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Account' })).toBeTruthy();
  });

  it('returns to the sign-in page when the session expires', async () => {
    let expired = false;
    installFakeServer({
      'GET /api/auth/me': { body: { user: { id: 1, username: 'admin', role: 'admin' }, csrf_token: 'c1' } },
      'GET /api/proxies': () => (expired ? UNAUTH : { body: [] }),
      'GET /api/logs': UNAUTH,
    });
    render(<App />);
    await screen.findByText(/No keys yet/);
    expired = true;
    fireEvent.click(screen.getByRole('link', { name: 'Logs' }));
    expect(await screen.findByText('Your session has ended. Please sign in again.')).toBeTruthy();
  });
});
