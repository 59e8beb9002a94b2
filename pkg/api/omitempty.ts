// Go's `omitempty` on integer fields: a status written by a Kubernetes controller leaves out the
// counts that are zero (Deployment, ReplicaSet and Job statuses), so ours do too.

/** `obj` without the `keys` whose value is 0 (the rest shared). */
export function omitZero<T extends object>(obj: T, keys: readonly (keyof T)[]): T {
  const out = { ...obj };
  for (const k of keys) if (out[k] === 0) delete out[k];
  return out;
}
