import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { installFakeServer } from '../test/fakeServer';
import { ADMIN_SESSION, renderWithProviders } from '../test/renderApp';
import { SettingsPage } from './SettingsPage';

const SETTINGS = {
  auto_rotate_on_expiration: true,
  auto_rotate_interval_enabled: false,
  auto_rotate_interval_minutes: 10,
  expiry_lead_seconds: 60,
  health_check_interval: 30,
  failure_threshold: 3,
  rotate_on_failure: true,
};

async function openPage() {
  renderWithProviders(<SettingsPage />);
  const interval = await screen.findByLabelText('Rotation interval (minutes)');
  await waitFor(() => expect(interval).toHaveProperty('disabled', false));
  return interval as HTMLInputElement;
}

describe('SettingsPage', () => {
  it('refuses an interval of 1 minute before sending anything', async () => {
    const server = installFakeServer({ 'GET /api/auth/me': { body: ADMIN_SESSION }, 'GET /api/settings': { body: SETTINGS } });
    const interval = await openPage();
    fireEvent.change(interval, { target: { value: '1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('The rotation interval must be at least 2 minutes (got 1).')).toBeTruthy();
    expect(interval.getAttribute('aria-invalid')).toBe('true');
    expect(server.calls.some((c) => c.method === 'PUT')).toBe(false);
  });

  it("shows the API's 422 message and sends the CSRF token", async () => {
    const server = installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/settings': { body: SETTINGS },
      'PUT /api/settings': {
        status: 422,
        body: { error: { status: 422, code: 'invalid_value', message: 'the server wants at least 5 minutes, got 3', field: 'auto_rotate_interval_minutes' } },
      },
    });
    const interval = await openPage();
    fireEvent.change(interval, { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const alerts = await screen.findAllByText(/the server wants at least 5 minutes, got 3/);
    expect(alerts.length).toBeGreaterThan(0);
    expect(interval.getAttribute('aria-invalid')).toBe('true');
    const put = server.calls.find((c) => c.method === 'PUT')!;
    expect(put.headers['X-CSRF-Token']).toBe('csrf-abc');
    expect(put.body).toMatchObject({ auto_rotate_interval_minutes: 3, health_check_interval: 30 });
  });

  it('saves valid settings and says so', async () => {
    installFakeServer({
      'GET /api/auth/me': { body: ADMIN_SESSION },
      'GET /api/settings': { body: SETTINGS },
      'PUT /api/settings': (call) => ({ body: { success: true, settings: { ...SETTINGS, ...(call.body as object) } } }),
    });
    const interval = await openPage();
    fireEvent.change(interval, { target: { value: '2' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
    expect(interval.value).toBe('2');
  });
});
