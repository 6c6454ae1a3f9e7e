/** `errors` without the message for `field` (a form clears a field's error as it is edited). */
export function withoutField<E extends object>(errors: E, field: PropertyKey): E {
  const next = { ...errors } as Record<PropertyKey, unknown>;
  delete next[field];
  return next as E;
}
