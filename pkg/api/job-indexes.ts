// Indexed Jobs' index sets and per-index rules, as Kubernetes' job controller has them
// (indexed_job_utils.go, success_policy.go): the text form of index sets ("0,2-4"), the failure
// counts a pod of an index carries in its annotations (backoffLimitPerIndex), and whether a
// successPolicy rule is met by the indexes that succeeded.
import type { KubeObject, Pod, SuccessPolicy } from './types.js';

type P = Pod & KubeObject;

/** Failures of the pod's index before it (counted ones), set on each pod of a job with backoffLimitPerIndex. */
export const INDEX_FAILURE_COUNT = 'batch.kubernetes.io/job-index-failure-count';
/** Failures of the pod's index before it that the pod failure policy ignored. */
export const INDEX_IGNORED_FAILURE_COUNT = 'batch.kubernetes.io/job-index-ignored-failure-count';

const MAX_INT32 = 2 ** 31 - 1;

/**
 * The text form of a set of indexes (status.completedIndexes, status.failedIndexes): ordered
 * intervals, a run of three or more as "a-b", a pair as "a,b" (as the controller's
 * orderedIntervals.String writes them).
 */
export function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : j === i + 1 ? `${sorted[i]},${sorted[j]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Go's strconv.Atoi: an optionally signed decimal, nothing else. */
const int = (s: string | undefined): number | undefined => (s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined);

/**
 * The indexes below `completions` an index text holds, read leniently as the controller reads its
 * own status (parseIndexesFromString): a fragment that is not a number is skipped, the first
 * one at or past completions ends the list, an interval is cut at completions.
 */
export function parseIndexes(text: string | undefined, completions: number): Set<number> {
  const out = new Set<number>();
  if (!text) return out;
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const first = int(a);
    if (first === undefined) continue;
    if (first >= completions) break;
    let last = first;
    if (b !== undefined) {
      const l = int(b);
      if (l === undefined) continue;
      last = Math.min(l, completions - 1);
    }
    for (let i = first; i <= last; i++) out.add(i);
  }
  return out;
}

/**
 * validateIndexesFormat: the number of indexes in a text the apiserver accepts (intervals
 * "a" or "a-b" with a < b, below completions, in increasing order), or the error it reports.
 */
export function countIndexes(text: string, completions: number): { total: number } | { error: string } {
  if (!text) return { total: 0 };
  let last: number | undefined;
  let total = 0;
  for (const part of text.split(',')) {
    const limits = part.split('-');
    if (limits.length > 2) return { error: `the fragment ${JSON.stringify(part)} violates the requirement that an index interval can have at most two parts separated by '-'` };
    const nums: number[] = [];
    for (const l of limits) {
      const n = int(l);
      if (n === undefined) return { error: `cannot convert string to integer for index: ${JSON.stringify(l)}` };
      if (n >= completions) return { error: `too large index: ${JSON.stringify(l)}` };
      nums.push(n);
    }
    const x = nums[0]!;
    const y = nums[1] ?? x;
    if (nums.length === 2 && x >= y) return { error: `non-increasing order, previous: ${x}, current: ${y}` };
    if (last !== undefined && last >= x) return { error: `non-increasing order, previous: ${last}, current: ${x}` };
    total += y - x + 1;
    last = y;
  }
  return { total };
}

/** An annotation's count: 0 when missing, not a number, negative or past int32 (set by hand). */
function countAnnotation(p: P, key: string): number {
  const v = p.metadata?.annotations?.[key];
  if (v === undefined || !/^\d+$/.test(v)) return 0;
  const n = Number(v);
  return n > MAX_INT32 ? 0 : n;
}

/** The counted failures of the pod's index before this pod. */
export const indexFailureCount = (p: P): number => countAnnotation(p, INDEX_FAILURE_COUNT);
/** Every failure of the pod's index before this pod, ignored ones too. */
export const indexAbsoluteFailureCount = (p: P): number => countAnnotation(p, INDEX_FAILURE_COUNT) + countAnnotation(p, INDEX_IGNORED_FAILURE_COUNT);

/** The failure-count annotations of the pod that replaces `failed` in its index (counted: its failure counts). */
export function replacementAnnotations(failed: P | undefined, counted: boolean): Record<string, string> {
  if (!failed) return { [INDEX_FAILURE_COUNT]: '0' };
  const count = indexFailureCount(failed) + (counted ? 1 : 0);
  const ignored = countAnnotation(failed, INDEX_IGNORED_FAILURE_COUNT) + (counted ? 0 : 1);
  return { [INDEX_FAILURE_COUNT]: String(count), ...(ignored > 0 ? { [INDEX_IGNORED_FAILURE_COUNT]: String(ignored) } : {}) };
}

/**
 * matchSuccessPolicy: the message of the first rule the succeeded indexes meet ("Matched rules
 * at index 0"). A rule with succeededIndexes is met when all of them succeeded, or succeededCount
 * of them; a rule with only succeededCount when that many indexes succeeded.
 */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: Set<number>): string | undefined {
  if (!policy || succeeded.size === 0) return undefined;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    if (rule.succeededIndexes != null) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (required.size === 0) continue;
      let contains = 0;
      for (const ix of required) if (succeeded.has(ix)) contains++;
      if (contains === required.size || (rule.succeededCount != null && contains >= rule.succeededCount)) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount != null && succeeded.size >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}
