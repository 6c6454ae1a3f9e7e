import type { HealthSample, Lease, LogEntry } from '../api/types';
import { toEpochMs, type TimeValue } from './time';

// The contract fixes the Proxy shape but leaves lease, health and log rows loosely named;
// these readers accept the likely spellings so the pages keep working either way.

function first<T>(...values: (T | null | undefined)[]): T | null {
  for (const v of values) if (v !== undefined && v !== null && (v as unknown) !== '') return v;
  return null;
}

export function healthTime(sample: HealthSample): number | null {
  return toEpochMs(first<TimeValue>(sample.at, sample.checked_at, (sample as { timestamp?: TimeValue }).timestamp));
}

export function healthLatency(sample: HealthSample): number | null {
  const v = sample.latency_ms;
  return typeof v === 'number' && v >= 0 ? v : null;
}

export interface LatencyPoint {
  at: number;
  latencyMs: number | null;
  ok: boolean;
}

/** Samples come newest first; charts want oldest first. */
export function latencySeries(samples: HealthSample[]): LatencyPoint[] {
  return samples
    .map((s, index) => ({
      at: healthTime(s) ?? -index,
      latencyMs: healthLatency(s),
      ok: s.ok ?? (s.state ? s.state !== 'error' : healthLatency(s) !== null),
    }))
    .sort((a, b) => a.at - b.at);
}

export function leaseIp(lease: Lease): string | null {
  return first(lease.real_ip, lease.remote_ip, lease.ip);
}

export function leaseHttp(lease: Lease): string | null {
  return first(lease.remote_http, lease.http);
}

export function leaseObtainedAt(lease: Lease): TimeValue {
  return first<TimeValue>(lease.obtained_at, (lease as { created_at?: TimeValue }).created_at);
}

export function leaseExpiresAt(lease: Lease): TimeValue {
  return first<TimeValue>(lease.expires_at, lease.expiration_at);
}

export function logTime(entry: LogEntry): TimeValue {
  return first<TimeValue>(entry.timestamp, entry.at);
}

export function logKeyId(entry: LogEntry): number | null {
  return first(entry.proxy_id, entry.key_id);
}
