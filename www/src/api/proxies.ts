import { api, totalCount } from './client';
import type {
  BatchResult,
  BulkImportResult,
  Credentials,
  HealthSample,
  Lease,
  Proxy,
  ProxyOverrides,
  RotateResult,
} from './types';

export interface ProxyPage {
  items: Proxy[];
  total: number;
}

export async function listProxies(limit = 500, offset = 0): Promise<ProxyPage> {
  const { data, headers } = await api.request<Proxy[]>('GET', '/api/proxies', { query: { limit, offset } });
  const items = Array.isArray(data) ? data : [];
  return { items, total: totalCount(headers, items.length) };
}

export const getProxy = (id: number) => api.get<Proxy>(`/api/proxies/${id}`);

export interface NewProxy {
  kiotproxy_key: string;
  key_name?: string;
  region?: string;
}

export const addProxy = (body: NewProxy) => api.post<Proxy>('/api/proxies', body);

export interface ProxyChanges {
  key_name?: string;
  region?: string;
  is_active?: boolean;
  allow_cidrs?: string[];
  overrides?: Partial<ProxyOverrides>;
}

export const updateProxy = (id: number, changes: ProxyChanges) => api.put<Proxy>(`/api/proxies/${id}`, changes);

export const deleteProxy = (id: number) => api.delete<{ success: boolean }>(`/api/proxies/${id}`);

export const rotateProxy = (id: number, region?: string) =>
  api.post<RotateResult>(`/api/proxies/${id}/rotate`, region ? { region } : {});

export const restartProxy = (id: number) => api.post<{ success: boolean }>(`/api/proxies/${id}/restart`);

export const checkProxy = (id: number) => api.post<HealthSample>(`/api/proxies/${id}/check`);

export const getCredentials = (id: number) => api.get<Credentials>(`/api/proxies/${id}/credentials`);

export const regenerateCredentials = (id: number) => api.post<Credentials>(`/api/proxies/${id}/credentials`);

export const listLeases = (id: number, limit = 50) =>
  api.get<Lease[]>(`/api/proxies/${id}/leases`, { query: { limit } });

export const listHealth = (id: number, limit = 30) =>
  api.get<HealthSample[]>(`/api/proxies/${id}/health`, { query: { limit } });

export const bulkImport = (keysText: string, region?: string) =>
  api.post<{ results: BulkImportResult[] }>('/api/proxies/bulk-import', {
    kiotproxy_keys: keysText,
    ...(region ? { region } : {}),
  });

export const checkAll = () => api.post<{ results: BatchResult[] }>('/api/proxies/check-all');

export const rotateAll = () => api.post<{ results: BatchResult[] }>('/api/proxies/update-all');
