// ControllerExpectations (k8s.io/kubernetes/pkg/controller): the creates and deletes a
// controller has asked for and not yet seen in its informer. While they are pending it does
// not act again, so an informer that lags never makes it create or delete twice. Expectations
// expire after 5 minutes, in case a watch event was lost.

const TTL_MS = 5 * 60 * 1000;

interface Expected {
  adds: number;
  deletes: Set<string>;
  setAt: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when the controller may act on `key`: nothing pending, or the expectations expired. */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    return (e.adds <= 0 && e.deletes.size === 0) || this.now() - e.setAt > TTL_MS;
  }

  expectCreations(key: string, n: number): void {
    this.byKey.set(key, { adds: n, deletes: new Set(), setAt: this.now() });
  }

  expectDeletions(key: string, uids: string[]): void {
    this.byKey.set(key, { adds: 0, deletes: new Set(uids), setAt: this.now() });
  }

  /** A create was seen (or failed, so it never will be). */
  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e) e.adds--;
  }

  /** A delete of `uid` was seen (or failed). */
  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  delete(key: string): void {
    this.byKey.delete(key);
  }
}
