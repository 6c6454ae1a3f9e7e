import { api } from './client';

/** A personal API token as listed: never the token itself (the server keeps only a hash). */
export interface ApiToken {
  id: number;
  name: string;
  created_at?: string | null;
  last_used_at?: string | null;
}

/** The answer to creating a token: the only time the secret `token` is ever sent. */
export interface NewApiToken extends ApiToken {
  token: string;
}

export const listTokens = () => api.get<ApiToken[]>('/api/tokens');

export const createToken = (name: string) => api.post<NewApiToken>('/api/tokens', { name });

export const revokeToken = (id: number) => api.delete<{ success: boolean }>(`/api/tokens/${id}`);
