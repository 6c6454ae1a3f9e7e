import type { Settings } from '../api/types';

/** The form's values as typed (numbers are strings until validated). */
export interface SettingsForm {
  auto_rotate_on_expiration: boolean;
  auto_rotate_interval_enabled: boolean;
  auto_rotate_interval_minutes: string;
  expiry_lead_seconds: string;
  health_check_interval: string;
  failure_threshold: string;
  rotate_on_failure: boolean;
}

export type SettingsErrors = Partial<Record<keyof SettingsForm, string>>;

export const MIN_ROTATE_INTERVAL_MINUTES = 2;
export const MAX_ROTATE_INTERVAL_MINUTES = 10080; // a week
export const MIN_HEALTH_INTERVAL_SECONDS = 5;
export const MAX_HEALTH_INTERVAL_SECONDS = 86400;
export const MAX_EXPIRY_LEAD_SECONDS = 3600;
export const MAX_FAILURE_THRESHOLD = 100;

export function settingsToForm(settings: Settings): SettingsForm {
  return {
    auto_rotate_on_expiration: Boolean(settings.auto_rotate_on_expiration),
    auto_rotate_interval_enabled: Boolean(settings.auto_rotate_interval_enabled),
    auto_rotate_interval_minutes: String(settings.auto_rotate_interval_minutes ?? ''),
    expiry_lead_seconds: String(settings.expiry_lead_seconds ?? ''),
    health_check_interval: String(settings.health_check_interval ?? ''),
    failure_threshold: String(settings.failure_threshold ?? ''),
    rotate_on_failure: Boolean(settings.rotate_on_failure),
  };
}

function wholeNumber(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  return Number(t);
}

/** The rules of docs/api.md and the compat notes, checked before anything is sent. */
export function validateSettings(form: SettingsForm): SettingsErrors {
  const errors: SettingsErrors = {};
  const interval = wholeNumber(form.auto_rotate_interval_minutes);
  if (interval === null) {
    errors.auto_rotate_interval_minutes = 'The rotation interval must be a whole number of minutes.';
  } else if (interval < MIN_ROTATE_INTERVAL_MINUTES) {
    errors.auto_rotate_interval_minutes = `The rotation interval must be at least ${MIN_ROTATE_INTERVAL_MINUTES} minutes (got ${interval}).`;
  } else if (interval > MAX_ROTATE_INTERVAL_MINUTES) {
    errors.auto_rotate_interval_minutes = `The rotation interval must be at most ${MAX_ROTATE_INTERVAL_MINUTES} minutes (a week).`;
  }
  const lead = wholeNumber(form.expiry_lead_seconds);
  if (lead === null || lead < 0 || lead > MAX_EXPIRY_LEAD_SECONDS) {
    errors.expiry_lead_seconds = `The expiry lead must be a whole number of seconds from 0 to ${MAX_EXPIRY_LEAD_SECONDS}.`;
  }
  const health = wholeNumber(form.health_check_interval);
  if (health === null || health < MIN_HEALTH_INTERVAL_SECONDS || health > MAX_HEALTH_INTERVAL_SECONDS) {
    errors.health_check_interval = `The health-check interval must be a whole number of seconds from ${MIN_HEALTH_INTERVAL_SECONDS} to ${MAX_HEALTH_INTERVAL_SECONDS}.`;
  }
  const threshold = wholeNumber(form.failure_threshold);
  if (threshold === null || threshold < 1 || threshold > MAX_FAILURE_THRESHOLD) {
    errors.failure_threshold = `The failure threshold must be a whole number from 1 to ${MAX_FAILURE_THRESHOLD}.`;
  }
  return errors;
}

export function hasErrors(errors: SettingsErrors): boolean {
  return Object.keys(errors).length > 0;
}

/** The body for PUT /api/settings from a valid form. */
export function formToSettings(form: SettingsForm): Settings {
  return {
    auto_rotate_on_expiration: form.auto_rotate_on_expiration,
    auto_rotate_interval_enabled: form.auto_rotate_interval_enabled,
    auto_rotate_interval_minutes: Number(form.auto_rotate_interval_minutes.trim()),
    expiry_lead_seconds: Number(form.expiry_lead_seconds.trim()),
    health_check_interval: Number(form.health_check_interval.trim()),
    failure_threshold: Number(form.failure_threshold.trim()),
    rotate_on_failure: form.rotate_on_failure,
  };
}
