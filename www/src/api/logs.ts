import { api, totalCount } from './client';
import type { LogEntry } from './types';

export interface LogFilter {
  proxyId?: number | null;
  action?: string;
  limit: number;
  offset: number;
}

export interface LogPage {
  items: LogEntry[];
  total: number;
}

export async function listLogs(filter: LogFilter): Promise<LogPage> {
  const { data, headers } = await api.request<LogEntry[]>('GET', '/api/logs', {
    query: {
      proxy_id: filter.proxyId ?? undefined,
      action: filter.action || undefined,
      limit: filter.limit,
      offset: filter.offset,
    },
  });
  const items = Array.isArray(data) ? data : [];
  return { items, total: totalCount(headers, filter.offset + items.length) };
}
