// Sets of objects standing in for an Informer in controller unit tests: StaticInformer's
// handlers are accepted and never called (tests may change `items`); DrivenInformer tells its
// handlers of each change a test makes, as a watch would.
import type { KubeObject } from '../../pkg/api/types.js';
import { keyOf, type InformerHandlers } from '../../pkg/client/informer.js';

export class StaticInformer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  constructor(objs: T[] = []) {
    for (const o of objs) this.items.set(keyOf(o), o);
  }
  on(_h: InformerHandlers<T>): this {
    return this;
  }
  list(): T[] {
    return [...this.items.values()];
  }
  get(k: string): T | undefined {
    return this.items.get(k);
  }
}

/** An Informer's cache whose changes a test makes: put adds or updates, remove deletes, each told to the handlers. */
export class DrivenInformer<T extends KubeObject> {
  readonly items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  on(h: InformerHandlers<T>): this {
    this.handlers.push(h);
    return this;
  }
  list(): T[] {
    return [...this.items.values()];
  }
  get(k: string): T | undefined {
    return this.items.get(k);
  }
  put(o: T): void {
    const key = keyOf(o);
    const old = this.items.get(key);
    this.items.set(key, o);
    for (const h of this.handlers) old ? h.update?.(o, old) : h.add?.(o);
  }
  remove(key: string): void {
    const o = this.items.get(key);
    if (!o) return;
    this.items.delete(key);
    for (const h of this.handlers) h.delete?.(o);
  }
}
