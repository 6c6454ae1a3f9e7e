import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { applyTheme } from './hooks/useTheme';
import './index.css';

// Set the theme before the first paint to avoid a flash of the wrong colours.
try {
  const stored = window.localStorage.getItem('steadyproxy.theme');
  applyTheme(stored === 'light' || stored === 'dark' ? stored : 'system');
} catch {
  applyTheme('system');
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
