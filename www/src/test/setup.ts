import { cleanup } from '@testing-library/react';
import { afterEach, vi } from 'vitest';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

// jsdom does not implement scrolling; the router scrolls to the top on navigation.
window.scrollTo = () => undefined;
