// The checks of the Pod Security Standards (baseline and restricted), as the PodSecurity
// admission plugin of Kubernetes 1.32 runs them (k8s.io/pod-security-admission/policy). Each
// check reads a pod's metadata and spec and returns a reason and a detail in Kubernetes' words;
// pod-security.ts picks the checks of a level and version and assembles the message.

/** The parts of a security context the checks read (pod- and container-level alike). */
interface SecurityFields {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add?: string[]; drop?: string[] };
  seLinuxOptions?: { user?: string; role?: string; type?: string; level?: string };
  seccompProfile?: { type?: string };
  appArmorProfile?: { type?: string };
  windowsOptions?: { hostProcess?: boolean };
  sysctls?: { name?: string; value?: string }[];
}

export interface CheckedContainer {
  name?: string;
  image?: string;
  ports?: { hostPort?: number }[];
  securityContext?: SecurityFields;
}

/** The pod spec fields the checks read; a PodSpec fits it. */
export interface CheckedPodSpec {
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  os?: { name?: string };
  securityContext?: SecurityFields;
  volumes?: ({ name?: string } & Record<string, unknown>)[];
  initContainers?: CheckedContainer[];
  containers?: CheckedContainer[];
  ephemeralContainers?: CheckedContainer[];
}

export interface CheckedPodMeta {
  annotations?: Record<string, string>;
}

export interface CheckResult {
  allowed: boolean;
  reason?: string;
  detail?: string;
}

export type CheckFn = (meta: CheckedPodMeta, spec: CheckedPodSpec) => CheckResult;

export interface VersionedCheck {
  /** The first 1.x minor version this behaviour applies to. */
  minimum: number;
  check: CheckFn;
  /** Baseline checks this restricted check replaces at its versions. */
  overrides?: string[];
}

export interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  versions: VersionedCheck[];
}

const ALLOWED: CheckResult = { allowed: true };
const refuse = (reason: string, detail: string): CheckResult => ({ allowed: false, reason, detail });

export const pluralize = (singular: string, plural: string, n: number) => (n === 1 ? singular : plural);
/** `"a", "b"` (Kubernetes' joinQuote). */
export const joinQuote = (items: readonly string[]) => (items.length ? `"${items.join('", "')}"` : '');
/** Go's %q for the printable strings names and values are. */
const goQuote = (s: string) => JSON.stringify(s);
/** A set's members in order, as Go's sets.List(). */
const sorted = (s: Set<string>) => [...s].sort();
/** `container "a"` / `containers "a", "b"`. */
const containersNamed = (names: string[]) => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** Init containers, containers, then ephemeral containers, as Kubernetes' visitContainers. */
function visitContainers(spec: CheckedPodSpec, visit: (c: CheckedContainer) => void): void {
  for (const c of spec.initContainers ?? []) visit(c);
  for (const c of spec.containers ?? []) visit(c);
  for (const c of spec.ephemeralContainers ?? []) visit(c);
}

/** Containers for which `bad` holds, by name. */
function badContainers(spec: CheckedPodSpec, bad: (c: CheckedContainer) => boolean): string[] {
  const names: string[] = [];
  visitContainers(spec, (c) => {
    if (bad(c)) names.push(c.name ?? '');
  });
  return names;
}

const isWindows = (spec: CheckedPodSpec) => spec.os?.name === 'windows';
/** A check that windows pods pass (the 1.25 versions of several restricted checks). */
const exceptWindows =
  (check: CheckFn): CheckFn =>
  (meta, spec) =>
    isWindows(spec) ? ALLOWED : check(meta, spec);

/** `pod and containers "a", "b"`: who set a forbidden value. */
function setters(pod: boolean, containers: string[]): string[] {
  const out = pod ? ['pod'] : [];
  if (containers.length) out.push(containersNamed(containers));
  return out;
}

// ---- baseline ----

function hostNamespaces(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const used: string[] = [];
  if (spec.hostNetwork) used.push('hostNetwork=true');
  if (spec.hostPID) used.push('hostPID=true');
  if (spec.hostIPC) used.push('hostIPC=true');
  return used.length ? refuse('host namespaces', used.join(', ')) : ALLOWED;
}

function privileged(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad = badContainers(spec, (c) => c.securityContext?.privileged === true);
  return bad.length ? refuse('privileged', `${containersNamed(bad)} must not set securityContext.privileged=true`) : ALLOWED;
}

const BASELINE_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

function capabilitiesBaseline(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const extra = new Set<string>();
  const bad = badContainers(spec, (c) => {
    let found = false;
    for (const cap of c.securityContext?.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(cap)) {
        extra.add(cap);
        found = true;
      }
    }
    return found;
  });
  if (!bad.length) return ALLOWED;
  return refuse('non-default capabilities', `${containersNamed(bad)} must not include ${joinQuote(sorted(extra))} in securityContext.capabilities.add`);
}

function hostPathVolumes(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad = (spec.volumes ?? []).filter((v) => v.hostPath != null).map((v) => v.name ?? '');
  return bad.length ? refuse('hostPath volumes', `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)}`) : ALLOWED;
}

function hostPorts(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const ports = new Set<string>();
  const bad = badContainers(spec, (c) => {
    let found = false;
    for (const p of c.ports ?? []) {
      if (p.hostPort) {
        ports.add(String(p.hostPort));
        found = true;
      }
    }
    return found;
  });
  if (!bad.length) return ALLOWED;
  return refuse('hostPort', `${containersNamed(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', ports.size)} ${sorted(ports).join(', ')}`);
}

const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';
const allowedAppArmorType = (t: string | undefined) => t === 'RuntimeDefault' || t === 'Localhost';
const allowedAppArmorAnnotation = (v: string) => v === '' || v === 'runtime/default' || v.startsWith('localhost/');

function appArmorProfile(meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const values = new Set<string>();
  const podProfile = spec.securityContext?.appArmorProfile;
  const podBad = podProfile != null && !allowedAppArmorType(podProfile.type);
  if (podBad) values.add(podProfile!.type ?? '');
  const bad = badContainers(spec, (c) => {
    const p = c.securityContext?.appArmorProfile;
    if (p == null || allowedAppArmorType(p.type)) return false;
    values.add(p.type ?? '');
    return true;
  });
  const who = setters(podBad, bad);
  const annotations = Object.entries(meta.annotations ?? {})
    .filter(([k, v]) => k.startsWith(APPARMOR_ANNOTATION_PREFIX) && !allowedAppArmorAnnotation(v))
    .map(([k, v]) => `${k}=${goQuote(v)}`)
    .sort();
  const valueList = [...sorted(values), ...annotations];
  if (annotations.length) who.push(pluralize('annotation', 'annotations', annotations.length));
  if (!who.length) return ALLOWED;
  return refuse(pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', valueList.length), `${who.join(' and ')} must not set AppArmor profile type to ${joinQuote(valueList)}`);
}

const SELINUX_TYPES_1_0 = ['', 'container_t', 'container_init_t', 'container_kvm_t'];
const SELINUX_TYPES_1_31 = [...SELINUX_TYPES_1_0, 'container_engine_t'];

function seLinuxOptions(allowedTypes: readonly string[]): CheckFn {
  return (_meta, spec) => {
    const badTypes = new Set<string>();
    let setUser = false;
    let setRole = false;
    const valid = (o: NonNullable<SecurityFields['seLinuxOptions']>) => {
      let ok = true;
      if (!allowedTypes.includes(o.type ?? '')) {
        ok = false;
        badTypes.add(o.type ?? '');
      }
      if (o.user) {
        ok = false;
        setUser = true;
      }
      if (o.role) {
        ok = false;
        setRole = true;
      }
      return ok;
    };
    const podOpts = spec.securityContext?.seLinuxOptions;
    const podBad = podOpts != null && !valid(podOpts);
    const bad = badContainers(spec, (c) => c.securityContext?.seLinuxOptions != null && !valid(c.securityContext.seLinuxOptions));
    const who = setters(podBad, bad);
    if (!who.length) return ALLOWED;
    const what: string[] = [];
    if (badTypes.size) what.push(`${pluralize('type', 'types', badTypes.size)} ${joinQuote(sorted(badTypes))}`);
    if (setUser) what.push('user may not be set');
    if (setRole) what.push('role may not be set');
    return refuse('seLinuxOptions', `${who.join(' and ')} set forbidden securityContext.seLinuxOptions: ${what.join('; ')}`);
  };
}

function procMount(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const types = new Set<string>();
  const bad = badContainers(spec, (c) => {
    const pm = c.securityContext?.procMount;
    if (pm == null || pm === 'Default') return false;
    types.add(pm);
    return true;
  });
  return bad.length ? refuse('procMount', `${containersNamed(bad)} must not set securityContext.procMount to ${joinQuote(sorted(types))}`) : ALLOWED;
}

export const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
export const SECCOMP_CONTAINER_ANNOTATION_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';
const validSeccompType = (t: string | undefined) => t === 'Localhost' || t === 'RuntimeDefault';
const validSeccompAnnotation = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');

/** Before 1.19 seccomp was set by annotations. */
function seccompBaseline_1_0(meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const annotations = meta.annotations ?? {};
  const forbidden = new Set<string>();
  const inspect = (key: string) => {
    const v = annotations[key];
    if (v !== undefined && !validSeccompAnnotation(v)) forbidden.add(`${key}=${goQuote(v)}`);
  };
  inspect(SECCOMP_POD_ANNOTATION);
  visitContainers(spec, (c) => inspect(SECCOMP_CONTAINER_ANNOTATION_PREFIX + (c.name ?? '')));
  if (!forbidden.size) return ALLOWED;
  return refuse('seccompProfile', `forbidden ${pluralize('annotation', 'annotations', forbidden.size)} ${sorted(forbidden).join(', ')}`);
}

/** The seccomp profiles explicitly set to a forbidden type; `required` also names containers with none at all. */
function seccompFields(spec: CheckedPodSpec, required: boolean): CheckResult {
  const values = new Set<string>();
  const podProfile = spec.securityContext?.seccompProfile;
  const podBad = podProfile != null && !validSeccompType(podProfile.type);
  if (podBad) values.add(podProfile!.type ?? '');
  const podSet = podProfile != null && !podBad;
  const unset: string[] = [];
  const bad = badContainers(spec, (c) => {
    const p = c.securityContext?.seccompProfile;
    if (p == null) {
      if (!podSet) unset.push(c.name ?? '');
      return false;
    }
    if (validSeccompType(p.type)) return false;
    values.add(p.type ?? '');
    return true;
  });
  const who = setters(podBad, bad);
  if (who.length) return refuse('seccompProfile', `${who.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sorted(values))}`);
  if (required && unset.length) {
    return refuse('seccompProfile', `pod or ${containersNamed(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
  }
  return ALLOWED;
}

const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

function sysctls(allowed: readonly string[]): CheckFn {
  const safe = new Set(allowed);
  return (_meta, spec) => {
    const bad = (spec.securityContext?.sysctls ?? []).map((s) => s.name ?? '').filter((n) => !safe.has(n));
    return bad.length ? refuse('forbidden sysctls', bad.join(', ')) : ALLOWED;
  };
}

function windowsHostProcess(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad = badContainers(spec, (c) => c.securityContext?.windowsOptions?.hostProcess === true);
  const who = setters(spec.securityContext?.windowsOptions?.hostProcess === true, bad);
  return who.length ? refuse('hostProcess', `${who.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true`) : ALLOWED;
}

// ---- restricted ----

/** The inline volume sources the restricted level allows (1.32: not yet `image`). */
const RESTRICTED_ALLOWED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** The sources Kubernetes names when refusing, in its order; anything else is "unknown". */
const NAMED_VOLUME_TYPES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];

function restrictedVolumes(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const v of spec.volumes ?? []) {
    if (RESTRICTED_ALLOWED_VOLUMES.some((k) => v[k] != null)) continue;
    bad.push(v.name ?? '');
    types.add(NAMED_VOLUME_TYPES.find((k) => v[k] != null) ?? 'unknown');
  }
  if (!bad.length) return ALLOWED;
  return refuse(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', types.size)} ${joinQuote(sorted(types))}`,
  );
}

function allowPrivilegeEscalation(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad = badContainers(spec, (c) => c.securityContext?.allowPrivilegeEscalation !== false);
  return bad.length ? refuse('allowPrivilegeEscalation != false', `${containersNamed(bad)} must set securityContext.allowPrivilegeEscalation=false`) : ALLOWED;
}

function runAsNonRoot(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const podValue = spec.securityContext?.runAsNonRoot;
  const implicit: string[] = [];
  const explicit = badContainers(spec, (c) => {
    const v = c.securityContext?.runAsNonRoot;
    if (v == null) {
      if (podValue !== true) implicit.push(c.name ?? '');
      return false;
    }
    return v === false;
  });
  const who = setters(podValue === false, explicit);
  if (who.length) return refuse('runAsNonRoot != true', `${who.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  if (implicit.length) return refuse('runAsNonRoot != true', `pod or ${containersNamed(implicit)} must set securityContext.runAsNonRoot=true`);
  return ALLOWED;
}

function runAsUser(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const bad = badContainers(spec, (c) => c.securityContext?.runAsUser === 0);
  const who = setters(spec.securityContext?.runAsUser === 0, bad);
  return who.length ? refuse('runAsUser=0', `${who.join(' and ')} must not set runAsUser=0`) : ALLOWED;
}

function capabilitiesRestricted(_meta: CheckedPodMeta, spec: CheckedPodSpec): CheckResult {
  const missingDrop: string[] = [];
  const forbidden = new Set<string>();
  const adding = badContainers(spec, (c) => {
    const caps = c.securityContext?.capabilities;
    if (caps == null) {
      missingDrop.push(c.name ?? '');
      return false;
    }
    if (!(caps.drop ?? []).includes('ALL')) missingDrop.push(c.name ?? '');
    let found = false;
    for (const cap of caps.add ?? []) {
      if (cap !== 'NET_BIND_SERVICE') {
        forbidden.add(cap);
        found = true;
      }
    }
    return found;
  });
  const details: string[] = [];
  if (missingDrop.length) details.push(`${containersNamed(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containersNamed(adding)} must not include ${joinQuote(sorted(forbidden))} in securityContext.capabilities.add`);
  return details.length ? refuse('unrestricted capabilities', details.join('; ')) : ALLOWED;
}

/** Every check with the versions at which its behaviour changed, up to 1.32. */
export const CHECKS: readonly Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimum: 0, check: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimum: 0, check: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimum: 0, check: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimum: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimum: 0, check: hostPorts }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimum: 0, check: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ minimum: 0, check: procMount }] },
  {
    id: 'seLinuxOptions',
    level: 'baseline',
    versions: [
      { minimum: 0, check: seLinuxOptions(SELINUX_TYPES_1_0) },
      { minimum: 31, check: seLinuxOptions(SELINUX_TYPES_1_31) },
    ],
  },
  {
    id: 'seccompProfile_baseline',
    level: 'baseline',
    versions: [
      { minimum: 0, check: seccompBaseline_1_0 },
      { minimum: 19, check: (_meta, spec) => seccompFields(spec, false) },
    ],
  },
  {
    id: 'sysctls',
    level: 'baseline',
    versions: [
      { minimum: 0, check: sysctls(SYSCTLS_1_0) },
      { minimum: 27, check: sysctls(SYSCTLS_1_27) },
      { minimum: 29, check: sysctls(SYSCTLS_1_29) },
      { minimum: 32, check: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimum: 0, check: windowsHostProcess }] },
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [
      { minimum: 8, check: allowPrivilegeEscalation },
      { minimum: 25, check: exceptWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minimum: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minimum: 25, check: exceptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minimum: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minimum: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minimum: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minimum: 19, check: (_meta, spec) => seccompFields(spec, true), overrides: ['seccompProfile_baseline'] },
      { minimum: 25, check: exceptWindows((_meta, spec) => seccompFields(spec, true)), overrides: ['seccompProfile_baseline'] },
    ],
  },
];
