import { api } from './client';
import type { User } from './types';

export interface Session {
  user: User;
  csrf_token: string;
}

export async function login(username: string, password: string): Promise<Session> {
  const session = await api.post<Session & { session_id?: string }>(
    '/api/auth/login',
    { username, password },
    { quietUnauthenticated: true },
  );
  api.setCsrfToken(session.csrf_token);
  return { user: session.user, csrf_token: session.csrf_token };
}

/** The signed-in user, or null when there is no valid session. */
export async function currentSession(): Promise<Session | null> {
  try {
    const session = await api.get<Session>('/api/auth/me', { quietUnauthenticated: true });
    api.setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if ((error as { status?: number }).status === 401) return null;
    throw error;
  }
}

export async function logout(): Promise<void> {
  await api.post('/api/auth/logout', undefined, { quietUnauthenticated: true });
  api.setCsrfToken(null);
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<Session> {
  const session = await api.post<Session>('/api/auth/password', {
    current_password: currentPassword,
    new_password: newPassword,
  });
  if (session?.csrf_token) api.setCsrfToken(session.csrf_token);
  return session;
}
