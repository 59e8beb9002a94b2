// The node lifecycle controller's metrics as kube-controller-manager 1.32 registers them
// (pkg/controller/nodelifecycle/metrics.go): each zone's size, not-Ready nodes and health, the
// NoExecute taintings it counts as evictions, and how long its health updates take; and the
// taint eviction controller's deletions (pkg/controller/tainteviction/metrics/metrics.go).
import { Counter, Gauge, Histogram } from 'prom-client';
import { alpha, stable } from '../util/metric-help.js';

/** metrics.ExponentialBuckets(start, factor, count): each bound the previous one times factor. */
function exponential(start: number, factor: number, count: number): number[] {
  const b: number[] = [];
  for (let i = 0; i < count; i++, start *= factor) b.push(start);
  return b;
}

const zoneHealth = new Gauge({ name: 'node_collector_zone_health', help: alpha('Gauge measuring percentage of healthy nodes per zone.'), labelNames: ['zone'] });
const zoneSize = new Gauge({ name: 'node_collector_zone_size', help: alpha('Gauge measuring number of registered Nodes per zones.'), labelNames: ['zone'] });
const unhealthyNodes = new Gauge({ name: 'node_collector_unhealthy_nodes_in_zone', help: alpha('Gauge measuring number of not Ready Nodes per zones.'), labelNames: ['zone'] });
const evictionsTotal = new Counter({
  name: 'node_collector_evictions_total',
  help: stable('Number of Node evictions that happened since current instance of NodeController started.'),
  labelNames: ['zone'],
});
export const updateNodeHealthDuration = new Histogram({
  name: 'node_collector_update_node_health_duration_seconds',
  help: alpha('Duration in seconds for NodeController to update the health of a single node.'),
  buckets: exponential(0.001, 4, 8),
});
export const updateAllNodesHealthDuration = new Histogram({
  name: 'node_collector_update_all_nodes_health_duration_seconds',
  help: alpha('Duration in seconds for NodeController to update the health of all nodes.'),
  buckets: exponential(0.01, 4, 8),
});
const podDeletionsTotal = new Counter({ name: 'taint_eviction_controller_pod_deletions_total', help: alpha('Total number of Pods deleted by TaintEvictionController since its start.') });

/** A node tainted NoExecute not-ready or unreachable (SwapNodeControllerTaint succeeded): an eviction of its zone. */
export const recordNodeEviction = (zone: string): void => void evictionsTotal.inc({ zone });
/** A pod the taint eviction controller deleted. */
export const recordTaintEvictionDeletion = (): void => void podDeletionsTotal.inc();

/**
 * handleDisruption's gauges: for each zone of this pass its size, not-Ready nodes and the
 * percentage Ready; a zone seen before and empty now goes to 0, 100 and 0 and is forgotten.
 * `known` is the controller's set of zones (its zoneStates' keys), updated here.
 */
export function recordZones(readyByZone: Map<string, string[]>, known: Set<string>): void {
  for (const [zone, statuses] of readyByZone) {
    const unhealthy = statuses.filter((s) => s !== 'True').length;
    zoneSize.set({ zone }, statuses.length);
    zoneHealth.set({ zone }, (100 * (statuses.length - unhealthy)) / statuses.length);
    unhealthyNodes.set({ zone }, unhealthy);
    known.add(zone);
  }
  for (const zone of known) {
    if (readyByZone.has(zone)) continue;
    zoneSize.set({ zone }, 0);
    zoneHealth.set({ zone }, 100);
    unhealthyNodes.set({ zone }, 0);
    known.delete(zone);
  }
}
