import { describe, expect, it } from 'vitest';
import { formToSettings, hasErrors, settingsToForm, validateSettings } from './settingsValidation';

const settings = {
  auto_rotate_on_expiration: true,
  auto_rotate_interval_enabled: false,
  auto_rotate_interval_minutes: 10,
  expiry_lead_seconds: 60,
  health_check_interval: 30,
  failure_threshold: 3,
  rotate_on_failure: true,
};

describe('validateSettings', () => {
  it('accepts the defaults', () => {
    expect(validateSettings(settingsToForm(settings))).toEqual({});
  });

  it('refuses an interval under 2 minutes with a message', () => {
    const errors = validateSettings({ ...settingsToForm(settings), auto_rotate_interval_minutes: '1' });
    expect(errors.auto_rotate_interval_minutes).toBe('The rotation interval must be at least 2 minutes (got 1).');
    expect(hasErrors(errors)).toBe(true);
  });

  it('accepts exactly 2 minutes', () => {
    expect(validateSettings({ ...settingsToForm(settings), auto_rotate_interval_minutes: '2' })).toEqual({});
  });

  it('refuses fractions, words and empty values', () => {
    for (const bad of ['2.5', 'ten', '', ' ']) {
      expect(validateSettings({ ...settingsToForm(settings), auto_rotate_interval_minutes: bad }).auto_rotate_interval_minutes).toMatch(/whole number/);
    }
  });

  it('matches the server limits at the top end too', () => {
    const errors = validateSettings({ ...settingsToForm(settings), auto_rotate_interval_minutes: '10081', health_check_interval: '86401', expiry_lead_seconds: '3601', failure_threshold: '101' });
    expect(Object.keys(errors).sort()).toEqual(['auto_rotate_interval_minutes', 'expiry_lead_seconds', 'failure_threshold', 'health_check_interval']);
    expect(validateSettings({ ...settingsToForm(settings), health_check_interval: '4' }).health_check_interval).toMatch(/from 5 to 86400/);
  });

  it('checks the health interval, lead and threshold', () => {
    const errors = validateSettings({ ...settingsToForm(settings), health_check_interval: '0', expiry_lead_seconds: '-1', failure_threshold: '0' });
    expect(Object.keys(errors).sort()).toEqual(['expiry_lead_seconds', 'failure_threshold', 'health_check_interval']);
  });
});

describe('form round trip', () => {
  it('turns a form back into numbers', () => {
    const form = { ...settingsToForm(settings), auto_rotate_interval_minutes: ' 5 ' };
    expect(formToSettings(form)).toEqual({ ...settings, auto_rotate_interval_minutes: 5 });
  });
});
