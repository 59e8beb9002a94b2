// Pod sysctls (spec.securityContext.sysctls), as the kubelet admits them: the safe set is allowed,
// others only when --allowed-unsafe-sysctls names them (a name, or a prefix ending in *), and a
// sysctl of the network or IPC namespace not when the pod shares the node's. A pod asking for
// another is rejected before it starts (phase Failed, reason SysctlForbidden). The runtime
// writes the sysctls in the pod's namespaces as each container starts, as containerd does.
import type { Pod } from '../api/types.js';

/** The kubelet's safe sysctls (those of Kubernetes 1.32, for the kernels it runs on). */
export const SAFE_SYSCTLS = [
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
];

/** The kubelet's NormalizeName: a name given with slashes (net/ipv4/...) reads with dots. */
export function normalizeSysctl(name: string): string {
  if (!name.includes('/')) return name;
  // (a dot in a slash-separated name is a slash in the dotted one: net/ipv4/conf/eno2.100/rp_filter)
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

const IPC_SYSCTLS = ['kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem'];

/**
 * The namespace a sysctl belongs to, or undefined when it is the node's: the kubelet's
 * NamespacedBy (names of the IPC namespace, and the prefixes net., fs.mqueue., and, as the
 * kubelet keeps them, kernel.shm and kernel.msg).
 */
export function sysctlNamespace(name: string): 'Net' | 'IPC' | undefined {
  if (name.startsWith('net.')) return 'Net';
  if (IPC_SYSCTLS.includes(name) || name.startsWith('fs.mqueue.') || name === 'kernel.shm' || name === 'kernel.msg') return 'IPC';
  return undefined;
}

/**
 * Why the pod may not run here, in the kubelet's words (`forbidden sysctl: "vm.swappiness" not
 * allowlisted`), or undefined when its sysctls are allowed.
 */
export function forbiddenSysctl(pod: Pod, allowedUnsafe: string[]): string | undefined {
  const allowed = [...SAFE_SYSCTLS, ...allowedUnsafe.map(normalizeSysctl)];
  for (const s of pod.spec?.securityContext?.sysctls ?? []) {
    const name = normalizeSysctl(s.name ?? '');
    const ok = allowed.some((a) => (a.endsWith('*') ? name.startsWith(a.slice(0, -1)) : a === name));
    if (!ok) return `forbidden sysctl: "${name}" not allowlisted`;
    const ns = sysctlNamespace(name);
    if ((ns === 'Net' && pod.spec?.hostNetwork) || (ns === 'IPC' && pod.spec?.hostIPC)) return `forbidden sysctl: "${name}" not allowed with host ${ns} enabled`;
  }
  return undefined;
}

/** The pod's sysctls as the runtime writes them (names normalized). */
export function podSysctls(pod: Pod): Record<string, string> | undefined {
  const list = pod.spec?.securityContext?.sysctls ?? [];
  return list.length ? Object.fromEntries(list.map((s) => [normalizeSysctl(s.name ?? ''), s.value ?? ''])) : undefined;
}
