// Discovery documents: /api, /apis, /api/v1, /apis/<group>/<version>, /version.
import { apiVersionOf, verbsOf, type ResourceInfo } from '../registry/resources.js';
import { compareKubeVersions } from '../registry/custom-resources.js';
import { BUILD_DATE, GIT_COMMIT, GIT_VERSION, goPlatform } from '../../util/version.js';

export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: GIT_VERSION,
  gitCommit: GIT_COMMIT,
  gitTreeState: 'clean',
  buildDate: BUILD_DATE,
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${goPlatform().os}/${goPlatform().arch}`,
};

export function apiVersions(): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

/**
 * Resources served without storage: pod bindings, reviews answered by the apiserver's authenticator and authorizer, and the
 * metrics API (kubectl top) answered from the node agents.
 */
const virtual = [
  { group: '', version: 'v1', resource: { name: 'bindings', singularName: 'binding', namespaced: true, kind: 'Binding', verbs: ['create'] } },
  { group: '', version: 'v1', resource: { name: 'componentstatuses', singularName: 'componentstatus', namespaced: false, kind: 'ComponentStatus', verbs: ['get', 'list'], shortNames: ['cs'] } },
  { group: 'authorization.k8s.io', version: 'v1', resource: { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] } },
  { group: 'authorization.k8s.io', version: 'v1', resource: { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', namespaced: false, kind: 'SelfSubjectRulesReview', verbs: ['create'] } },
  { group: 'authorization.k8s.io', version: 'v1', resource: { name: 'subjectaccessreviews', singularName: 'subjectaccessreview', namespaced: false, kind: 'SubjectAccessReview', verbs: ['create'] } },
  { group: 'authorization.k8s.io', version: 'v1', resource: { name: 'localsubjectaccessreviews', singularName: 'localsubjectaccessreview', namespaced: true, kind: 'LocalSubjectAccessReview', verbs: ['create'] } },
  { group: 'authentication.k8s.io', version: 'v1', resource: { name: 'selfsubjectreviews', singularName: 'selfsubjectreview', namespaced: false, kind: 'SelfSubjectReview', verbs: ['create'] } },
  { group: 'authentication.k8s.io', version: 'v1', resource: { name: 'tokenreviews', singularName: 'tokenreview', namespaced: false, kind: 'TokenReview', verbs: ['create'] } },
  // (read-only: the aggregator's APIServices of what is served, api-services.ts; in the
  // api-extensions category, as the aggregator's REST Categories() puts them)
  { group: 'apiregistration.k8s.io', version: 'v1', resource: { name: 'apiservices', singularName: 'apiservice', namespaced: false, kind: 'APIService', verbs: ['get', 'list'], categories: ['api-extensions'] } },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] } },
  { group: 'metrics.k8s.io', version: 'v1beta1', resource: { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] } },
];

function groups(all: ResourceInfo[]): Map<string, string[]> {
  const m = new Map<string, string[]>(virtual.filter((r) => r.group).map((r) => [r.group, [r.version]]));
  const custom = new Set<string>();
  for (const r of all) {
    if (!r.group) continue;
    const vs = m.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    m.set(r.group, vs);
    if (r.custom) custom.add(r.group);
  }
  // A CRD group's preferred version is its highest by Kubernetes' version priority (v2 > v1 > v1beta1).
  for (const g of custom) m.get(g)!.sort(compareKubeVersions);
  return m;
}

/** Every named group version served, [group, version], each group's preferred version first. */
export const servedGroupVersions = (all: ResourceInfo[]): [string, string][] => [...groups(all)].flatMap(([g, vs]) => vs.map((v): [string, string] => [g, v]));

export function apiGroup(name: string, all: ResourceInfo[]): Record<string, unknown> | undefined {
  const versions = groups(all).get(name);
  if (!versions) return undefined;
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList(all: ResourceInfo[]): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups(all).keys()].map((g) => { const { kind: _k, apiVersion: _a, ...rest } = apiGroup(g, all)!; return rest; }) };
}

const subresourceKinds: Record<string, { kind: string; verbs: string[]; group?: string; version?: string }> = {
  status: { kind: '', verbs: ['get', 'patch', 'update'] },
  binding: { kind: 'Binding', verbs: ['create'] },
  // (group and version say which Eviction kubectl drain should send)
  eviction: { kind: 'Eviction', verbs: ['create'], group: 'policy', version: 'v1' },
  log: { kind: 'Pod', verbs: ['get'] },
  exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] },
  attach: { kind: 'PodAttachOptions', verbs: ['create', 'get'] },
  portforward: { kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
  // (kind: PodProxyOptions, ServiceProxyOptions, NodeProxyOptions)
  proxy: { kind: '', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  ephemeralcontainers: { kind: 'Pod', verbs: ['get', 'patch', 'update'] },
  approval: { kind: '', verbs: ['get', 'patch', 'update'] },
  finalize: { kind: '', verbs: ['update'] },
  scale: { kind: 'Scale', verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1' },
  token: { kind: 'TokenRequest', verbs: ['create'], group: 'authentication.k8s.io', version: 'v1' },
};

export function apiResourceList(group: string, version: string, all: ResourceInfo[]): Record<string, unknown> | undefined {
  const rs = all.filter((r) => r.group === group && r.version === version);
  const resources: Record<string, unknown>[] = virtual.filter((r) => r.group === group && r.version === version).map((r) => r.resource);
  if (!rs.length && !resources.length) return undefined;
  for (const r of rs) {
    resources.push({
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories.length ? { categories: r.categories } : {}),
    });
    for (const s of r.subresources) {
      const sk = subresourceKinds[s]!;
      resources.push({ name: `${r.name}/${s}`, singularName: '', namespaced: r.namespaced, ...(sk.group ? { group: sk.group, version: sk.version } : {}), kind: sk.kind || (s === 'proxy' ? `${r.kind}ProxyOptions` : r.kind), verbs: sk.verbs });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function resourceLabel(r: ResourceInfo): string {
  return `${apiVersionOf(r)}/${r.name}`;
}

/** The media type of aggregated discovery in a version (kube-apiserver 1.32 serves v2 and v2beta1). */
export const aggregatedDiscoveryType = (version: AggregatedDiscoveryVersion) => `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;

export type AggregatedDiscoveryVersion = 'v2' | 'v2beta1';

/**
 * The aggregated discovery version an Accept header asks for first, if any (kubectl offers v2,
 * then v2beta1, then plain JSON; v2beta1 goes with AggregatedDiscoveryRemoveBetaType in 1.33).
 */
export function wantedAggregatedDiscovery(accept: string | undefined): AggregatedDiscoveryVersion | undefined {
  for (const t of (accept ?? '').split(',')) {
    const params = t.replace(/\s/g, '');
    if (!/g=apidiscovery\.k8s\.io/.test(params) || !/as=APIGroupDiscoveryList/.test(params)) continue;
    const v = /v=(v2beta1|v2)(;|$)/.exec(params)?.[1];
    if (v) return v as AggregatedDiscoveryVersion;
  }
  return undefined;
}

/**
 * Aggregated discovery (apidiscovery.k8s.io/v2 APIGroupDiscoveryList): every group, its
 * versions (preferred first) and their resources with their subresources, in one document: the
 * legacy group alone for /api, every named group for /apis. kubectl then needs no request per
 * group version.
 */
export function aggregatedDiscovery(legacy: boolean, all: ResourceInfo[], version: AggregatedDiscoveryVersion = 'v2'): Record<string, unknown> {
  const groupVersions: [string, string[]][] = legacy ? [['', ['v1']]] : [...groups(all)];
  const items = groupVersions.map(([group, versions]) => ({
    metadata: { name: group, creationTimestamp: null },
    versions: versions.flatMap((version) => {
      const list = apiResourceList(group, version, all);
      if (!list) return [];
      const entries = list.resources as { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[]; group?: string; version?: string }[];
      const resources = entries
        .filter((e) => !e.name.includes('/'))
        .map((e) => ({
          resource: e.name,
          responseKind: { group, version, kind: e.kind },
          scope: e.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: e.singularName,
          verbs: e.verbs,
          ...(e.shortNames ? { shortNames: e.shortNames } : {}),
          ...(e.categories ? { categories: e.categories } : {}),
          subresources: entries
            .filter((s) => s.name.startsWith(`${e.name}/`))
            .map((s) => ({ subresource: s.name.slice(e.name.length + 1), responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind }, verbs: s.verbs })),
        }));
      return [{ version, resources, freshness: 'Current' }];
    }),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
