// Node allocatable, as the 1.32 kubelet's container manager reckons it: the resources set aside
// for the OS's daemons (--system-reserved) and for Kubernetes' own (--kube-reserved) are left out
// of what pods get. The Node's allocatable is the capacity less both and less the hard eviction
// thresholds (GetNodeAllocatableReservation), so the scheduler places no more than that; the pods
// cgroup is capped at the capacity less the two reservations alone (getNodeAllocatableAbsolute),
// so pods may use the memory above allocatable until the eviction manager acts, never what the
// system was promised. A reservation larger than the capacity stops the agent at start, as
// validateNodeAllocatable stops the kubelet.
import { parseQuantity, quantityToMilli, quantityToValue, QuantityError, QUANTITY_FORMAT_MESSAGE } from '../api/quantity.js';
import { thresholdQuantity, type Threshold } from './eviction-thresholds.js';

/** What may be reserved (parseResourceList): the rest are the scheduler's alone to count. */
export const RESERVABLE = ['cpu', 'memory', 'ephemeral-storage', 'pid'] as const;
export type Reservable = (typeof RESERVABLE)[number];

export class ReservationError extends Error {}

/**
 * A reservation flag's items (cpu=200m,memory=500Mi, split at the commas) as the kubelet's
 * ConfigurationMap reads them: keys and values trimmed, an item without '=' an empty quantity,
 * a later key replacing an earlier one.
 */
export function reservationMap(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items.map((s) => s.trim()).filter(Boolean)) {
    const i = item.indexOf('=');
    if (i < 0) out[item] = '';
    else out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/**
 * Checks a reservation as the kubelet's parseResourceList does, with its errors under the
 * flag's name ('--system-reserved value failed to parse: cannot reserve "gpu" resource').
 * Returns it unchanged; an empty one is undefined, as the kubelet's nil ResourceList.
 */
export function parseReservation(flag: 'system-reserved' | 'kube-reserved', m: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!m || !Object.keys(m).length) return undefined;
  const fail = (msg: string) => new ReservationError(`--${flag} value failed to parse: ${msg}`);
  for (const [k, v] of Object.entries(m)) {
    if (!(RESERVABLE as readonly string[]).includes(k)) throw fail(`cannot reserve "${k}" resource`);
    let q: number;
    try {
      q = parseQuantity(v);
    } catch (e) {
      if (e instanceof QuantityError) throw fail(`failed to parse quantity "${v}" for "${k}" resource: ${QUANTITY_FORMAT_MESSAGE}`);
      throw e;
    }
    if (q < 0) throw fail(`resource quantity for "${k}" cannot be negative: ${v}`);
  }
  return m;
}

/** The two reservations, as the agent's settings keep them. */
export interface Reservations {
  systemReserved?: Record<string, string>;
  kubeReserved?: Record<string, string>;
}

/** How much both reserve of a resource: cpu in milli-CPUs (MilliValue), the others in whole units (Value). */
export function reservedAmount(r: Reservations, name: Reservable): number {
  let total = 0;
  for (const m of [r.systemReserved, r.kubeReserved]) {
    const v = m?.[name];
    if (v !== undefined) total += name === 'cpu' ? quantityToMilli(v) : quantityToValue(v);
  }
  return total;
}

/**
 * A Quantity as Go's %v prints the value (not a pointer) in validateNodeAllocatable's message:
 * `{{value scale} {<nil>}  Format}`, its int64Amount, no inf.Dec and no cached string. The
 * amounts come as ParseQuantity leaves them: "500Mi" {524288000 0}, "200m" {200 -3}, "1.5" {15 -1}.
 */
interface GoAmount {
  value: bigint;
  scale: number;
  format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent';
}

const goStruct = (a: GoAmount) => `{{${a.value} ${a.scale}} {<nil>}  ${a.format}}`;

function goAmount(text: string): GoAmount {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/.exec(text);
  const binary: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
  const decimal: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  if (!m) return { value: BigInt(quantityToValue(text)), scale: 0, format: 'DecimalSI' };
  const [, sign, int = '', frac = '', bin, dec, exp] = m;
  const neg = sign === '-' ? -1n : 1n;
  if (bin) {
    // (a fraction of a binary suffix takes ParseQuantity's slow path; its bytes are what it holds)
    if (frac) return { value: BigInt(quantityToValue(text)), scale: 0, format: 'BinarySI' };
    return { value: neg * (BigInt(int || '0') << BigInt(binary[bin]!)), scale: 0, format: 'BinarySI' };
  }
  const e = exp !== undefined ? Number(exp) : dec ? decimal[dec]! : 0;
  return { value: neg * BigInt(`${int}${frac}` || '0'), scale: e - frac.length, format: exp !== undefined ? 'DecimalExponent' : 'DecimalSI' };
}

/** int64Amount.Add of several amounts from zero: the smallest scale among those not zero, the format of the first of them (Quantity.Add). */
function goSum(amounts: GoAmount[]): GoAmount {
  const nz = amounts.filter((a) => a.value !== 0n);
  if (!nz.length) return { value: 0n, scale: 0, format: 'DecimalSI' };
  const scale = Math.min(...nz.map((a) => a.scale));
  return { value: nz.reduce((s, a) => s + a.value * 10n ** BigInt(a.scale - scale), 0n), scale, format: nz[0]!.format };
}

/** The signal whose hard threshold a resource's allocatable leaves out (hardEvictionReservation). */
const EVICTION_SIGNAL: Partial<Record<Reservable, Threshold['signal']>> = { memory: 'memory.available', 'ephemeral-storage': 'nodefs.available' };

/**
 * validateNodeAllocatable: the reservation of each resource of the capacity (both flags and the
 * hard eviction threshold) may not exceed it. `capacity`: cpu in milli-CPUs, memory and
 * ephemeral-storage in bytes. Returns the kubelet's error ("invalid Node Allocatable
 * configuration. Resource "memory" has a reservation of {{...}} but capacity of {{...}}.
 * Expected capacity >= reservation."), or undefined when it fits.
 */
export function validateNodeAllocatable(r: Reservations, hardThresholds: Threshold[], capacity: { cpu: number; memory: number; 'ephemeral-storage'?: number }): string | undefined {
  const errors: string[] = [];
  for (const k of ['cpu', 'memory', 'ephemeral-storage'] as const) {
    const cap = capacity[k];
    if (cap === undefined) continue;
    const parts: GoAmount[] = [];
    for (const m of [r.systemReserved, r.kubeReserved]) if (m?.[k] !== undefined) parts.push(goAmount(m[k]!));
    const t = hardThresholds.find((x) => x.signal === EVICTION_SIGNAL[k] && x.gracePeriodMs === 0);
    if (t) parts.push('percentage' in t.value ? { value: BigInt(thresholdQuantity(t.value, cap)), scale: 0, format: 'BinarySI' } : goAmount(t.value.text));
    const amount = reservedAmount(r, k) + (t ? thresholdQuantity(t.value, cap) : 0);
    if (amount <= cap) continue;
    const capStruct = k === 'cpu' ? goStruct({ value: BigInt(cap), scale: -3, format: 'DecimalSI' }) : goStruct({ value: BigInt(cap), scale: 0, format: 'BinarySI' });
    errors.push(`Resource "${k}" has a reservation of ${goStruct(goSum(parts))} but capacity of ${capStruct}. Expected capacity >= reservation.`);
  }
  return errors.length ? `invalid Node Allocatable configuration. ${errors.join(' ')}` : undefined;
}

/**
 * What the pods cgroup's limits leave out of the capacity (enforceNodeAllocatableCgroups): both
 * reservations when --enforce-node-allocatable has "pods" (undefined: the default, ["pods"]),
 * nothing otherwise, the kubelet then still limiting the cgroup at the capacity itself since
 * the default cpu shares are too low. cpu in milli-CPUs, memory in bytes, pids in tasks.
 */
export function podsCgroupReservation(r: Reservations & { enforceNodeAllocatable?: string[] }): { milliCPU: number; memoryBytes: number; pids: number } | Record<string, never> {
  if (!(r.enforceNodeAllocatable ?? ['pods']).includes('pods')) return {};
  return { milliCPU: reservedAmount(r, 'cpu'), memoryBytes: reservedAmount(r, 'memory'), pids: reservedAmount(r, 'pid') };
}

/** What --enforce-node-allocatable may name (the kubelet's NodeAllocatableEnforcementKey and the others of kubetypes). */
export const ENFORCEMENT_KEYS = ['pods', 'system-reserved', 'system-reserved-compressible', 'kube-reserved', 'kube-reserved-compressible', 'none'] as const;

/**
 * The kubelet's ValidateKubeletConfiguration for --enforce-node-allocatable: a known key each,
 * system-reserved and kube-reserved (or their -compressible forms, 1.32's cpu-only enforcement)
 * only with their cgroup named and not both forms of one, none alone. Returns the errors as
 * utilerrors.NewAggregate prints them (one alone, several as "[a, b]"), or undefined.
 */
export function validateEnforceNodeAllocatable(keys: string[], systemReservedCgroup: string, kubeReservedCgroup: string): string | undefined {
  return aggregateErrors(enforceNodeAllocatableErrors(keys, systemReservedCgroup, kubeReservedCgroup));
}

/** utilerrors.NewAggregate's Error(): one error alone, several as "[a, b]"; undefined for none. */
export function aggregateErrors(errors: string[]): string | undefined {
  if (!errors.length) return undefined;
  return errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
}

/** ValidateKubeletConfiguration's errors for --enforce-node-allocatable, in its order and words (1.32, with kubernetes#125982). */
export function enforceNodeAllocatableErrors(keys: string[], systemReservedCgroup: string, kubeReservedCgroup: string): string[] {
  const errors: string[] = [];
  const where = 'in enforceNodeAllocatable (--enforce-node-allocatable)';
  for (const [full, compressible] of [['system-reserved', 'system-reserved-compressible'], ['kube-reserved', 'kube-reserved-compressible']] as const) {
    if (keys.includes(full) && keys.includes(compressible)) errors.push(`invalid configuration: both "${full}" and "${compressible}" cannot be specified together ${where}`);
  }
  const seen = new Set<string>();
  for (const val of keys) {
    if (seen.has(val)) {
      errors.push(`invalid configuration: duplicated enforcements "${val}" ${where}`);
      continue;
    }
    seen.add(val);
    switch (val) {
      case 'pods':
        break;
      case 'system-reserved':
      case 'system-reserved-compressible':
        if (!systemReservedCgroup) errors.push(`invalid configuration: systemReservedCgroup (--system-reserved-cgroup) must be specified when "system-reserved" or "system-reserved-compressible" included ${where}`);
        break;
      case 'kube-reserved':
      case 'kube-reserved-compressible':
        if (!kubeReservedCgroup) errors.push(`invalid configuration: kubeReservedCgroup (--kube-reserved-cgroup) must be specified when "kube-reserved" or "kube-reserved-compressible" included ${where}`);
        break;
      case 'none':
        if (keys.length > 1) errors.push('invalid configuration: enforceNodeAllocatable (--enforce-node-allocatable) may not contain additional enforcements when "none" is specified');
        break;
      default:
        errors.push(`invalid configuration: option ${JSON.stringify(val)} specified for enforceNodeAllocatable (--enforce-node-allocatable). Valid options are "pods", "system-reserved", "system-reserved-compressible", "kube-reserved", "kube-reserved-compressible" or "none"`);
    }
  }
  return errors;
}
