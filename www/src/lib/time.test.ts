import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, timeLeft, toEpochMs } from './time';

const NOW = Date.parse('2025-11-13T11:00:00Z');

describe('timeLeft', () => {
  it('counts down to an ISO time', () => {
    expect(timeLeft('2025-11-13T11:04:05Z', NOW)).toEqual({ text: '4m 05s', seconds: 245, past: false });
    expect(timeLeft('2025-11-13T12:02:00Z', NOW).text).toBe('1h 02m');
    expect(timeLeft('2025-11-13T11:00:12Z', NOW).text).toBe('12s');
  });

  it('says the moment has passed with the label given', () => {
    expect(timeLeft('2025-11-13T10:59:00Z', NOW)).toMatchObject({ text: 'expired', past: true });
    expect(timeLeft('2025-11-13T11:00:00Z', NOW, 'now')).toMatchObject({ text: 'now', past: true });
  });

  it('shows a dash when the time is unknown', () => {
    expect(timeLeft(null, NOW)).toEqual({ text: '—', seconds: null, past: false });
    expect(timeLeft(undefined, NOW).text).toBe('—');
    expect(timeLeft('not a date', NOW).text).toBe('—');
  });

  it('accepts epoch milliseconds and seconds', () => {
    expect(timeLeft(NOW + 90_000, NOW).text).toBe('1m 30s');
    expect(timeLeft((NOW + 90_000) / 1000, NOW).text).toBe('1m 30s');
  });
});

describe('formatting', () => {
  it('formatDuration picks two units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(60)).toBe('1m 00s');
    expect(formatDuration(3600)).toBe('1h 00m');
    expect(formatDuration(90061)).toBe('1d 01h');
  });

  it('formatRelative speaks of past and future', () => {
    expect(formatRelative('2025-11-13T10:57:00Z', NOW)).toBe('3m 00s ago');
    expect(formatRelative('2025-11-13T11:02:00Z', NOW)).toBe('in 2m 00s');
    expect(formatRelative('2025-11-13T11:00:02Z', NOW)).toBe('just now');
  });

  it('toEpochMs rejects zero and garbage', () => {
    expect(toEpochMs(0)).toBeNull();
    expect(toEpochMs('')).toBeNull();
    expect(toEpochMs('2025-11-13T11:00:00Z')).toBe(NOW);
  });
});
