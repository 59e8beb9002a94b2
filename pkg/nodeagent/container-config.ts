// From a Kubernetes container to the runtime's container config: command and args (the runtime
// merges them with the image's entrypoint and cmd as Kubernetes does), env with $(VAR)
// expansion and downward-API fields, resources as cgroup values, security context, volumes.
import { totalmem } from 'node:os';
import { containerNamed, resourceFieldValue } from './downward-resources.js';
import { podSysctls } from './sysctls.js';
import { isCriticalPod } from './eviction-ranking.js';
import { effectivePodRequests, podQOSClass } from '../api/defaults.js';
import { podTotalsMilli } from '../api/pod-resources.js';
import { quantityToMilli, parseQuantity } from '../api/quantity.js';
import type { Container, Pod } from '../api/types.js';
import type { ContainerConfig, LinuxResources, Mount, PodSandboxConfig, SecurityContext, VolumeMount } from '../runtime/types.js';
import { ConfigSourceError, ConfigSources, envFromVars, keyRefValue } from './config-sources.js';
import { containerNameLabel, formatPod, podNameLabel, podNamespaceLabel, podUidLabel, restartCountAnnotation } from './container-labels.js';

export const cfsPeriod = 100_000;

/** cpu.shares from the cpu request (2 minimum), CFS quota from the limit, memory limit, as the kubelet does. */
export function linuxResources(c: Container): LinuxResources {
  const req = (c.resources?.requests ?? {}) as Record<string, string>;
  const lim = (c.resources?.limits ?? {}) as Record<string, string>;
  const r: LinuxResources = {};
  const reqCpu = req.cpu ?? lim.cpu;
  r.cpuShares = reqCpu ? Math.max(2, Math.floor((quantityToMilli(reqCpu) * 1024) / 1000)) : 2;
  if (lim.cpu) {
    r.cpuPeriod = cfsPeriod;
    r.cpuQuota = Math.max(1000, Math.floor((quantityToMilli(lim.cpu) * cfsPeriod) / 1000));
  }
  if (lim.memory) r.memoryLimitInBytes = parseQuantity(lim.memory);
  return r;
}

/** qos/policy.go's guaranteedOOMScoreAdj and besteffortOOMScoreAdj. */
const guaranteedOOMScoreAdj = -997;
const besteffortOOMScoreAdj = 1000;

/**
 * The oom_score_adj of a container's processes, as 1.32's GetContainerOOMScoreAdjust: so that
 * when the node runs out of memory the kernel kills BestEffort containers first (1000), then
 * Burstable ones by how little memory they requested (1000 - 1000 * request / node memory,
 * kept within 3..999; a sidecar no higher than the pod's smallest app container), and
 * node-critical and Guaranteed ones last (-997).
 */
export function containerOOMScoreAdjust(pod: Pod, c: Container, memoryCapacity: number): number {
  if (isNodeCriticalPod(pod)) return guaranteedOOMScoreAdj;
  const qos = podQOSClass(pod);
  if (qos === 'Guaranteed') return guaranteedOOMScoreAdj;
  if (qos === 'BestEffort') return besteffortOOMScoreAdj;
  const memoryRequest = (x: Container) => {
    const m = (x.resources?.requests as Record<string, string> | undefined)?.memory;
    return m === undefined ? 0 : Math.ceil(parseQuantity(m));
  };
  const adjust = (request: number) => 1000 - Math.floor((1000 * request) / memoryCapacity);
  let oomScoreAdjust = adjust(memoryRequest(c));
  const sidecar = c.restartPolicy === 'Always' && (pod.spec?.initContainers ?? []).some((i) => i.name === c.name);
  if (sidecar) oomScoreAdjust = Math.min(oomScoreAdjust, adjust(Math.min(...(pod.spec?.containers ?? []).map(memoryRequest))));
  if (oomScoreAdjust < 1000 + guaranteedOOMScoreAdj) return 1000 + guaranteedOOMScoreAdj;
  if (oomScoreAdjust === besteffortOOMScoreAdj) return oomScoreAdjust - 1;
  return oomScoreAdjust;
}

/** IsNodeCriticalPod: a critical pod (static, mirror, or of system-critical priority) of the system-node-critical class. */
function isNodeCriticalPod(pod: Pod): boolean {
  return isCriticalPod(pod) && pod.spec?.priorityClassName === 'system-node-critical';
}

/**
 * The pod cgroup's limits, as the kubelet's ResourceConfigForPod: cpu shares from the pod's
 * requests (overhead included); for a Guaranteed pod, and for a Burstable one when every
 * container limits cpu (memory), a CFS quota (memory limit) of the sum of the limits plus the
 * overhead; a BestEffort pod gets the minimum shares and no limit.
 */
export function podLinuxResources(pod: Pod): LinuxResources {
  const qos = podQOSClass(pod);
  if (qos === 'BestEffort') return { cpuShares: 2 };
  const all = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const declared = (name: string) => all.every((c) => {
    const v = (c.resources?.limits as Record<string, string> | undefined)?.[name];
    return v !== undefined && quantityToMilli(v) !== 0;
  });
  const reqCpu = effectivePodRequests(pod).cpu ?? 0;
  const r: LinuxResources = { cpuShares: Math.min(262_144, Math.max(2, Math.floor((reqCpu * 1024) / 1000))) };
  const limits = podTotalsMilli(pod, 'limits', { overhead: true });
  const cpu = limits.get('cpu') ?? 0;
  if (cpu && (qos === 'Guaranteed' || declared('cpu'))) {
    r.cpuPeriod = cfsPeriod;
    r.cpuQuota = Math.max(1000, Math.floor((cpu * cfsPeriod) / 1000));
  }
  const mem = limits.get('memory') ?? 0;
  if (mem && (qos === 'Guaranteed' || declared('memory'))) r.memoryLimitInBytes = Math.floor(mem / 1000);
  return r;
}

function fieldRef(pod: Pod, path: string, nodeName: string, hostIP: string): string {
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata?.uid ?? '';
    case 'spec.nodeName':
    case 'spec.host': // (its old name, which ConvertDownwardAPIFieldLabel still takes)
      return nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return hostIP;
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    // (every IP, comma-separated: one family here, so the one address)
    case 'status.hostIPs':
      return hostIP;
    case 'status.podIPs':
      return pod.status?.podIP ?? '';
  }
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return ((m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations) ?? {})[m[2]!] ?? '';
  return '';
}

/** $(VAR) references expand to earlier variables (then to `fallback`'s: the services'); $$(VAR) escapes. */
export function expand(s: string, vars: Map<string, string>, fallback?: Map<string, string>): string {
  return expandVars(s, (name, ref) => vars.get(name) ?? fallback?.get(name) ?? ref);
}

/** Kubernetes' $(VAR) expansion ($$ is a literal $): `value` gives each name's value, and decides what an unknown one becomes (`ref` is its $(NAME)). */
function expandVars(s: string, value: (name: string, ref: string) => string): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : value(name!, m)));
}

/**
 * A container's environment: envFrom first, then env (which wins), with $(VAR) expansion.
 * ConfigMap and Secret references read `sources` (fetched beforehand); a missing one that is
 * not optional throws ConfigSourceError with the kubelet's message.
 */
export function containerEnv(pod: Pod, c: Container, nodeName: string, hostIP: string, podIP: string, sources: ConfigSources = new ConfigSources(), services: Map<string, string> = new Map(), allocatable?: () => Record<string, string>): Map<string, string> {
  const vars = c.envFrom?.length ? envFromVars(pod, c, sources).vars : new Map<string, string>();
  const p = { ...pod, status: { ...pod.status, podIP } } as Pod;
  const ns = pod.metadata?.namespace ?? '';
  for (const e of c.env ?? []) {
    if (!e.name) continue;
    if (e.value !== undefined) vars.set(e.name, expand(e.value, vars, services));
    else if (e.valueFrom?.configMapKeyRef || e.valueFrom?.secretKeyRef) {
      const v = e.valueFrom.configMapKeyRef ? keyRefValue('configmaps', e.valueFrom.configMapKeyRef, ns, sources) : keyRefValue('secrets', e.valueFrom.secretKeyRef!, ns, sources);
      if (v !== undefined) vars.set(e.name, v);
    } else if (e.valueFrom?.fieldRef?.fieldPath) vars.set(e.name, fieldRef(p, e.valueFrom.fieldRef.fieldPath, nodeName, hostIP));
    else if (e.valueFrom?.resourceFieldRef?.resource) {
      // (of this container unless it names another)
      const ref = e.valueFrom.resourceFieldRef;
      const of = ref.containerName ? containerNamed(p, ref.containerName) : c;
      if (!of) throw new ConfigSourceError(`container ${ref.containerName} not found`);
      vars.set(e.name, resourceFieldValue(of, ref.resource!, ref.divisor, allocatable?.()));
    } else vars.set(e.name, '');
  }
  // Service variables come last and never replace the container's own.
  for (const [k, v] of services) if (!vars.has(k)) vars.set(k, v);
  return vars;
}

/** Whether runAsNonRoot applies to the container (its own setting, else the pod's). */
export function requiresNonRoot(pod: Pod, c: Container): boolean {
  return !!(c.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot);
}

/**
 * The kubelet's verifyRunAsNonRoot: with runAsNonRoot (the container's, else the pod's) a
 * container must not run as uid 0, whether by runAsUser or by the image's user; an image user
 * given by name cannot be verified. Returns the error message, or undefined when it may run.
 */
export function runAsNonRootError(pod: Pod, c: Container, imageUser: string | undefined): string | undefined {
  const sc = c.securityContext ?? {};
  const psc = pod.spec?.securityContext ?? {};
  if (!requiresNonRoot(pod, c)) return undefined;
  const where = `(pod: "${formatPod(pod)}", container: ${c.name})`;
  const runAsUser = sc.runAsUser ?? psc.runAsUser;
  if (runAsUser != null) return Number(runAsUser) === 0 ? `container's runAsUser breaks non-root policy ${where}` : undefined;
  const user = (imageUser ?? '').split(':')[0]!;
  if (user === '' || user === '0') return `container has runAsNonRoot and image will run as root ${where}`;
  if (!/^\d+$/.test(user)) return `container has runAsNonRoot and image has non-numeric user (${user}), cannot verify user is non-root ${where}`;
  return undefined;
}

export interface VolumePaths {
  /** hostPath volumes by name. */
  hostPaths: Map<string, string>;
  /** configMap, secret, downwardAPI and projected volumes by name: their directories, always mounted read-only. */
  apiVolumes?: Map<string, string>;
  /** Volumes (of hostPaths) every mount of which is read-only (a claim with readOnly). */
  readOnly?: Set<string>;
}

/**
 * A mount's propagation (the kubelet's translateMountPropagation): HostToContainer is rslave
 * (mounts made on the host under it show in the container), Bidirectional rshared (and the
 * container's show on the host), only for privileged containers; None, or nothing, private.
 */
function propagationOf(vm: NonNullable<Container['volumeMounts']>[number], c: Container): Pick<Mount, 'propagation'> {
  switch (vm.mountPropagation) {
    case 'HostToContainer':
      return { propagation: 'rslave' };
    case 'Bidirectional':
      if (!c.securityContext?.privileged) throw new Error(`container "${c.name}": volume "${vm.name}": privileged mount propagation is allowed only for privileged containers`);
      return { propagation: 'rshared' };
    default:
      return {};
  }
}

type VolumeMountSpec = NonNullable<Container['volumeMounts']>[number];

/**
 * The subPath of a volume mount: subPath as given, or subPathExpr expanded with the container's
 * environment (the kubelet's ExpandContainerVolumeMounts: a variable without a value is an
 * error). Not absolute, no '..': ConfigSourceError (CreateContainerConfigError) otherwise.
 */
export function subPathOf(vm: VolumeMountSpec, vars: Map<string, string>): string {
  if (!vm.subPathExpr) return vm.subPath ?? '';
  const missing = new Set<string>();
  const sub = expandVars(vm.subPathExpr, (name) => {
    const v = vars.get(name);
    if (!v) missing.add(name);
    return v ?? '';
  });
  if (missing.size) throw new ConfigSourceError(`missing value for ${[...missing].sort().join(', ')}`);
  if (sub.startsWith('/')) throw new ConfigSourceError(`error SubPath \`${sub}\` must not be an absolute path`);
  if (sub.split('/').includes('..')) throw new ConfigSourceError(`unable to provision SubPath \`${sub}\`: must not contain '..'`);
  return sub;
}

export function containerConfig(pod: Pod, c: Container, o: { attempt: number; nodeName: string; hostIP: string; podIP: string; volumes: VolumePaths; sources?: ConfigSources; services?: Map<string, string>; logPath?: string; terminationLog?: string; /** The node's allocatable resources: the limits a container does not set, for the downward API. */ allocatable?: () => Record<string, string>; /** The node's memory (the kubelet's machine info MemoryCapacity), for the oom_score_adj; default the machine's. */ memoryCapacity?: number }): ContainerConfig {
  const vars = containerEnv(pod, c, o.nodeName, o.hostIP, o.podIP, o.sources, o.services, o.allocatable);
  const mounts: Mount[] = [];
  const volumeMounts: VolumeMount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const name = vm.name ?? '';
    const path = vm.mountPath ?? '';
    const api = o.volumes.apiVolumes?.get(name);
    const host = api ?? o.volumes.hostPaths.get(name);
    const sub = subPathOf(vm, vars);
    // The runtime makes no mount recursively read-only (the Node lists no runtime handler with
    // recursiveReadOnlyMounts): IfPossible is a plain read-only mount, Enabled cannot be had, as
    // 1.32's resolveRecursiveReadOnly decides (CreateContainerConfigError).
    if (vm.recursiveReadOnly === 'Enabled') throw new ConfigSourceError(`failed to resolve recursive read-only mode: volume "${name}" requested recursive read-only mode, but it is not supported by the runtime`);
    if (host) mounts.push({ containerPath: path, hostPath: sub ? `${host}/${sub}` : host, readonly: !!api || !!vm.readOnly || !!o.volumes.readOnly?.has(name), ...propagationOf(vm, c), ...(sub ? { subPathOf: { volume: name, dir: host } } : {}) });
    else volumeMounts.push({ name, containerPath: path, readonly: !!vm.readOnly, subPath: sub || undefined });
  }
  // The termination message file: a host file bind-mounted at terminationMessagePath.
  if (o.terminationLog) mounts.push({ containerPath: c.terminationMessagePath || '/dev/termination-log', hostPath: o.terminationLog });
  const sc = c.securityContext ?? {};
  const psc = pod.spec?.securityContext ?? {};
  return {
    name: c.name ?? '',
    attempt: o.attempt,
    image: c.image ?? '',
    command: c.command?.map((s) => expand(s, vars)),
    args: c.args?.map((s) => expand(s, vars)),
    env: [...vars.entries()].map(([key, value]) => ({ key, value })),
    workingDir: c.workingDir || undefined,
    mounts,
    volumeMounts,
    resources: { ...linuxResources(c), oomScoreAdj: containerOOMScoreAdjust(pod, c, o.memoryCapacity ?? totalmem()) },
    securityContext: {
      privileged: !!sc.privileged,
      capabilities: { add: sc.capabilities?.add ?? [], drop: sc.capabilities?.drop ?? [] },
      runAsUser: sc.runAsUser ?? psc.runAsUser,
      runAsGroup: sc.runAsGroup ?? psc.runAsGroup,
      // fsGroup joins every container's supplementary groups, as under the kubelet.
      supplementalGroups: psc.fsGroup != null ? [...(psc.supplementalGroups ?? []), psc.fsGroup] : psc.supplementalGroups,
      readOnlyRootFilesystem: !!sc.readOnlyRootFilesystem,
      allowPrivilegeEscalation: sc.allowPrivilegeEscalation ?? true,
      // The container's profile, else the pod's; none is Unconfined (the kubelet's default).
      seccomp: seccompOf(sc.seccompProfile ?? psc.seccompProfile),
    },
    tty: !!c.tty,
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    logPath: o.logPath,
    labels: { [podUidLabel]: pod.metadata!.uid!, [containerNameLabel]: c.name ?? '', [podNameLabel]: pod.metadata!.name!, [podNamespaceLabel]: pod.metadata!.namespace! },
    annotations: { [restartCountAnnotation]: String(o.attempt), 'io.kubernetes.container.terminationMessagePath': c.terminationMessagePath ?? '/dev/termination-log', ...(o.terminationLog ? { 'tskube.io/termination-log': o.terminationLog } : {}) },
  };
}

function seccompOf(p: { type?: string; localhostProfile?: string } | undefined): SecurityContext['seccomp'] {
  if (p?.type !== 'RuntimeDefault' && p?.type !== 'Localhost') return undefined;
  return { type: p.type, ...(p.localhostProfile ? { localhostProfile: p.localhostProfile } : {}) };
}

/** The servers, search list and options of a resolv.conf (the kubelet's parseResolvConf). */
export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const line of text.split('\n')) {
    // (whole-line comments only, as the kubelet skips them)
    if (/^\s*[#;]/.test(line)) continue;
    const f = line.trim().split(/\s+/);
    if (f[0] === 'nameserver' && f[1]) out.servers.push(f[1]);
    // (the last search line wins, as the resolver reads it; a trailing dot is trimmed)
    else if (f[0] === 'search') out.searches = f.slice(1).map((x) => x.replace(/\.$/, '')).filter(Boolean);
    else if (f[0] === 'options') out.options.push(...f.slice(1));
  }
  return out;
}

const unique = (xs: string[]) => [...new Set(xs)];

/** mergeDNSOptions: dnsConfig's options set or override the base's by name. */
function mergeDNSOptions(base: string[], extra: { name?: string; value?: string }[]): string[] {
  const opts = new Map<string, string>();
  for (const o of base) {
    const i = o.indexOf(':');
    opts.set(i < 0 ? o : o.slice(0, i), i < 0 ? '' : o.slice(i + 1));
  }
  for (const o of extra) opts.set(o.name ?? '', o.value ?? '');
  return [...opts].map(([k, v]) => (v ? `${k}:${v}` : k));
}

/**
 * The pod's resolv.conf as the kubelet's GetPodDNS builds it: a base by dnsPolicy — ClusterFirst
 * (the default; on the node's network only as ClusterFirstWithHostNet) the cluster's servers, the
 * namespace's search list then the node's, ndots:5; Default the node's file; None nothing — and
 * dnsConfig appended to it (servers and searches after the base's, duplicates dropped; options
 * set by name), then cut to 3 servers and to 32 search paths of at most 253 characters in a line
 * of at most 2048, each cut told to `warn` (formDNSConfigFitsLimits). Default is the node's
 * settings as parsed (getHostDNSConfig), so the runtime writes them afresh, as containerd does
 * from the kubelet's DNSConfig: the node file's comments and other lines are not the pod's.
 */
function dnsConfigOf(pod: Pod, clusterServers: string[], domain: string, host: ResolvConf, warn: DNSWarn = () => {}): PodSandboxConfig['dnsConfig'] {
  const spec = pod.spec!;
  const d = spec.dnsConfig;
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  const clusterType = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork);
  const cluster = clusterType && clusterServers.length > 0;
  if (clusterType && !cluster) {
    // (GetPodDNS without clusterDNS: the pod falls back to Default, and is told so)
    warn('MissingClusterDNS', `pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`);
  }
  let base: ResolvConf;
  if (policy === 'None') base = { servers: [], searches: [], options: [] };
  else if (cluster) base = { servers: clusterServers, searches: unique([`${pod.metadata!.namespace}.svc.${domain}`, `svc.${domain}`, domain, ...host.searches]), options: ['ndots:5'] };
  else base = host;
  if (d) {
    base = {
      servers: unique([...base.servers, ...(d.nameservers ?? [])]),
      searches: unique([...base.searches, ...(d.searches ?? [])]),
      options: mergeDNSOptions(base.options, d.options ?? []),
    };
  }
  return { servers: fitServers(base.servers, warn), searches: fitSearches(base.searches, warn), options: base.options };
}

/** A warning event about the pod (reason, message), as the kubelet's DNS configurer records them. */
export type DNSWarn = (reason: string, message: string) => void;

/** validation.MaxDNSNameservers. */
const MAX_DNS_SERVERS = 3;
/** validation.MaxDNSSearchPathsExpanded and MaxDNSSearchListCharsExpanded (ExpandedDNSConfig, GA since 1.28). */
const MAX_DNS_SEARCHES = 32;
const MAX_DNS_SEARCH_CHARS = 2048;
/** A search path longer than a DNS-1123 subdomain is left out (glibc 2.28 aborts on one over 255). */
const MAX_SEARCH_PATH = 253;

/** formDNSNameserversFitsLimits: the first three, with a DNSConfigForming warning when more were given. */
function fitServers(servers: string[], warn: DNSWarn): string[] {
  if (servers.length <= MAX_DNS_SERVERS) return servers;
  const kept = servers.slice(0, MAX_DNS_SERVERS);
  warn('DNSConfigForming', `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.join(' ')}`);
  return kept;
}

/**
 * formDNSSearchFitsLimits: at most 32 paths, none over 253 characters, and the line at most 2048
 * characters (paths cut from its end), with a DNSConfigForming warning when any was left out.
 */
function fitSearches(searches: string[], warn: DNSWarn): string[] {
  let exceeded = searches.length > MAX_DNS_SEARCHES;
  let kept = searches.slice(0, MAX_DNS_SEARCHES);
  const short = kept.filter((x) => x.length <= MAX_SEARCH_PATH);
  if (short.length !== kept.length) exceeded = true;
  kept = short;
  const line = kept.join(' ').length;
  if (line > MAX_DNS_SEARCH_CHARS) {
    let cut = 0;
    let n = 0;
    for (let i = kept.length - 1; i >= 0; i--) {
      cut += kept[i]!.length + 1;
      n++;
      if (line - cut <= MAX_DNS_SEARCH_CHARS) break;
    }
    kept = kept.slice(0, kept.length - n);
    exceeded = true;
  }
  if (exceeded) warn('DNSConfigForming', `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${kept.join(' ')}`);
  return kept;
}

export function sandboxConfig(pod: Pod, o: { attempt: number; dnsServers: string[]; clusterDomain?: string; runtimeHandler?: string; hostResolv?: ResolvConf; nodeAllocatableMemory?: number; /** The pod's QoS tier, its cgroup's parent (CRI's LinuxPodSandboxConfig.cgroup_parent). */ cgroupParent?: string; /** Told of what the pod's resolv.conf had to leave out (the kubelet's DNSConfigForming and MissingClusterDNS events). */ dnsWarn?: DNSWarn }): PodSandboxConfig {
  const spec = pod.spec!;
  const fsGroup = spec.securityContext?.fsGroup;
  const resources = podLinuxResources(pod);
  // A memory-backed emptyDir is as large as the smallest of the node's allocatable memory, the
  // pod's memory limit and its own sizeLimit (calculateEmptyDirMemorySize, SizeMemoryBackedVolumes):
  // never the kernel's default of half the machine.
  const memoryBound = (limit: number | undefined) =>
    [o.nodeAllocatableMemory, resources.memoryLimitInBytes, limit].filter((x): x is number => x !== undefined && x > 0).reduce<number | undefined>((a, b) => (a === undefined ? b : Math.min(a, b)), undefined);
  const emptyDirs = (spec.volumes ?? [])
    .filter((v) => v.emptyDir)
    .map((v) => {
      const sizeLimit = v.emptyDir!.sizeLimit ? parseQuantity(v.emptyDir!.sizeLimit) : undefined;
      const memory = v.emptyDir!.medium === 'Memory';
      return {
        name: v.name ?? '',
        medium: (memory ? 'Memory' : '') as '' | 'Memory',
        sizeLimit: memory ? memoryBound(sizeLimit) : sizeLimit,
        ...(fsGroup !== undefined ? { fsGroup } : {}),
      };
    });
  return {
    name: pod.metadata!.name!,
    namespace: pod.metadata!.namespace!,
    uid: pod.metadata!.uid!,
    attempt: o.attempt,
    hostname: spec.hostname || pod.metadata!.name!,
    ...(spec.subdomain ? { hostDomain: `${spec.subdomain}.${pod.metadata!.namespace}.svc.${o.clusterDomain ?? 'cluster.local'}` } : {}),
    ...(spec.setHostnameAsFQDN ? { hostnameAsFQDN: true } : {}),
    dnsConfig: dnsConfigOf(pod, o.dnsServers, o.clusterDomain ?? 'cluster.local', o.hostResolv ?? { servers: [], searches: [], options: [] }, o.dnsWarn),
    hostNamespaces: { network: !!spec.hostNetwork, ipc: !!spec.hostIPC, pid: !!spec.hostPID },
    sysctls: podSysctls(pod),
    ...(spec.shareProcessNamespace && !spec.hostPID ? { sharedPid: true } : {}),
    hostAliases: (spec.hostAliases ?? []).map((h) => ({ ip: h.ip ?? '', hostnames: h.hostnames ?? [] })),
    resources,
    ...(o.cgroupParent ? { cgroupParent: o.cgroupParent } : {}),
    ...(o.runtimeHandler ? { runtimeHandler: o.runtimeHandler } : {}),
    labels: { [podUidLabel]: pod.metadata!.uid!, [podNameLabel]: pod.metadata!.name!, [podNamespaceLabel]: pod.metadata!.namespace! },
    emptyDirs,
  };
}
