// Pods and usage for the eviction unit tests.
import type { Pod } from '../api/types.js';
import type { PodUsage } from './eviction-ranking.js';

export function pod(name: string, o: { memRequest?: string; priority?: number; annotations?: Record<string, string> } = {}): Pod {
  return {
    metadata: { name, namespace: 'default', uid: `uid-${name}`, annotations: o.annotations },
    spec: { priority: o.priority, containers: [{ name: 'c', image: 'x', resources: o.memRequest ? { requests: { memory: o.memRequest } } : {} }] },
  } as Pod;
}
export const mem = (entries: [string, number][]) => new Map<string, PodUsage>(entries.map(([n, b]) => [`uid-${n}`, { memory: new Map([['c', b]]) }]));

