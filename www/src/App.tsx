import { AppShell } from './components/AppShell';
import { AccountPage } from './pages/AccountPage';
import { AuthProvider, useAuth } from './hooks/useAuth';
import { RouterProvider, matchPath, useRoute } from './hooks/useRoute';
import { ServerEventsProvider } from './hooks/useServerEvents';
import { LoginPage } from './pages/LoginPage';
import { LogsPage } from './pages/LogsPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { ProxiesPage } from './pages/ProxiesPage';
import { ProxyDetailsPage } from './pages/ProxyDetailsPage';
import { SettingsPage } from './pages/SettingsPage';
import { SystemPage } from './pages/SystemPage';
import { UsersPage } from './pages/UsersPage';
import { ErrorMessage } from './components/ErrorMessage';

function CurrentPage() {
  const { path } = useRoute();
  if (path === '/' || path === '/proxies') return <ProxiesPage />;
  const details = matchPath('/proxies/:id', path);
  if (details && /^\d+$/.test(details.id)) return <ProxyDetailsPage id={Number(details.id)} />;
  if (path === '/settings') return <SettingsPage />;
  if (path === '/logs') return <LogsPage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/system') return <SystemPage />;
  if (path === '/account') return <AccountPage />;
  return <NotFoundPage />;
}

function Gate() {
  const { user, checkError } = useAuth();
  if (user === undefined) {
    return (
      <p className="p-6 text-sm" role="status">
        Checking your session…
      </p>
    );
  }
  if (user === null) {
    return (
      <>
        {checkError !== null && <ErrorMessage error={checkError} className="m-4" />}
        <LoginPage />
      </>
    );
  }
  return (
    <ServerEventsProvider enabled>
      <AppShell>
        <CurrentPage />
      </AppShell>
    </ServerEventsProvider>
  );
}

export function App() {
  return (
    <RouterProvider>
      <AuthProvider>
        <Gate />
      </AuthProvider>
    </RouterProvider>
  );
}
