// Shapes of the admin API (docs/api.md). Fields the contract leaves open are optional.

export type Region = 'bac' | 'trung' | 'nam' | 'random';
export type Role = 'admin' | 'user';

export interface User {
  id: number;
  username: string;
  role: Role | string;
  disabled?: boolean;
  created_at?: string | null;
}

export interface ProxyOverrides {
  auto_rotate_on_expiration: boolean | null;
  auto_rotate_interval_enabled: boolean | null;
  auto_rotate_interval_minutes: number | null;
  rotate_on_failure: boolean | null;
}

export interface Proxy {
  id: number;
  key_name: string;
  kiotproxy_key: string; // masked by the server
  provider?: string;
  owner_id?: number;
  subdomain: string;
  endpoint: string;
  port: number;
  region: Region | string;
  is_active: boolean;
  status: string;
  status_message?: string;
  remote_http?: string | null;
  remote_socks5?: string | null;
  remote_ip?: string | null;
  location?: string | null;
  latency_ms?: number | null;
  exit_ip?: string | null;
  last_check_at?: string | null;
  expiration_at?: string | null;
  next_change_at?: string | null;
  ttl?: number | null;
  ttc?: number | null;
  last_rotated_at?: string | null;
  created_at?: string | null;
  next_rotation_at?: string | null;
  next_rotation_reason?: string | null;
  endpoint_username?: string;
  allow_cidrs?: string[];
  overrides?: Partial<ProxyOverrides>;
  /** Published TLS form (proxyN.<domain>) when a router publishes it; not in every build. */
  public_host?: string | null;
}

export interface Credentials {
  username: string;
  password: string;
  http_url: string;
  socks5_url: string;
  /** Present when a router publishes proxyN.<domain> over TLS. */
  tls_url?: string | null;
  https_url?: string | null;
}

export interface RotateResult {
  success: boolean;
  rotated?: boolean;
  scheduled?: boolean;
  new_ip?: string | null;
  old_ip?: string | null;
  location?: string | null;
  message?: string;
  at?: string | null;
}

export interface BulkImportResult {
  line: number;
  key: string;
  success: boolean;
  id?: number;
  error?: string | { message?: string; code?: string };
}

export interface BatchResult {
  id?: number;
  proxy_id?: number;
  key_name?: string;
  success?: boolean;
  message?: string;
  error?: string | { message?: string };
  [field: string]: unknown;
}

export interface Settings {
  auto_rotate_on_expiration: boolean;
  auto_rotate_interval_enabled: boolean;
  auto_rotate_interval_minutes: number;
  expiry_lead_seconds: number;
  health_check_interval: number;
  failure_threshold: number;
  rotate_on_failure: boolean;
}

/** A health check result. The server's field names are read tolerantly (lib/records.ts). */
export interface HealthSample {
  key_id?: number;
  at?: string | number | null;
  checked_at?: string | null;
  ok?: boolean;
  state?: string;
  latency_ms?: number | null;
  exit_ip?: string | null;
  http_status?: number;
  error?: string;
}

/** One upstream a key has had. */
export interface Lease {
  id?: number;
  key_id?: number;
  remote_http?: string | null;
  remote_socks5?: string | null;
  http?: string | null;
  socks5?: string | null;
  real_ip?: string | null;
  remote_ip?: string | null;
  ip?: string | null;
  location?: string | null;
  region?: string | null;
  reason?: string | null;
  obtained_at?: string | number | null;
  expires_at?: string | number | null;
  expiration_at?: string | number | null;
  next_change_at?: string | number | null;
  ended_at?: string | number | null;
  ttl?: number | null;
}

export interface LogEntry {
  id: number;
  proxy_id?: number | null;
  key_id?: number | null;
  action: string;
  reason?: string | null;
  region?: string | null;
  status?: string | null;
  details?: string | null;
  timestamp?: string | number | null;
  at?: string | number | null;
}

export interface ServerEvent {
  type: string;
  key_id?: number | null;
  at?: string | number | null;
  [field: string]: unknown;
}

export interface ApiErrorBody {
  error: { status: number; code: string; message: string; field?: string | null };
}
