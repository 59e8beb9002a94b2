// The downward API's resourceFieldRef (env and downwardAPI volume files alike), as the kubelet
// computes it: a container's request or limit of cpu, memory, ephemeral-storage or hugepages,
// divided by the divisor (default 1) and rounded up; a limit the container does not set is the
// node's allocatable amount (the kubelet's defaultPodLimitsForDownwardAPI).
import { parseQuantity, quantityToMilli } from '../api/quantity.js';
import type { Container, Pod } from '../api/types.js';

const DEFAULTED = ['cpu', 'memory', 'ephemeral-storage'];

/** The container a resourceFieldRef's containerName names (an app or init container of the pod). */
export const containerNamed = (pod: Pod, name: string | undefined): Container | undefined =>
  [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === name);

export function resourceFieldValue(c: Container, resource: string, divisor: string | undefined, allocatable: Record<string, string> = {}): string {
  const dot = resource.indexOf('.');
  const kind = resource.slice(0, dot);
  const name = resource.slice(dot + 1);
  const set = ((kind === 'limits' ? c.resources?.limits : c.resources?.requests) ?? {}) as Record<string, string>;
  // (the kubelet's MergeContainerResourceLimits: an unset or zero limit of cpu, memory or
  // ephemeral-storage is the node's allocatable amount)
  const unset = !set[name] || parseQuantity(set[name]) === 0;
  const value = (kind === 'limits' && unset && DEFAULTED.includes(name) ? allocatable[name] : set[name]) ?? '0';
  const d = divisor && parseQuantity(divisor) !== 0 ? divisor : '1';
  // (cpu in millicores, so that 500m over a divisor of 1 is 1 and over 1m is 500)
  if (name === 'cpu') return String(Math.ceil(quantityToMilli(value) / quantityToMilli(d)));
  return String(Math.ceil(parseQuantity(value) / parseQuantity(d)));
}
