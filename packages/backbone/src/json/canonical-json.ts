/**
 * JSON text with object keys sorted at every depth, so that equal values give equal text whatever
 * their key order: what is hashed to recognise a retried request, or keyed to pseudonymise a value.
 * Defined for JSON values; `undefined` is written as null.
 */
export const canonicalJson = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
};
