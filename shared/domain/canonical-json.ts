/**
 * JSON with object keys sorted (by UTF-16 code units) at every depth and no whitespace, so equal
 * values give equal bytes whatever order their keys were written in. Built by hand because
 * `JSON.stringify` puts integer-like keys first regardless of insertion order.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON has no ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  throw new TypeError(
    `canonical JSON cannot encode ${value === undefined ? 'undefined' : `a ${typeof value}`}`,
  );
};
