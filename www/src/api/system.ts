import { api } from './client';

/** One loaded plugin (GET /api/plugins). */
export interface PluginInfo {
  id: string;
  kind?: string;
  version?: string;
  build?: string;
  file?: string;
  description?: string;
  started?: boolean;
}

/** What POST /api/config/reload did: configuration keys applied live, and those that wait for a restart. */
export interface ReloadReport {
  success?: boolean;
  applied: string[];
  restart_required: string[];
  notes?: string[];
}

/** The per-item report of POST /api/import. */
export interface ImportReport {
  imported: Record<string, number>;
  skipped: { what: string; why: string }[];
}

export const listPlugins = () => api.get<PluginInfo[]>('/api/plugins');

export const reloadConfig = () => api.post<ReloadReport>('/api/config/reload');

/** Sends the earlier tool's data.json as the request body, as it is (a JSON object). */
export const importDataJson = (data: Record<string, unknown>) => api.post<ImportReport>('/api/import', data);
