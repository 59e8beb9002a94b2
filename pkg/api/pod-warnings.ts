// The warnings kube-apiserver 1.32 gives for a pod or a pod template it accepts (pkg/api/pod's
// warningsForPodSpecAndMeta): things that pass validation but will not do what their writer
// meant — deprecated node labels and annotations, removed volume plugins, a fractional number
// of bytes, an env var hiding an earlier one, overlapping ports, a null labelSelector.
// kubectl prints each as `Warning: <text>`.
import type { Container, ContainerPort, NodeSelectorTerm, PodSpec, PodTemplateSpec } from './types.js';
import { isDNS1123Label } from './names.js';
import { semanticEqual } from './semantic-equal.js';
import { canonicalQuantity, isValidQuantity, quantityToMilli } from './quantity.js';

type Meta = { annotations?: Record<string, string> | null };

/** Deprecated node labels and what to use instead (pkg/api/node's deprecatedNodeLabels). */
const DEPRECATED_NODE_LABELS: Record<string, string> = {
  'beta.kubernetes.io/arch': 'deprecated since v1.14; use "kubernetes.io/arch" instead',
  'beta.kubernetes.io/os': 'deprecated since v1.14; use "kubernetes.io/os" instead',
  'failure-domain.beta.kubernetes.io/region': 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
  'failure-domain.beta.kubernetes.io/zone': 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
  'beta.kubernetes.io/instance-type': 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
};

const DEPRECATED_ANNOTATIONS: [string, string][] = [
  ['scheduler.alpha.kubernetes.io/critical-pod', 'non-functional in v1.16+; use the "priorityClassName" field instead'],
  ['security.alpha.kubernetes.io/sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
  ['security.alpha.kubernetes.io/unsafe-sysctls', 'non-functional in v1.11+; use the "sysctls" field instead'],
];

/**
 * Volume plugins gone or going, and since when: the JSON field, the name the warning gives it,
 * the words. Two tables, as upstream checks an ephemeral volume's claim between them and the
 * warnings keep its order.
 */
type RemovedVolume = [field: string, named: string, message: string];
const REMOVED_VOLUMES_BEFORE_EPHEMERAL: RemovedVolume[] = [
  ['photonPersistentDisk', 'photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['gitRepo', 'gitRepo', 'deprecated in v1.11'],
  ['scaleIO', 'scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['flocker', 'flocker', 'deprecated in v1.22, non-functional in v1.25+'],
  ['storageos', 'storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['quobyte', 'quobyte', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
];
const REMOVED_VOLUMES_AFTER_EPHEMERAL: RemovedVolume[] = [
  ['cephfs', 'cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['rbd', 'rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const APPARMOR_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** field.Path's joining: a child after a root that may be empty. */
const at = (root: string, child: string) => (root ? `${root}.${child}` : child);

/** A memory or ephemeral-storage quantity that is not a whole number of bytes (MilliValue() % 1000 != 0). */
function fractionalBytes(path: string, q: unknown): string[] {
  if (typeof q !== 'string' || !isValidQuantity(q) || quantityToMilli(q) % 1000 === 0) return [];
  return [`${path}: fractional byte value "${canonicalQuantity(q)}" is invalid, must be an integer`];
}

function byteResources(path: string, list: Record<string, unknown> | null | undefined): string[] {
  return ['memory', 'ephemeral-storage'].flatMap((r) => (list && r in list ? fractionalBytes(`${path}[${r}]`, list[r]) : []));
}

/** GetWarningsForPersistentVolumeClaimSpec: a fractional number of bytes asked or limited. */
export function claimSpecWarnings(spec: { resources?: { requests?: Record<string, unknown> | null; limits?: Record<string, unknown> | null } | null }, path: string): string[] {
  const r = spec.resources;
  return [...fractionalBytes(`${path}.resources.requests[storage]`, r?.requests?.storage), ...fractionalBytes(`${path}.resources.limits[storage]`, r?.limits?.storage)];
}

export function nodeSelectorTermWarnings(term: NodeSelectorTerm | undefined, path: string): string[] {
  return (term?.matchExpressions ?? []).flatMap((e, i) => {
    const msg = e.key !== undefined ? DEPRECATED_NODE_LABELS[e.key] : undefined;
    return msg ? [`${path}.matchExpressions[${i}].key: ${e.key} is ${msg}`] : [];
  });
}

/** The Go %+v of the internal ContainerPort (Name, HostPort, ContainerPort, Protocol, HostIP). */
const portString = (p: ContainerPort) => `{Name:${p.name ?? ''} HostPort:${p.hostPort ?? 0} ContainerPort:${p.containerPort ?? 0} Protocol:${p.protocol ?? ''} HostIP:${p.hostIP ?? ''}}`;

/** Every container with its path, init containers, containers, then ephemeral ones (VisitContainersWithPath). */
function containersWithPath(spec: PodSpec, specPath: string): [Container, string][] {
  return [
    ...(spec.initContainers ?? []).map((c, i) => [c, `${specPath}.initContainers[${i}]`] as [Container, string]),
    ...(spec.containers ?? []).map((c, i) => [c, `${specPath}.containers[${i}]`] as [Container, string]),
    ...((spec.ephemeralContainers ?? []) as Container[]).map((c, i) => [c, `${specPath}.ephemeralContainers[${i}]`] as [Container, string]),
  ];
}

/**
 * warningsForPodSpecAndMeta: `root` is where the pod sits ('' for a pod, `spec.template` for a
 * workload's template); `template` says it is one (the AppArmor annotation warning is a template's).
 */
export function podSpecWarnings(spec: PodSpec | undefined, meta: Meta | undefined, root = '', template = false): string[] {
  if (!spec) return [];
  const w: string[] = [];
  const specPath = at(root, 'spec');
  const annotations = meta?.annotations ?? {};
  const annotationsPath = at(root, 'metadata.annotations');

  // deprecated node labels in selectors, affinity and topology spread
  for (const k of Object.keys(spec.nodeSelector ?? {})) {
    if (DEPRECATED_NODE_LABELS[k]) w.push(`${specPath}.nodeSelector[${k}]: ${DEPRECATED_NODE_LABELS[k]}`);
  }
  const na = spec.affinity?.nodeAffinity;
  (na?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []).forEach((t, i) =>
    w.push(...nodeSelectorTermWarnings(t, `${specPath}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`)),
  );
  (na?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
    w.push(...nodeSelectorTermWarnings(t.preference, `${specPath}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference`)),
  );
  (spec.topologySpreadConstraints ?? []).forEach((t, i) => {
    const p = `${specPath}.topologySpreadConstraints[${i}]`;
    const msg = t.topologyKey !== undefined ? DEPRECATED_NODE_LABELS[t.topologyKey] : undefined;
    if (msg) w.push(`${p}.topologyKey: ${t.topologyKey} is ${msg}`);
    if (!t.labelSelector) w.push(`${p}.labelSelector: a null labelSelector results in matching no pod`);
  });

  for (const [key, message] of DEPRECATED_ANNOTATIONS) if (key in annotations) w.push(`${annotationsPath}[${key}]: ${message}`);

  // deprecated and removed volume plugins
  (spec.volumes ?? []).forEach((v, i) => {
    const vol = v as unknown as Record<string, unknown>;
    const removed = (table: RemovedVolume[]) => {
      for (const [plugin, named, message] of table) if (vol[plugin]) w.push(`${specPath}.volumes[${i}].${named}: ${message}`);
    };
    removed(REMOVED_VOLUMES_BEFORE_EPHEMERAL);
    const claim = v.ephemeral?.volumeClaimTemplate?.spec;
    if (claim) w.push(...claimSpecWarnings(claim, `${specPath}.volumes[${i}].ephemeral.volumeClaimTemplate.spec`));
    removed(REMOVED_VOLUMES_AFTER_EPHEMERAL);
  });

  // projected files that would land on a service account token's path
  const tokenPaths = new Set((spec.volumes ?? []).flatMap((v) => (v.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken.path ?? ''] : []))));
  if (tokenPaths.size) {
    (spec.volumes ?? []).forEach((v, i) => {
      for (const s of v.projected?.sources ?? []) {
        const p = `${specPath}.volumes[${i}].projected.sources`;
        (s.configMap?.items ?? []).forEach((it, j) => tokenPaths.has(it.path ?? '') && w.push(`${p}.configMap[${j}]: has duplicated path with ServiceAccountToken "${it.path}"`));
        (s.secret?.items ?? []).forEach((it, j) => tokenPaths.has(it.path ?? '') && w.push(`${p}.secrets[${j}]: has duplicated path with ServiceAccountToken "${it.path}"`));
        (s.downwardAPI?.items ?? []).forEach((it, j) => tokenPaths.has(it.path ?? '') && w.push(`${p}.downwardAPI[${j}]: has duplicated path with ServiceAccountToken "${it.path}"`));
        const bundle = (s as { clusterTrustBundle?: { path?: string } }).clusterTrustBundle;
        if (bundle && tokenPaths.has(bundle.path ?? '')) w.push(`${p}.ClusterTrustBundle: has duplicated path with ServiceAccountToken "${bundle.path}"`);
      }
    });
  }

  // duplicate hostAliases IPs and imagePullSecrets, and empty pull secret names
  const ips = new Set<string>();
  (spec.hostAliases ?? []).forEach((h, i) => {
    if (ips.has(h.ip ?? '')) w.push(`${specPath}.hostAliases[${i}].ip: duplicate ip "${h.ip ?? ''}"`);
    else ips.add(h.ip ?? '');
  });
  const secrets = new Set<string>();
  const pullSecrets = spec.imagePullSecrets ?? [];
  pullSecrets.forEach((s, i) => {
    if (pullSecrets.length > 1 && secrets.has(s.name ?? '')) w.push(`${specPath}.imagePullSecrets[${i}].name: duplicate name "${s.name ?? ''}"`);
    else secrets.add(s.name ?? '');
  });
  pullSecrets.forEach((s, i) => !s.name && w.push(`${specPath}.imagePullSecrets[${i}].name: invalid empty name ""`));

  w.push(...byteResources(`${specPath}.overhead`, spec.overhead as Record<string, unknown> | undefined));

  if (!spec.securityContext?.seccompProfile && SECCOMP_POD_ANNOTATION in annotations) {
    w.push(`${annotationsPath}[${SECCOMP_POD_ANNOTATION}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
  }
  const podAppArmor = !!spec.securityContext?.appArmorProfile;
  const containers = containersWithPath(spec, specPath);
  for (const [c, p] of containers) {
    if (!c.securityContext?.seccompProfile && `${SECCOMP_CONTAINER_PREFIX}${c.name}` in annotations) {
      w.push(`${annotationsPath}[${SECCOMP_CONTAINER_PREFIX}${c.name}]: non-functional in v1.27+; use the "seccompProfile" field instead`);
    }
    // (a pod's own is warned of where its annotation is turned into the field)
    if (template && !podAppArmor && !c.securityContext?.appArmorProfile && `${APPARMOR_PREFIX}${c.name}` in annotations) {
      w.push(`${annotationsPath}[${APPARMOR_PREFIX}${c.name}]: deprecated since v1.30; use the "appArmorProfile" field instead`);
    }
    const res = c.resources as { limits?: Record<string, unknown>; requests?: Record<string, unknown> } | undefined;
    w.push(...fractionalBytes(`${p}.resources.limits[memory]`, res?.limits?.memory), ...fractionalBytes(`${p}.resources.requests[memory]`, res?.requests?.memory));
    w.push(...fractionalBytes(`${p}.resources.limits[ephemeral-storage]`, res?.limits?.['ephemeral-storage']), ...fractionalBytes(`${p}.resources.requests[ephemeral-storage]`, res?.requests?.['ephemeral-storage']));
    // an env var defined again, unless the new value builds on the old ($(X)...)
    const seen = new Set<string>();
    (c.env ?? []).forEach((e, i) => {
      const name = e.name ?? '';
      if (!seen.has(name)) return void seen.add(name);
      const ref = `$(${name})`;
      const value = e.value ?? '';
      if (e.valueFrom || value === ref || !value.includes(ref)) w.push(`${p}.env[${i}]: hides previous definition of "${name}", which may be dropped when using apply`);
    });
  }

  // ports across every container: hostIP without hostPort, duplicates and overlaps
  const all = new Map<string, { path: string; port: ContainerPort }[]>();
  for (const [c, p] of containers) {
    (c.ports ?? []).forEach((port, i) => {
      const path = `${p}.ports[${i}]`;
      if (port.hostIP && !port.hostPort) w.push(`${path}: hostIP set without hostPort: ${portString(port)}`);
      const k = `${port.containerPort ?? 0}/${port.protocol ?? ''}`;
      for (const other of all.get(k) ?? []) {
        const [hostIP, otherIP] = [port.hostIP ?? '', other.port.hostIP ?? ''];
        const [hostPort, otherPort] = [port.hostPort ?? 0, other.port.hostPort ?? 0];
        if (hostIP === otherIP && hostPort === otherPort) w.push(`${path}: duplicate port definition with ${other.path}`);
        else if (hostPort === 0 || otherPort === 0) w.push(`${path}: overlapping port definition with ${other.path}`);
        else if (hostPort === otherPort && (hostIP === '') !== (otherIP === '')) w.push(`${path}: dangerously ambiguous port definition with ${other.path}`);
      }
      all.set(k, [...(all.get(k) ?? []), { path, port }]);
    });
  }

  if (spec.terminationGracePeriodSeconds != null && spec.terminationGracePeriodSeconds < 0) {
    w.push(`${specPath}.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1`);
  }

  const nullSelector = (p: string) => `${p}: a null labelSelector results in matching no pod`;
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const a = spec.affinity?.[kind];
    const p = `${specPath}.affinity.${kind}`;
    (a?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => !t.labelSelector && w.push(nullSelector(`${p}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector`)));
    (a?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => !t.podAffinityTerm?.labelSelector && w.push(nullSelector(`${p}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm.labelSelector`)));
  }
  return w;
}

/** podStrategy.WarningsOnCreate: a name that is no DNS label, then the spec's warnings (none on update). */
export function podCreateWarnings(pod: { metadata?: { name?: string } & Meta; spec?: PodSpec }): string[] {
  const w: string[] = [];
  const msgs = isDNS1123Label(pod.metadata?.name ?? '');
  if (msgs.length) w.push(`metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`);
  return [...w, ...podSpecWarnings(pod.spec, pod.metadata)];
}

/** GetWarningsForPodTemplate at `root` (spec.template, spec.jobTemplate.spec.template): on create, and on an update that changed the template. */
export function podTemplateWarnings(t: PodTemplateSpec | undefined, root: string, old?: PodTemplateSpec): string[] {
  if (!t || (old && semanticEqual(t, old, 'PodTemplateSpec'))) return [];
  return podSpecWarnings(t.spec, t.metadata as Meta | undefined, root, true);
}
