import { useEffect, useState } from 'react';
import { smallButton } from './ui';

/** Puts text on the clipboard; falls back to a hidden textarea where the Clipboard API is missing (plain http). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  document.body.removeChild(area);
  if (!ok) throw new Error('The browser refused to copy; select the text and copy it by hand.');
}

/** `ariaLabel` names the button for screen readers; by default "Copy <description or label> URL". */
export function CopyButton({ text, label, description, ariaLabel }: { text: string; label: string; description?: string; ariaLabel?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      className={smallButton}
      data-copy-text={text}
      aria-label={ariaLabel ?? `Copy ${description ?? label} URL`}
      onClick={() => copyText(text).then(() => setState('copied'), () => setState('failed'))}
    >
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : `Copy ${label}`}
    </button>
  );
}
