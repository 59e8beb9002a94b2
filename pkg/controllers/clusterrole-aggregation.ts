// The ClusterRole aggregation controller (kube-controller-manager's clusterrole-aggregation): a
// ClusterRole with an aggregationRule gets as its rules the union of the rules of every other
// ClusterRole its selectors match, in name order, each rule once. Any ClusterRole change
// re-syncs every aggregated role (the set is small and roles can aggregate aggregated roles).
import type { ClusterRole, KubeObject, PolicyRule } from '../api/types.js';
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { ClusterRoles, isNotFound } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { WorkQueue } from './work-queue.js';

const log = logger('clusterrole-aggregation-controller');

type CR = ClusterRole & KubeObject;

/** The rules `role` aggregates from `all` (itself excluded), or undefined when it has no aggregationRule. */
export function aggregatedRules(role: CR, all: CR[]): PolicyRule[] | undefined {
  const selectors = role.aggregationRule?.clusterRoleSelectors;
  if (!role.aggregationRule) return undefined;
  const rules: PolicyRule[] = [];
  const seen = new Set<string>();
  const byName = [...all].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const s of selectors ?? []) {
    const sel = labelSelectorFromObject(s);
    for (const other of byName) {
      if (other.metadata?.name === role.metadata?.name || !matchesLabelSelector(sel, other.metadata?.labels)) continue;
      for (const r of other.rules ?? []) {
        const key = JSON.stringify(r);
        if (seen.has(key)) continue;
        seen.add(key);
        rules.push(r);
      }
    }
  }
  return rules;
}

export class ClusterRoleAggregationController {
  readonly queue: WorkQueue;

  constructor(
    private readonly client: ApiClient,
    private readonly roles: Informer<CR>,
  ) {
    this.queue = new WorkQueue('clusterrole-aggregation', (key) => this.sync(key));
    const all = () => this.enqueueAll();
    roles.on({ add: all, update: all, delete: all });
  }

  start(): void {
    this.enqueueAll();
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueueAll(): void {
    for (const r of this.roles.list()) if (r.aggregationRule) this.queue.add(r.metadata!.name!);
  }

  async sync(name: string): Promise<void> {
    const role = this.roles.get(name);
    if (!role) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (!rules || JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    try {
      await this.client.patch(ClusterRoles, undefined, name, { rules }, 'merge');
      log.info('aggregated cluster role rules', { clusterRole: name, rules: rules.length });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }
}
