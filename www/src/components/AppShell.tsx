import { useState, type ReactNode } from 'react';
import { useAuth } from '../hooks/useAuth';
import { Link, useRoute } from '../hooks/useRoute';
import { useEventConnectionState } from '../hooks/useServerEvents';
import { ErrorMessage } from './ErrorMessage';
import { ThemeToggle } from './ThemeToggle';
import { button } from './ui';

const NAV = [
  { to: '/', text: 'Proxies', adminOnly: false },
  { to: '/logs', text: 'Logs', adminOnly: false },
  { to: '/settings', text: 'Settings', adminOnly: false },
  { to: '/users', text: 'Users', adminOnly: true },
  { to: '/system', text: 'System', adminOnly: true },
  { to: '/account', text: 'Account', adminOnly: false },
];

function isCurrent(to: string, path: string): boolean {
  return to === '/' ? path === '/' || path.startsWith('/proxies') : path.startsWith(to);
}

/** Header with navigation, live-updates indicator, theme toggle and sign-out. */
export function AppShell({ children }: { children: ReactNode }) {
  const { user, isAdmin, logout } = useAuth();
  const { path } = useRoute();
  const live = useEventConnectionState();
  const [logoutError, setLogoutError] = useState<unknown>(null);

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2 dark:focus:bg-slate-800">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-3 py-2">
          <span className="text-lg font-bold tracking-tight">steadyproxy</span>
          <nav aria-label="Main" className="order-3 w-full sm:order-none sm:w-auto">
            <ul className="flex gap-1 overflow-x-auto">
              {NAV.filter((n) => !n.adminOnly || isAdmin).map((n) => (
                <li key={n.to}>
                  <Link
                    to={n.to}
                    aria-current={isCurrent(n.to, path) ? 'page' : undefined}
                    className={`block rounded-md px-3 py-1.5 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500 ${
                      isCurrent(n.to, path) ? 'bg-sky-100 text-sky-900 dark:bg-sky-900 dark:text-sky-100' : 'hover:bg-slate-100 dark:hover:bg-slate-800'
                    }`}
                  >
                    {n.text}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="ml-auto flex items-center gap-2 text-sm">
            <span data-testid="live" data-state={live} className="flex items-center gap-1" title="Live updates from the server">
              <span aria-hidden="true" className={`inline-block h-2 w-2 rounded-full ${live === 'open' ? 'bg-emerald-500' : live === 'connecting' ? 'bg-amber-500' : 'bg-slate-400'}`} />
              <span className="hidden sm:inline">{live === 'open' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Offline'}</span>
            </span>
            <ThemeToggle />
            <span className="hidden md:inline" data-testid="whoami">
              {user?.username} ({user?.role})
            </span>
            <button
              type="button"
              className={button}
              onClick={() => {
                setLogoutError(null);
                logout().catch(setLogoutError);
              }}
            >
              Sign out
            </button>
          </div>
        </div>
      </header>
      {logoutError !== null && <ErrorMessage error={logoutError} className="mx-auto mt-2 max-w-7xl" onDismiss={() => setLogoutError(null)} />}
      <main id="main" className="mx-auto max-w-7xl px-3 py-4">
        {children}
      </main>
    </div>
  );
}
