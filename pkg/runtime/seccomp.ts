// Seccomp for containers, as Kubernetes asks for it (securityContext.seccompProfile):
// - Unconfined (Kubernetes' default when nothing is asked): no filter.
// - RuntimeDefault: the runtime's default profile. Ours has the effect of Docker's and
//   containerd's default: the syscalls those profiles refuse to a container (kernel modules,
//   keyrings, namespaces and mounts, clock setting, tracing other processes, kexec, ...) fail
//   with EPERM unless the container holds the capability that the default profile lets them
//   through with; clone3 fails with ENOSYS so that libc falls back to clone, whose namespace
//   flags are checked. Written as "allow everything but" instead of Docker's allow list, so that
//   a syscall newer than this list is allowed, as it would be unconfined.
// - Localhost: a profile file (OCI `linux.seccomp` JSON, which Docker's format also is for the
//   fields used here) under the node's seccomp directory.
import { promises as fsp } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { InvalidArgumentError } from './errors.js';

export interface SeccompProfile {
  type: 'Unconfined' | 'RuntimeDefault' | 'Localhost';
  /** For Localhost: the profile's path under the node's seccomp directory. */
  localhostProfile?: string;
}

export interface OciSeccompRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}

export interface OciSeccomp {
  defaultAction: string;
  architectures?: string[];
  syscalls?: OciSeccompRule[];
}

const EPERM = 1;
const ENOSYS = 38;

/** Refused unless the container holds the capability (Docker's default profile lets them through with it). */
const BY_CAPABILITY: Record<string, string[]> = {
  CAP_SYS_ADMIN: ['mount', 'umount', 'umount2', 'unshare', 'setns', 'pivot_root', 'name_to_handle_at', 'quotactl', 'lookup_dcookie', 'fanotify_init', 'bpf', 'perf_event_open', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr'],
  CAP_SYS_PTRACE: ['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp'],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_adjtime', 'adjtimex'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_NICE: ['get_mempolicy', 'set_mempolicy', 'mbind', 'move_pages'],
  CAP_SYSLOG: ['syslog'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

/** Refused to every container. */
const ALWAYS = ['add_key', 'request_key', 'keyctl', 'kexec_load', 'kexec_file_load', 'swapon', 'swapoff', 'userfaultfd', 'uselib', 'ustat', 'sysfs', '_sysctl', 'nfsservctl', 'create_module', 'get_kernel_syms', 'query_module', 'vm86', 'vm86old'];

/** clone's flags for new namespaces: refused without CAP_SYS_ADMIN. */
const CLONE_NS_FLAGS = [0x00020000 /* NEWNS */, 0x02000000 /* NEWCGROUP */, 0x04000000 /* NEWUTS */, 0x08000000 /* NEWIPC */, 0x10000000 /* NEWUSER */, 0x20000000 /* NEWPID */, 0x40000000 /* NEWNET */];

/** The RuntimeDefault profile for a container holding `caps` (CAP_ names). */
export function runtimeDefaultProfile(caps: readonly string[]): OciSeccomp {
  const held = new Set(caps);
  const refused = [...ALWAYS];
  for (const [cap, names] of Object.entries(BY_CAPABILITY)) if (!held.has(cap)) refused.push(...names);
  const syscalls: OciSeccompRule[] = [
    { names: refused, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
  ];
  if (!held.has('CAP_SYS_ADMIN')) {
    // One rule per flag: rules for one syscall match if any does.
    for (const f of CLONE_NS_FLAGS) syscalls.push({ names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: f, valueTwo: f, op: 'SCMP_CMP_MASKED_EQ' }] });
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', syscalls };
}

/** Reads a Localhost profile from `dir`; the path must stay inside it. */
export async function localhostProfile(dir: string, path: string | undefined): Promise<OciSeccomp> {
  if (!path) throw new InvalidArgumentError('seccomp profile type Localhost needs localhostProfile');
  const rel = normalize(path);
  if (isAbsolute(rel) || rel.startsWith('..')) throw new InvalidArgumentError(`seccomp profile "${path}": must be a relative path inside the node's seccomp directory`);
  const file = join(dir, rel);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    throw new InvalidArgumentError(`cannot load seccomp profile "${file}": ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(`seccomp profile "${file}": not JSON: ${(e as Error).message}`, { cause: e });
  }
  const o = p as Partial<OciSeccomp>;
  if (typeof o !== 'object' || o === null || typeof o.defaultAction !== 'string') throw new InvalidArgumentError(`seccomp profile "${file}": defaultAction must be a string`);
  if (o.syscalls !== undefined && !Array.isArray(o.syscalls)) throw new InvalidArgumentError(`seccomp profile "${file}": syscalls must be a list`);
  return { defaultAction: o.defaultAction, ...(o.architectures ? { architectures: o.architectures } : {}), ...(o.syscalls ? { syscalls: o.syscalls } : {}) };
}
