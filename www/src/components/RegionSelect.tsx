import { REGIONS } from '../lib/regions';
import { input } from './ui';

export function RegionSelect({ id, value, onChange, label, className = '', includeKeep }: {
  id: string;
  value: string;
  onChange: (region: string) => void;
  label: string;
  className?: string;
  /** Offer "keep current region" (empty value). */
  includeKeep?: boolean;
}) {
  return (
    <select id={id} aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} className={`${input} w-auto ${className}`}>
      {includeKeep && <option value="">Keep region</option>}
      {REGIONS.map((r) => (
        <option key={r.value} value={r.value}>
          {r.label}
        </option>
      ))}
    </select>
  );
}
