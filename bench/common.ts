// What every benchmark does around its measurements: read a process's RSS, write its JSON result
// (and print it), and exit non-zero when it fails.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ResourceRef } from '../pkg/client/api-client.js';
import { ServiceAccounts } from '../pkg/client/rest-client.js';

/** Resident set size of a process in MB (NaN if /proc does not say). */
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds a process has used so far, plus those of the children it has waited for. */
export function cpuWithChildren(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq) since boot. */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]!) / 100;
}

/** The pids of a process's direct children. */
export const childrenOf = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** Writes `result` as JSON to `out` (creating its directory) and prints it. */
export function writeResult(out: string, result: unknown): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

/**
 * Mean of a Prometheus histogram per value of `label` (and subresource, as "verb/subresource"),
 * from a /metrics text: `{ CREATE: { count, meanMs } }`.
 */
export function histogramMeans(metricsText: string, metric: string, label: string): Record<string, { count: number; meanMs: number }> {
  const sums = new Map<string, [number, number]>();
  for (const m of metricsText.matchAll(new RegExp(`^${metric}_(sum|count)\\{([^}]*)\\} ([\\d.e+-]+)$`, 'gm'))) {
    const key = new RegExp(`${label}="([^"]*)"`).exec(m[2]!)?.[1] ?? '';
    const sub = /subresource="([^"]+)"/.exec(m[2]!)?.[1];
    const k = sub ? `${key}/${sub}` : key;
    const e = sums.get(k) ?? [0, 0];
    e[m[1] === 'sum' ? 0 : 1] += Number(m[3]);
    sums.set(k, e);
  }
  return Object.fromEntries([...sums].filter(([, [, n]]) => n > 0).map(([k, [sum, n]]) => [k, { count: n, meanMs: Math.round(sum / n * 1e5) / 100 }]));
}

/** The value of an unlabelled Prometheus gauge in a /metrics text (NaN when it is not there). */
export function gaugeValue(metricsText: string, metric: string): number {
  const m = new RegExp(`^${metric} ([\\d.e+-]+)$`, 'm').exec(metricsText);
  return m ? Number(m[1]) : NaN;
}

/** Runs a benchmark's main, exiting 1 with the error when it fails. */
export function runMain(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/**
 * Creates the `default` ServiceAccount of `default`, as the controller manager would: benchmarks
 * that run an apiserver alone need it, or every pod create is refused by the ServiceAccount
 * admission plugin (403).
 */
export async function ensureDefaultServiceAccount(client: { create(ref: ResourceRef, namespace: string | undefined, obj: unknown): Promise<unknown> }): Promise<void> {
  await client.create(ServiceAccounts, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch((e: unknown) => {
    if ((e as { code?: number }).code !== 409) throw e;
  });
}
