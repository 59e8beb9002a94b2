// Kubernetes' pkg/util/tolerations: merging two lists of tolerations keeps only what is not
// already covered by another toleration of the result (the RuntimeClass admission plugin adds a
// class's tolerations to a pod's this way).
import type { Toleration } from './types.js';

const secs = (t: Toleration) => (t.tolerationSeconds === null || t.tolerationSeconds === undefined ? undefined : t.tolerationSeconds);

function same(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '') && secs(a) === secs(b);
}

/** Whether `ss` tolerates everything `t` does. */
export function toleratesSuperset(ss: Toleration, t: Toleration): boolean {
  if (same(ss, t)) return true;
  // An empty key with Exists matches every key and value.
  if ((t.key ?? '') !== (ss.key ?? '') && ((ss.key ?? '') !== '' || ss.operator !== 'Exists')) return false;
  // An empty effect matches every effect.
  if ((t.effect ?? '') !== (ss.effect ?? '') && (ss.effect ?? '') !== '') return false;
  if (ss.effect === 'NoExecute' && secs(ss) !== undefined) {
    if (secs(t) === undefined || secs(t)! > secs(ss)!) return false;
  }
  switch (ss.operator ?? '') {
    case 'Equal':
    case '':
      return t.operator === 'Equal' && (t.value ?? '') === (ss.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** `first` then `second`, without the tolerations another one of them covers (the first of equal ones kept). */
export function mergeTolerations(first: Toleration[], second: Toleration[]): Toleration[] {
  const all = [...first, ...second];
  const merged: Toleration[] = [];
  all.forEach((t, i) => {
    if (merged.some((m) => toleratesSuperset(m, t))) return;
    if (all.slice(i + 1).some((t2) => !same(t, t2) && toleratesSuperset(t2, t))) return;
    merged.push(t);
  });
  return merged;
}
