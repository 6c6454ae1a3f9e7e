import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import * as authApi from '../api/auth';
import { api } from '../api/client';
import type { User } from '../api/types';

interface AuthContextValue {
  /** undefined while the session is being checked, null when signed out. */
  user: User | null | undefined;
  isAdmin: boolean;
  /** Set when the session ended on its own (expired, revoked). */
  sessionEndedReason: string | null;
  /** Set when the session could not be checked at all (server unreachable, ...). */
  checkError: unknown;
  login: (username: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  /** Back to the sign-in page with a reason shown there (the server already ended the session). */
  endSession: (reason: string) => void;
  recheck: () => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [sessionEndedReason, setSessionEndedReason] = useState<string | null>(null);
  const [checkError, setCheckError] = useState<unknown>(null);

  const recheck = useCallback(async () => {
    setCheckError(null);
    try {
      const session = await authApi.currentSession();
      setUser(session ? session.user : null);
    } catch (error) {
      setCheckError(error);
      setUser(null);
    }
  }, []);

  useEffect(() => {
    void recheck();
  }, [recheck]);

  useEffect(
    () =>
      api.onUnauthenticated(() => {
        api.setCsrfToken(null);
        setUser((previous) => {
          if (previous) setSessionEndedReason('Your session has ended. Please sign in again.');
          return null;
        });
      }),
    [],
  );

  const login = useCallback(async (username: string, password: string) => {
    const session = await authApi.login(username, password);
    setSessionEndedReason(null);
    setCheckError(null);
    setUser(session.user);
  }, []);

  // Signed out only once the server agrees (or the session is already gone); any other
  // failure is thrown to the caller to show, and the person stays signed in.
  const logout = useCallback(async () => {
    try {
      await authApi.logout();
    } catch (error) {
      if ((error as { status?: number }).status !== 401) throw error;
    }
    setSessionEndedReason(null);
    setUser(null);
  }, []);

  const endSession = useCallback((reason: string) => {
    api.setCsrfToken(null);
    setSessionEndedReason(reason);
    setUser(null);
  }, []);

  const value = useMemo<AuthContextValue>(
    () => ({ user, isAdmin: user?.role === 'admin', sessionEndedReason, checkError, login, logout, endSession, recheck }),
    [user, sessionEndedReason, checkError, login, logout, endSession, recheck],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const ctx = useContext(AuthContext);
  if (!ctx) throw new Error('useAuth outside AuthProvider');
  return ctx;
}
