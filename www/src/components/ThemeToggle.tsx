import { useTheme } from '../hooks/useTheme';
import { button } from './ui';

/** Switches between light and dark; starts from the system's preference. */
export function ThemeToggle() {
  const { dark, toggle } = useTheme();
  return (
    <button type="button" className={button} onClick={toggle} aria-label={dark ? 'Switch to light theme' : 'Switch to dark theme'} aria-pressed={dark}>
      <span aria-hidden="true">{dark ? '☀' : '☾'}</span>
    </button>
  );
}
