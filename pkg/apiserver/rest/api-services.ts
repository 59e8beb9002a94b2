// apiregistration.k8s.io/v1 APIService (`kubectl get apiservices`), read-only. kube-apiserver's
// aggregator keeps one per group version it serves, made at start (autoRegistrationController,
// labelled kube-aggregator.kubernetes.io/automanaged: onstart) or for a CRD's group version
// (crdRegistrationController, automanaged: "true"), each Local and always Available. tskube
// aggregates no other apiserver, so nothing is stored: the list is made from what is served, and
// a write is refused (405) rather than accepted and ignored.
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { matchesLabelSelector, parseFieldSelector, parseLabelSelector, SelectorError, unsupportedFieldLabel } from '../../api/selectors.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import type { ResourceInfo } from '../registry/resources.js';
import type { UserInfo } from '../registry/store.js';
import { servedGroupVersions } from './discovery.js';
import { sendJson } from './http-util.js';
import { authorizeReadOnly } from './read-only-resource.js';
import { age, toTable, type Printer } from './table.js';

export interface APIServiceDeps {
  authorizer: Authorizer;
  /** The resources served now (custom ones included). */
  resources(): ResourceInfo[];
  /** When the cluster was made (the kube-system namespace's creationTimestamp). */
  clusterCreated(): Promise<string | undefined>;
  /** The CustomResourceDefinitions, for their groups' creation times. */
  crds(): Promise<KubeObject[]>;
}

const path = /^\/apis\/apiregistration\.k8s\.io\/v1\/apiservices(?:\/([^/]+))?$/;
export const matchAPIServicePath = (p: string): { name?: string } | undefined => {
  const m = path.exec(p);
  return m ? { name: m[1] ? decodeURIComponent(m[1]) : undefined } : undefined;
};

/**
 * The priorities of 1.32's built-in group versions (DefaultGenericAPIServicePriorities merged
 * with kube-apiserver's apiVersionPriorities): [groupPriorityMinimum, versionPriority].
 */
const PRIORITIES: Record<string, [number, number]> = {
  v1: [18000, 1],
  'apps/v1': [17800, 15],
  'events.k8s.io/v1': [17750, 15],
  'authentication.k8s.io/v1': [17700, 15],
  'authorization.k8s.io/v1': [17600, 15],
  'autoscaling/v1': [17500, 15],
  'autoscaling/v2': [17500, 30],
  'batch/v1': [17400, 15],
  'certificates.k8s.io/v1': [17300, 15],
  'networking.k8s.io/v1': [17200, 15],
  'policy/v1': [17100, 15],
  'rbac.authorization.k8s.io/v1': [17000, 15],
  'storage.k8s.io/v1': [16800, 15],
  'apiextensions.k8s.io/v1': [16700, 15],
  'admissionregistration.k8s.io/v1': [16700, 15],
  'scheduling.k8s.io/v1': [16600, 15],
  'coordination.k8s.io/v1': [16500, 15],
  'node.k8s.io/v1': [16300, 15],
  'discovery.k8s.io/v1': [16200, 15],
  'flowcontrol.apiserver.k8s.io/v1': [16100, 21],
};
/** A CRD's group version (crdregistration: 1000 and 100); metrics.k8s.io as metrics-server's manifest registers it (100 and 100). */
const CRD_PRIORITY: [number, number] = [1000, 100];
const METRICS_PRIORITY: [number, number] = [100, 100];
const AUTOMANAGED = 'kube-aggregator.kubernetes.io/automanaged';

async function all(deps: APIServiceDeps): Promise<KubeObject[]> {
  const created = (await deps.clusterCreated()) ?? null;
  const resources = deps.resources();
  const custom = new Set(resources.filter((r) => r.custom).map((r) => r.group));
  const crdCreated = new Map<string, string>();
  if (custom.size) {
    for (const crd of await deps.crds()) {
      const g = (crd.spec as { group?: string } | undefined)?.group ?? '';
      const t = crd.metadata?.creationTimestamp;
      if (t && (!crdCreated.has(g) || t < crdCreated.get(g)!)) crdCreated.set(g, t);
    }
  }
  const out: KubeObject[] = [];
  // (the aggregator's own group has no APIService: it is not its delegate's)
  for (const [group, version] of [['', 'v1'] as [string, string], ...servedGroupVersions(resources).filter(([g]) => g !== 'apiregistration.k8s.io')]) {
    const gv = group ? `${group}/${version}` : version;
    const crd = custom.has(group);
    const [groupPriorityMinimum, versionPriority] = crd ? CRD_PRIORITY : group === 'metrics.k8s.io' ? METRICS_PRIORITY : (PRIORITIES[gv] ?? CRD_PRIORITY);
    const since = crd ? (crdCreated.get(group) ?? created) : created;
    out.push({
      kind: 'APIService',
      apiVersion: 'apiregistration.k8s.io/v1',
      metadata: { name: `${version}.${group}`, creationTimestamp: since, labels: { [AUTOMANAGED]: crd ? 'true' : 'onstart' } } as KubeObject['metadata'],
      spec: { group, version, groupPriorityMinimum, versionPriority },
      status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: since, reason: 'Local', message: 'Local APIServices are always available' }] },
    });
  }
  return out.sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
}

/** The aggregator's own columns (apiservice storage's ConvertToTable): Service is Local or namespace/name. */
const printer: Printer = {
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
    { name: 'Service', type: 'string', format: '', description: 'The reference to the service that hosts this API endpoint.', priority: 0 },
    { name: 'Available', type: 'string', format: '', description: 'Whether this service is available.', priority: 0 },
    { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
  ],
  row: (o, now) => {
    const c = ((o.status as { conditions?: { type: string; status: string; reason?: string }[] } | undefined)?.conditions ?? []).find((x) => x.type === 'Available');
    const available = !c ? 'Unknown' : c.status === 'True' || !c.reason ? c.status : `${c.status} (${c.reason})`;
    return [o.metadata?.name, 'Local', available, age(o, now)];
  },
};

export async function serveAPIServices(deps: APIServiceDeps, user: UserInfo, method: string, name: string | undefined, asTable: boolean, res: ServerResponse, query = new URLSearchParams()): Promise<void> {
  await authorizeReadOnly(deps.authorizer, user, method, 'apiregistration.k8s.io', 'apiservices', name, query);
  let items = await all(deps);
  if (name) {
    const one = items.find((i) => i.metadata?.name === name);
    if (!one) throw errors.notFound('apiregistration.k8s.io', 'apiservices', name);
    return sendJson(res, 200, asTable ? toTable(printer, [one], {}, 'None') : one);
  }
  try {
    const labels = query.get('labelSelector');
    if (labels) {
      const sel = parseLabelSelector(labels);
      items = items.filter((i) => matchesLabelSelector(sel, i.metadata?.labels ?? {}));
    }
    const fields = query.get('fieldSelector');
    if (fields) {
      // (metadata.name, and metadata.namespace, empty for a cluster-scoped object)
      const reqs = parseFieldSelector(fields).requirements;
      for (const r of reqs) if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace') throw errors.badRequest(unsupportedFieldLabel('apiservices', r.field));
      const value = (i: KubeObject, field: string) => (field === 'metadata.name' ? (i.metadata?.name ?? '') : '');
      items = items.filter((i) => reqs.every((r) => (value(i, r.field) === r.value) === (r.op !== '!=')));
    }
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
  return sendJson(res, 200, asTable ? toTable(printer, items, {}, 'None') : { kind: 'APIServiceList', apiVersion: 'apiregistration.k8s.io/v1', metadata: {}, items });
}
