// The ConfigMaps and Secrets pods refer to, fetched once for all the pods that ask within a short
// window: a burst of pods in one namespace all mount kube-root-ca.crt, and each pod's worker
// syncs several times while it starts. Concurrent asks share one request; an object found serves
// later asks for `ttlMs`, the same bounded staleness as the kubelet's TTL-based configmap and
// secret manager. Failures and not-found answers are not kept: an optional ConfigMap created just
// before a pod that refers to it must not be missed because another pod asked a moment earlier.
export class SourceCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string, fetch: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const at = this.now();
    const value = fetch();
    this.entries.set(key, { at, value });
    const forget = () => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    };
    value.then((v) => v === undefined && forget(), forget);
    this.prune(at);
    return value;
  }

  /** Forgets answers older than the window, so names no pod asks for any more do not pile up. */
  private prune(now: number): void {
    if (this.entries.size < 256) return;
    for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
  }
}
