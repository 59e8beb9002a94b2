// The downward API's resourceFieldRef (env and downwardAPI volume files alike), as the kubelet
// computes it: a container's request or limit of cpu, memory, ephemeral-storage or hugepages,
// divided by the divisor (default 1) and rounded up; a limit the container does not set is the
// node's allocatable amount (the kubelet's defaultPodLimitsForDownwardAPI).
import { parseQuantity, quantityToMilli } from '../api/quantity.js';
import type { Container } from '../api/types.js';

export function resourceFieldValue(c: Container, resource: string, divisor: string | undefined, allocatable: Record<string, string> = {}): string {
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const set = ((kind === 'limits' ? c.resources?.limits : c.resources?.requests) ?? {}) as Record<string, string>;
  const value = set[name] ?? (kind === 'limits' ? allocatable[name] : undefined) ?? '0';
  const d = divisor && divisor !== '0' ? divisor : '1';
  // (cpu in millicores, so that 500m over a divisor of 1 is 1 and over 1m is 500)
  if (name === 'cpu') return String(Math.ceil(quantityToMilli(value) / quantityToMilli(d)));
  return String(Math.ceil(parseQuantity(value) / parseQuantity(d)));
}
