import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { AuthProvider } from '../hooks/useAuth';
import { RouterProvider } from '../hooks/useRoute';
import { ServerEventsProvider } from '../hooks/useServerEvents';

/** Renders a page inside the providers the app gives it (signed-in state comes from the fake /api/auth/me). */
export function renderWithProviders(ui: ReactNode) {
  return render(
    <RouterProvider>
      <AuthProvider>
        <ServerEventsProvider enabled>{ui}</ServerEventsProvider>
      </AuthProvider>
    </RouterProvider>,
  );
}

export const ADMIN_SESSION = { user: { id: 1, username: 'admin', role: 'admin' }, csrf_token: 'csrf-abc' };
