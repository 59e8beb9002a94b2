// Equality of two decoded JSON values as apiequality.Semantic.DeepEqual sees the Go values they
// decode to: the order of an object's keys does not count, nor does a member that is null (Go
// decodes it as the field's zero value, as if it were absent).

/** JSON with object keys sorted and null members left out. */
export function semanticJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x: unknown) => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
    return Object.fromEntries(Object.entries(x as object).filter(([, y]) => y !== null).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  });
}

export const semanticEqual = (a: unknown, b: unknown): boolean => semanticJson(a) === semanticJson(b);
