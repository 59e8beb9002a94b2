// OCI runtime spec generation: the image config merged with the container config the way
// Kubernetes merges them, Docker's default security profile, pod namespaces and cgroup limits.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from './errors.js';
import type { ImageConfig } from './media-types.js';
import type { ContainerConfig, LinuxResources } from './types.js';
import type { OciSeccomp } from './seccomp.js';
import type { LinuxDevice } from './host-devices.js';

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ',
  'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[] };
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: Record<string, unknown>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    seccomp?: OciSeccomp;
    sysctl?: Record<string, string>;
    /** The root mount's propagation: rshared when a host mount is shared (runc makes / shared for it). */
    rootfsPropagation?: string;
  };
}

export interface SpecInput {
  image: ImageConfig;
  container: ContainerConfig;
  rootfs: string;
  /** uid/gid resolved from securityContext or the image's USER (names resolved by the caller). */
  user: { uid: number; gid: number; additionalGids?: number[] };
  hostname?: string;
  namespaces: { network: string; ipc: string; uts: string; hostPid?: boolean; /** a PID namespace to join (a target container's) */ pid?: string };
  /** The pod's sysctls. */
  sysctls?: Record<string, string>;
  cgroupsPath: string;
  /** Bind mounts of the pod's /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  etcFiles: { hosts?: string; hostname?: string; resolvConf?: string };
  /** Host directories of the pod's emptyDir volumes, by volume name. */
  volumes: Record<string, string>;
  /** The pod's shared /dev/shm (a tmpfs on the host); without it the container gets its own. */
  shmPath?: string;
  /** The seccomp filter, resolved from the container's profile (see seccomp.ts); none: unconfined. */
  seccomp?: OciSeccomp;
  /** The node's devices (host-devices.ts), given to a privileged container. */
  hostDevices?: LinuxDevice[];
  /**
   * The lowest oom_score_adj the runtime can give (its own, without CAP_SYS_RESOURCE): a lower
   * one is raised to it, as containerd's restrict_oom_score_adj does, rather than failing runc.
   */
  minOomScoreAdj?: number;
}

/** Kubernetes' rule: command replaces ENTRYPOINT, args replace CMD. */
export function processArgs(image: ImageConfig, c: Pick<ContainerConfig, 'command' | 'args'> & { name?: string }): string[] {
  const entry = image.config?.Entrypoint ?? [];
  const cmd = image.config?.Cmd ?? [];
  let args: string[];
  if (c.command?.length) args = [...c.command, ...(c.args ?? [])];
  else if (c.args?.length) args = [...entry, ...c.args];
  else args = [...entry, ...cmd];
  if (!args.length) throw new InvalidArgumentError(`container "${c.name ?? ''}": no command specified and the image has no ENTRYPOINT or CMD`);
  return args;
}

/** Image env first, container env overrides by key; PATH defaulted. */
export function mergeEnv(image: ImageConfig, env: { key: string; value: string }[] = [], hostname?: string): string[] {
  const out = new Map<string, string>();
  out.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  if (hostname) out.set('HOSTNAME', hostname);
  for (const kv of image.config?.Env ?? []) {
    const i = kv.indexOf('=');
    if (i > 0) out.set(kv.slice(0, i), kv.slice(i + 1));
  }
  for (const { key, value } of env) out.set(key, value);
  return [...out].map(([k, v]) => `${k}=${v}`);
}

function normCap(c: string): string {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
}

/**
 * The capabilities in a bounding set given as /proc/PID/status shows it (`CapBnd: 000001ffffffffff`):
 * ALL_CAPABILITIES is in kernel bit order.
 */
export function capabilitiesInBoundingSet(statusText: string): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(statusText);
  if (!m) return [...ALL_CAPABILITIES];
  const bits = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_, i) => (bits >> BigInt(i)) & 1n);
}

let current: string[] | undefined;
/**
 * "Every capability", as containerd's WithAllCurrentCapabilities means it: the ones this process
 * may pass on. A machine whose root lacks one (this kind of VM has no CAP_SYS_RESOURCE in its
 * bounding set) would otherwise fail every privileged container with "unable to apply caps".
 */
export function allCurrentCapabilities(): string[] {
  if (!current) {
    try {
      current = capabilitiesInBoundingSet(readFileSync('/proc/self/status', 'utf8'));
    } catch {
      current = [...ALL_CAPABILITIES];
    }
  }
  return current;
}

/** Docker's default set, then drop (ALL clears), then add (ALL gives everything this process holds). */
export function capabilities(c: ContainerConfig, all: () => string[] = allCurrentCapabilities): string[] {
  if (c.securityContext?.privileged) return [...all()];
  const add = (c.securityContext?.capabilities?.add ?? []).map(normCap);
  const drop = (c.securityContext?.capabilities?.drop ?? []).map(normCap);
  let caps = drop.includes('CAP_ALL') ? [] : DEFAULT_CAPABILITIES.filter((x) => !drop.includes(x));
  if (add.includes('CAP_ALL')) caps = [...all()];
  else for (const a of add) if (!caps.includes(a)) caps.push(a);
  return caps;
}

export function linuxResources(r: LinuxResources | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { devices: [{ allow: false, access: 'rwm' }] };
  if (!r) return out;
  const cpu: Record<string, number> = {};
  if (r.cpuShares) cpu.shares = r.cpuShares;
  if (r.cpuQuota && r.cpuQuota > 0) {
    cpu.quota = r.cpuQuota;
    cpu.period = r.cpuPeriod ?? 100_000;
  }
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.memoryLimitInBytes && r.memoryLimitInBytes > 0) out.memory = { limit: r.memoryLimitInBytes, swap: r.memoryLimitInBytes };
  if (r.pidsLimit && r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  return out;
}

function bind(destination: string, source: string, readonly: boolean, extra: string[] = []): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw', ...extra] };
}

export function buildSpec(i: SpecInput): OciSpec {
  const c = i.container;
  const sc = c.securityContext ?? {};
  const privileged = !!sc.privileged;
  const caps = capabilities(c);
  const mounts: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    i.shmPath ? bind('/dev/shm', i.shmPath, false) : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', privileged ? 'rw' : 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', privileged ? 'rw' : 'ro'] },
  ];
  const userPaths = new Set([...(c.mounts ?? []).map((m) => m.containerPath), ...(c.volumeMounts ?? []).map((m) => m.containerPath)]);
  if (i.etcFiles.hosts && !userPaths.has('/etc/hosts')) mounts.push(bind('/etc/hosts', i.etcFiles.hosts, false));
  if (i.etcFiles.hostname && !userPaths.has('/etc/hostname')) mounts.push(bind('/etc/hostname', i.etcFiles.hostname, false));
  if (i.etcFiles.resolvConf && !userPaths.has('/etc/resolv.conf')) mounts.push(bind('/etc/resolv.conf', i.etcFiles.resolvConf, false));
  for (const v of c.volumeMounts ?? []) {
    const src = i.volumes[v.name];
    if (!src) throw new InvalidArgumentError(`container "${c.name}": volume "${v.name}" is not a volume of the pod`);
    if (v.subPath && (v.subPath.startsWith('/') || v.subPath.split('/').includes('..'))) throw new InvalidArgumentError(`container "${c.name}": volume "${v.name}": invalid subPath "${v.subPath}"`);
    mounts.push(bind(v.containerPath, v.subPath ? `${src}/${v.subPath}` : src, !!v.readonly));
  }
  for (const m of c.mounts ?? []) {
    const prop = m.propagation === 'rshared' ? 'rshared' : m.propagation === 'rslave' ? 'rslave' : 'rprivate';
    mounts.push(bind(m.containerPath, m.hostPath, !!m.readonly, [prop]));
  }
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: !!c.tty,
      user: i.user,
      args: processArgs(i.image, c),
      env: mergeEnv(i.image, c.env, i.hostname),
      cwd: c.workingDir || i.image.config?.WorkingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: !privileged && sc.allowPrivilegeEscalation === false,
      // (runc writes it to /proc/<pid>/oom_score_adj, as containerd passes the CRI's on)
      ...(c.resources?.oomScoreAdj !== undefined ? { oomScoreAdj: Math.max(c.resources.oomScoreAdj, i.minOomScoreAdj ?? -1000) } : {}),
    },
    root: { path: i.rootfs, readonly: !!sc.readOnlyRootFilesystem },
    // (runc can set a hostname only in a UTS namespace of the container's own; the node's keeps the node's name)
    ...(i.namespaces.uts ? { hostname: i.hostname } : {}),
    mounts,
    annotations: c.annotations,
    linux: {
      // The pod's namespaces are joined by path; one with no path ('') is the node's, and is
      // left out (runc then stays in its own, the node's). hostPID leaves out the PID namespace.
      namespaces: [
        ...(i.namespaces.hostPid ? [] : [i.namespaces.pid ? { type: 'pid', path: i.namespaces.pid } : { type: 'pid' }]),
        { type: 'mount' },
        ...(['network', 'ipc', 'uts'] as const).filter((t) => i.namespaces[t]).map((t) => ({ type: t, path: i.namespaces[t] })),
      ],
      // A shared mount (Bidirectional) needs a shared root to propagate through (containerd's
      // rule); runc's default, rslave, serves HostToContainer.
      ...((c.mounts ?? []).some((m) => m.propagation === 'rshared') ? { rootfsPropagation: 'rshared' } : {}),
      cgroupsPath: i.cgroupsPath,
      resources: privileged ? { ...linuxResources(c.resources), devices: [{ allow: true, access: 'rwm' }] } : linuxResources(c.resources),
      ...(privileged && i.hostDevices?.length ? { devices: i.hostDevices } : {}),
      ...(privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
      ...(i.seccomp && !privileged ? { seccomp: i.seccomp } : {}),
      // (the pod's sysctls, in every container: they share its network and IPC namespaces, as containerd passes them)
      ...(i.sysctls && Object.keys(i.sysctls).length ? { sysctl: i.sysctls } : {}),
    },
  };
}

/**
 * The process's supplementary groups, as containerd's CRI gives them: the groups the image's
 * /etc/group lists the user as a member of (oci.WithAdditionalGIDs: the user named, or found by
 * uid in /etc/passwd; not its own group), the primary group (ensureAdditionalGids, since
 * CVE-2023-25173) and the pod's supplementalGroups, merged without repeats in ascending order
 * (WithSupplementalGroups' mergeGids). `user` is runAsUser, else the image USER's user part, else "0".
 */
export function processGroups(gid: number, supplemental: number[] | undefined, image?: { user: string; passwd: string; group: string }): number[] {
  const member: number[] = [];
  if (image) {
    const name = /^\d+$/.test(image.user) ? image.passwd.split('\n').map((l) => l.split(':')).find((f) => f.length > 2 && f[2] === image.user)?.[0] : image.user;
    if (name) {
      for (const f of image.group.split('\n').map((l) => l.split(':'))) {
        if (f.length < 4 || f[0] === name || !/^\d+$/.test(f[2]!)) continue;
        if (f[3]!.split(',').includes(name)) member.push(Number(f[2]));
      }
    }
  }
  return [...new Set([gid, ...member, ...(supplemental ?? [])])].sort((a, b) => a - b);
}

/** Resolve an image USER (`uid`, `uid:gid`, `name`, `name:group`) against the rootfs' passwd/group. */
export function resolveUser(user: string | undefined, passwd: string, group: string): { uid: number; gid: number } {
  if (!user) return { uid: 0, gid: 0 };
  const [u, g] = user.split(':');
  const pw = passwd.split('\n').map((l) => l.split(':'));
  const gr = group.split('\n').map((l) => l.split(':'));
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    const e = pw.find((f) => f[2] === u);
    if (e) gid = Number(e[3]);
  } else {
    const e = pw.find((f) => f[0] === u);
    if (!e) throw new InvalidArgumentError(`user "${u}": not found in the image's /etc/passwd`);
    uid = Number(e[2]);
    gid = Number(e[3]);
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const e = gr.find((f) => f[0] === g);
      if (!e) throw new InvalidArgumentError(`group "${g}": not found in the image's /etc/group`);
      gid = Number(e[2]);
    }
  }
  return { uid, gid: gid ?? 0 };
}
