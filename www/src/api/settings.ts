import { api } from './client';
import type { Settings } from './types';

export const getSettings = () => api.get<Settings>('/api/settings');

export async function saveSettings(changes: Partial<Settings>): Promise<Settings> {
  const answer = await api.put<{ success: boolean; settings: Settings }>('/api/settings', changes);
  return answer.settings;
}
