import { useState } from 'react';
import { rotateProxy } from '../../api/proxies';
import type { RotateResult } from '../../api/types';
import { RegionSelect } from '../RegionSelect';
import { smallButton } from '../ui';

/** Rotate now, optionally into another region. Reports the result or error to the row. */
export function RotateControl({ proxyId, region, label, onDone, onError }: {
  proxyId: number;
  region: string;
  label: string;
  onDone: (result: RotateResult) => void;
  onError: (error: unknown) => void;
}) {
  const [choice, setChoice] = useState(region || 'random');
  const [pending, setPending] = useState(false);
  const rotate = async () => {
    setPending(true);
    try {
      onDone(await rotateProxy(proxyId, choice));
    } catch (e) {
      onError(e);
    } finally {
      setPending(false);
    }
  };
  return (
    <span className="inline-flex items-center gap-1">
      <RegionSelect id={`rotate-region-${proxyId}`} label={`Region to rotate ${label} into`} value={choice} onChange={setChoice} className="py-1 text-xs" />
      <button type="button" className={smallButton} onClick={rotate} disabled={pending} aria-label={`Rotate ${label}`}>
        {pending ? 'Rotating…' : 'Rotate'}
      </button>
    </span>
  );
}
