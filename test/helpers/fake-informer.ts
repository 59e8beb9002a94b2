// A fixed set of objects standing in for an Informer in controller unit tests: list and get
// read it (tests may change `items`), handlers are accepted and never called.
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
