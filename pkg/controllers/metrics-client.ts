// The horizontal pod autoscaler's view of the resource metrics API (pkg/controller/
// podautoscaler/metrics: resourceMetricsClient): the PodMetrics of the pods a selector matches,
// read through the API client from metrics.k8s.io/v1beta1 (which the apiserver answers from the
// node agents, as it answers `kubectl top`), summed per pod for one resource, or taken from one
// container.
import { quantityToMilli } from '../api/quantity.js';
import type { ApiClient } from '../client/api-client.js';
import { PodMetricsRef } from '../client/rest-client.js';
import { parseDuration } from '../util/duration.js';
import type { PodMetricsInfo } from './replica-calculator.js';

export interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string };
  timestamp?: string;
  window?: string;
  containers?: { name?: string; usage?: Record<string, string> }[];
}

/** Where PodMetrics come from (the API, or a fake in tests). */
export type PodMetricsLister = (namespace: string, labelSelector: string) => Promise<PodMetricsItem[]>;

export const apiPodMetrics =
  (client: ApiClient): PodMetricsLister =>
  async (namespace, labelSelector) =>
    (await client.list<PodMetricsItem>(PodMetricsRef, namespace, { labelSelector })).items;

/** GetResourceMetric: per pod, the milli-value of `resource` over its containers (or in `container`); a pod lacking it in any container is left out. */
export async function resourceMetrics(list: PodMetricsLister, resource: string, namespace: string, labelSelector: string, container = ''): Promise<{ metrics: PodMetricsInfo; timestamp: number }> {
  let items: PodMetricsItem[];
  try {
    items = await list(namespace, labelSelector);
  } catch (e) {
    throw new Error(`unable to fetch metrics from resource metrics API: ${(e as Error).message}`);
  }
  if (!items.length) throw new Error('no metrics returned from resource metrics API');
  const metrics: PodMetricsInfo = new Map();
  for (const m of items) {
    const name = m.metadata?.name ?? '';
    const timestamp = Date.parse(m.timestamp ?? '');
    const windowMs = m.window ? parseDuration(m.window) : 0;
    const containers = m.containers ?? [];
    if (container) {
      const c = containers.find((x) => x.name === container);
      if (!c) throw new Error(`failed to get container metrics: container ${container} not present in metrics for pod ${m.metadata?.namespace}/${name}`);
      const v = c.usage?.[resource];
      if (v !== undefined) metrics.set(name, { value: quantityToMilli(v), timestamp, windowMs });
      continue;
    }
    if (!containers.length || containers.some((c) => c.usage?.[resource] === undefined)) continue;
    metrics.set(name, { value: containers.reduce((a, c) => a + quantityToMilli(c.usage![resource]!), 0), timestamp, windowMs });
  }
  return { metrics, timestamp: Date.parse(items[0]!.timestamp ?? '') };
}
