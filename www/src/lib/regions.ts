export const REGIONS = [
  { value: 'random', label: 'Random' },
  { value: 'bac', label: 'North (bac)' },
  { value: 'trung', label: 'Central (trung)' },
  { value: 'nam', label: 'South (nam)' },
] as const;

export function regionLabel(value: string | null | undefined): string {
  return REGIONS.find((r) => r.value === value)?.label ?? (value || '—');
}
