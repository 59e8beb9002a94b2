// What the inter-pod affinity and topology spread plugins read of the cluster besides nodes and
// pods: namespace labels (for namespaceSelector) and the selectors of the Services and the owning
// ReplicationController, ReplicaSet or StatefulSet of a pod (kube-scheduler's DefaultSelector, for the system default
// spreading). The scheduler feeds it from informers; unit tests use a fake.
import { labelSelectorFromObject, matchesLabelSelector, type LabelRequirement, type ParsedLabelSelector } from '../api/selectors.js';
import type { KubeObject, Namespace, Pod, PodDisruptionBudget, ReplicaSet, ReplicationController, Service, StatefulSet } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { Informer } from '../client/informer.js';
import { Namespaces, PodDisruptionBudgets, ReplicaSets, ReplicationControllers, Services, StatefulSets } from '../client/rest-client.js';

export interface ClusterLister {
  /** The namespace's labels; undefined when it is not known. */
  namespaceLabels(ns: string): Record<string, string> | undefined;
  /** The names of the namespaces whose labels the selector matches. */
  namespacesMatching(sel: ParsedLabelSelector): string[];
  /**
   * kube-scheduler's DefaultSelector: the selectors of the Services selecting the pod, merged, and
   * of its controlling ReplicationController, ReplicaSet or StatefulSet; undefined when that selects nothing in particular.
   */
  defaultSelector(pod: Pod): ParsedLabelSelector | undefined;
}

/** Selectors of Services (label maps) and of sets (LabelSelectors) merged as kube-scheduler does. */
export function mergeDefaultSelector(serviceSelectors: Record<string, string>[], ownerSelector: ParsedLabelSelector | undefined): ParsedLabelSelector | undefined {
  const set: Record<string, string> = {};
  for (const s of serviceSelectors) Object.assign(set, s);
  const requirements: LabelRequirement[] = Object.entries(set).map(([key, v]) => ({ key, operator: 'In', values: [v] }));
  if (ownerSelector && !ownerSelector.nothing) requirements.push(...ownerSelector.requirements);
  return requirements.length ? { requirements } : undefined;
}

/**
 * The lister over informers of Namespaces, Services, ReplicationControllers, ReplicaSets and
 * StatefulSets, and of PodDisruptionBudgets (which preemption reads, as kube-scheduler's does).
 */
export class InformerClusterLister implements ClusterLister {
  private readonly namespaces: Informer<Namespace & KubeObject>;
  private readonly pdbs: Informer<PodDisruptionBudget & KubeObject>;
  private readonly services: Informer<Service & KubeObject>;
  private readonly replicaSets: Informer<ReplicaSet & KubeObject>;
  private readonly replicationControllers: Informer<ReplicationController & KubeObject>;
  private readonly statefulSets: Informer<StatefulSet & KubeObject>;
  /** namespace → Service name → its spec.selector (Services without one select nothing and are left out). */
  private readonly serviceSelectors = new Map<string, Map<string, Record<string, string>>>();

  constructor(client: ApiClient) {
    this.namespaces = new Informer(client, Namespaces);
    this.services = new Informer(client, Services);
    this.replicaSets = new Informer(client, ReplicaSets);
    this.replicationControllers = new Informer(client, ReplicationControllers);
    this.statefulSets = new Informer(client, StatefulSets);
    this.pdbs = new Informer(client, PodDisruptionBudgets);
    const put = (s: Service & KubeObject) => {
      const ns = s.metadata!.namespace!;
      const sel = s.spec?.selector;
      let m = this.serviceSelectors.get(ns);
      if (!sel) {
        m?.delete(s.metadata!.name!);
        return;
      }
      if (!m) this.serviceSelectors.set(ns, (m = new Map()));
      m.set(s.metadata!.name!, sel);
    };
    this.services.on({ add: put, update: put, delete: (s) => this.serviceSelectors.get(s.metadata!.namespace!)?.delete(s.metadata!.name!) });
  }

  start(): Promise<void> {
    const all = [this.namespaces, this.services, this.replicaSets, this.replicationControllers, this.statefulSets, this.pdbs];
    for (const i of all) i.start();
    return Promise.all(all.map((i) => i.hasSynced())).then(() => undefined);
  }

  stop(): void {
    for (const i of [this.namespaces, this.services, this.replicaSets, this.replicationControllers, this.statefulSets, this.pdbs]) i.stop();
  }

  podDisruptionBudgets(): PodDisruptionBudget[] {
    return this.pdbs.list();
  }

  namespaceLabels(ns: string): Record<string, string> | undefined {
    const n = this.namespaces.get(ns);
    return n ? (n.metadata?.labels ?? {}) : undefined;
  }

  namespacesMatching(sel: ParsedLabelSelector): string[] {
    return this.namespaces
      .list()
      .filter((n) => matchesLabelSelector(sel, n.metadata?.labels ?? {}))
      .map((n) => n.metadata!.name!);
  }

  defaultSelector(pod: Pod): ParsedLabelSelector | undefined {
    const ns = pod.metadata?.namespace ?? 'default';
    const labels = pod.metadata?.labels ?? {};
    const services: Record<string, string>[] = [];
    for (const sel of this.serviceSelectors.get(ns)?.values() ?? []) {
      if (Object.entries(sel).every(([k, v]) => labels[k] === v)) services.push(sel);
    }
    const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
    let ownerSel: ParsedLabelSelector | undefined;
    if (owner?.apiVersion === 'v1' && owner.kind === 'ReplicationController') {
      const sel = this.replicationControllers.get(`${ns}/${owner.name}`)?.spec?.selector;
      if (sel && Object.keys(sel).length) ownerSel = { requirements: Object.entries(sel).map(([key, v]) => ({ key, operator: 'In', values: [v] })) };
    } else if (owner?.apiVersion === 'apps/v1' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) {
      const set = (owner.kind === 'ReplicaSet' ? this.replicaSets : this.statefulSets).get(`${ns}/${owner.name}`);
      try {
        if (set?.spec?.selector) ownerSel = labelSelectorFromObject(set.spec.selector);
      } catch {
        // An invalid selector adds nothing (kube-scheduler ignores the parse error too).
      }
    }
    return mergeDefaultSelector(services, ownerSel);
  }
}
