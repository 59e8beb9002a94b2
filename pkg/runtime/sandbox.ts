// Pod sandboxes: pinned net/ipc/uts namespaces (nsfs bind mounts that every container joins;
// hostNetwork and hostIPC pods use the node's instead),
// the pod's /etc/hosts, /etc/hostname and /etc/resolv.conf, its /dev/shm, emptyDir volumes and
// the pod cgroup.
// Setup is a linear recipe; every step pushes its undo so a failure unwinds what was done.
import { promises as fsp } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { ensurePodCgroup, podCgroupPath, removeCgroup } from './cgroups.js';
import { RuntimeError } from './errors.js';
import { MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_REC, MS_SHARED, mount, mountsUnder, umount } from './syscalls.js';
import { createPodNamespaces } from './namespaces.js';
import type { PodInit } from './pod-init.js';
import { SandboxState, type PodSandboxConfig } from './types.js';

export const NETNS_DIR = process.env.TSKUBE_NETNS_DIR ?? '/run/netns';

export interface SandboxRecord {
  id: string;
  config: PodSandboxConfig;
  state: SandboxState;
  createdAt: string;
  dir: string;
  netnsPath: string;
  ipcnsPath: string;
  utsnsPath: string;
  /** The pod's short hostname (/etc/hosts names it). */
  hostname: string;
  /** The UTS namespace's hostname: the FQDN with setHostnameAsFQDN (absent in records from before it existed: the short one). */
  kernelHostname?: string;
  cgroupPath: string;
  volumes: Record<string, string>;
  /** The pod's /dev/shm, a tmpfs every container binds (absent in records from before it existed). */
  shmPath?: string;
  ip?: string;
  /** The init holding the pod's shared PID namespace (sharedPid only). */
  init?: PodInit;
}

/** The size of a pod's /dev/shm, as Docker's and containerd's default (64 MiB). */
export const DEV_SHM_SIZE = '65536k';

/** Make `dir` a mount point with the given propagation (how `ip netns` prepares /run/netns). */
export async function ensureMountPoint(dir: string, propagation: number): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  try {
    mount('none', dir, null, propagation | MS_REC, null);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    mount(dir, dir, null, MS_BIND | MS_REC, null);
    mount('none', dir, null, propagation | MS_REC, null);
  }
}

export function netnsName(id: string): string {
  return `tsk-${id.slice(0, 16)}`;
}

/** The pod's /etc/hosts; a pod on the node's network gets the node's own (`nodeHosts`), as under the kubelet. */
export function hostsFile(c: PodSandboxConfig, hostname: string, ip?: string, nodeHosts?: string): string {
  let s: string;
  if (nodeHosts !== undefined) s = `# Kubernetes-managed hosts file (host network).\n${nodeHosts}${nodeHosts.endsWith('\n') || !nodeHosts ? '' : '\n'}`;
  else {
    s = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';
    // With a subdomain the kubelet writes the pod's FQDN first: <hostname>.<subdomain>.<ns>.svc.<domain>.
    if (ip) s += c.hostDomain ? `${ip}\t${hostname}.${c.hostDomain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  }
  // (hostsEntriesFromHostAliases: one header, then a line per alias)
  if (c.hostAliases?.length) s += `\n# Entries added by HostAliases.\n${c.hostAliases.map((a) => `${a.ip}\t${a.hostnames.join('\t')}\n`).join('')}`;
  return s;
}

export function resolvConf(c: PodSandboxConfig, hostResolv: string): string {
  const d = c.dnsConfig;
  if (!d || (!d.servers?.length && !d.searches?.length && !d.options?.length)) return hostResolv;
  let s = '';
  if (d.searches?.length) s += `search ${d.searches.join(' ')}\n`;
  for (const n of d.servers ?? []) s += `nameserver ${n}\n`;
  if (d.options?.length) s += `options ${d.options.join(' ')}\n`;
  return s;
}

/** truncatePodHostnameIfNeeded: 63 characters at most, not ending in '-' or '.'. */
export const podHostname = (name: string): string => (name.length > 63 ? name.slice(0, 63).replace(/[-.]+$/, '') : name);

/** Create the sandbox on disk and in the kernel. `nsDir` must be a private mount point. */
/** The FQDN of a Linux nodename: 64 characters at most (the kernel's field, less its NUL). */
const FQDN_MAX_LEN = 64;

/**
 * The hostname the pod's UTS namespace gets (the kubelet's GetNodenameForKernel): the short
 * hostname, or with setHostnameAsFQDN and a domain, hostname.domain, refused when too long.
 */
export function nodenameForKernel(hostname: string, c: Pick<PodSandboxConfig, 'hostDomain' | 'hostnameAsFQDN'>): string {
  if (!c.hostDomain || !c.hostnameAsFQDN) return hostname;
  const fqdn = `${hostname}.${c.hostDomain}`;
  if (fqdn.length > FQDN_MAX_LEN) throw new RuntimeError(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (${FQDN_MAX_LEN} characters is the max, ${fqdn.length} characters requested)`);
  return fqdn;
}

export async function setupSandbox(id: string, c: PodSandboxConfig, dir: string, nsDir: string): Promise<SandboxRecord> {
  const undo: (() => Promise<void> | void)[] = [];
  try {
    await fsp.mkdir(dir, { recursive: true });
    undo.push(() => fsp.rm(dir, { recursive: true, force: true }));
    const host = c.hostNamespaces ?? {};
    // A pod on the node's network has the node's UTS namespace too, so the node's hostname.
    const hostname = host.network ? osHostname() : podHostname(c.hostname || c.name);
    const kernelHostname = host.network ? hostname : nodenameForKernel(hostname, c);
    const hostResolv = await fsp.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
    const hostHosts = host.network ? await fsp.readFile('/etc/hosts', 'utf8').catch(() => '') : undefined;
    await fsp.writeFile(join(dir, 'hosts'), hostsFile(c, hostname, undefined, hostHosts));
    await fsp.writeFile(join(dir, 'hostname'), kernelHostname + '\n');
    await fsp.writeFile(join(dir, 'resolv.conf'), resolvConf(c, hostResolv));

    // One /dev/shm for the pod, as its containers share one IPC namespace (containerd's
    // sandbox shm): POSIX shared memory made in one container is seen in the others. With
    // hostIPC the containers bind the node's /dev/shm instead.
    let shmPath = '/dev/shm';
    if (!host.ipc) {
      shmPath = join(dir, 'shm');
      await fsp.mkdir(shmPath, { recursive: true });
      mount('shm', shmPath, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,size=${DEV_SHM_SIZE}`);
      const p = shmPath;
      undo.push(() => umount(p, MNT_DETACH));
    }

    const volumes: Record<string, string> = {};
    for (const v of c.emptyDirs ?? []) {
      const p = join(dir, 'volumes', v.name);
      await fsp.mkdir(p, { recursive: true, mode: 0o777 });
      await fsp.chmod(p, 0o777);
      if (v.medium === 'Memory') {
        mount('tmpfs', p, 'tmpfs', MS_NOSUID | MS_NODEV, `mode=1777${v.sizeLimit ? `,size=${v.sizeLimit}` : ''}`);
        undo.push(() => umount(p, MNT_DETACH));
      }
      // With an fsGroup the directory is the group's and setgid (what is made in it inherits
      // the group), as the kubelet's SetVolumeOwnership leaves it: 2777, or 3777 on tmpfs.
      if (v.fsGroup !== undefined) {
        await fsp.chown(p, 0, v.fsGroup);
        await fsp.chmod(p, (v.medium === 'Memory' ? 0o1777 : 0o777) | 0o2000);
      }
      volumes[v.name] = p;
    }

    const cgroupPath = podCgroupPath(c.cgroupParent, c.uid);
    await ensurePodCgroup(cgroupPath, c.resources);
    undo.push(() => removeCgroup(cgroupPath));

    // The pod's own namespaces, each pinned on a file; '' is the node's.
    const netnsPath = host.network ? '' : join(NETNS_DIR, netnsName(id));
    const ipcnsPath = host.ipc ? '' : join(nsDir, `${id}.ipc`);
    const utsnsPath = host.network ? '' : join(nsDir, `${id}.uts`);
    if (netnsPath) await ensureMountPoint(NETNS_DIR, MS_SHARED);
    const pinned = [netnsPath, ipcnsPath, utsnsPath].filter(Boolean);
    for (const f of pinned) {
      await fsp.writeFile(f, '', { flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      undo.push(async () => {
        umount(f, MNT_DETACH);
        await fsp.rm(f, { force: true });
      });
    }
    // Made in-process: named, loopback up, each bind-mounted onto its file.
    try {
      createPodNamespaces({ net: netnsPath, ipc: ipcnsPath, uts: utsnsPath, hostname: kernelHostname });
    } catch (e) {
      throw new RuntimeError(`pod "${c.namespace}/${c.name}": namespaces: ${(e as Error).message}`, { cause: e });
    }
    return {
      id,
      config: c,
      state: SandboxState.Ready,
      createdAt: new Date().toISOString(),
      dir,
      netnsPath,
      ipcnsPath,
      utsnsPath,
      hostname,
      kernelHostname,
      cgroupPath,
      volumes,
      shmPath,
    };
  } catch (e) {
    for (const u of undo.reverse()) await Promise.resolve().then(u).catch(() => {});
    throw e;
  }
}

/**
 * What a stopped sandbox gives up (containerd's StopPodSandbox: its pause exits, taking the IPC
 * and UTS namespaces with it, its network namespace is removed and its /dev/shm unmounted; the
 * kubelet's SyncTerminatedPod then destroys the pod cgroup, and its volume manager tears down a
 * terminated pod's emptyDirs, their data gone): the pinned namespaces, the pod's /dev/shm, the
 * emptyDir volumes' data (a memory-backed one unmounted) and the pod cgroup with the cgroups its
 * stopped containers left in it. No container starts in a stopped sandbox again (a pod that runs
 * on gets a new one). The record and its files stay until the sandbox is removed. Idempotent; the
 * containers must have stopped.
 */
export async function releaseStoppedSandbox(s: SandboxRecord): Promise<void> {
  for (const f of [s.netnsPath, s.ipcnsPath, s.utsnsPath]) {
    if (!f) continue; // the node's
    umount(f, MNT_DETACH);
    await fsp.rm(f, { force: true });
  }
  if (s.shmPath && s.shmPath !== '/dev/shm') umount(s.shmPath, MNT_DETACH);
  for (const dir of Object.values(s.volumes ?? {})) {
    umount(dir, MNT_DETACH); // (a Memory emptyDir's tmpfs; a directory on disk is no mount)
    for (const e of await fsp.readdir(dir).catch(() => [] as string[])) await fsp.rm(join(dir, e), { recursive: true, force: true });
  }
  await removeCgroup(s.cgroupPath);
}

/** Undo setupSandbox: namespaces, volumes, pod cgroup, files. Idempotent. */
export async function teardownSandbox(s: SandboxRecord): Promise<void> {
  for (const f of [s.netnsPath, s.ipcnsPath, s.utsnsPath]) {
    if (!f) continue; // the node's
    umount(f, MNT_DETACH);
    await fsp.rm(f, { force: true });
  }
  for (const m of await mountsUnder(s.dir)) umount(m, MNT_DETACH);
  await removeCgroup(s.cgroupPath);
  await fsp.rm(s.dir, { recursive: true, force: true });
}

/** Prepare the private mount point the ipc/uts namespace files are bound under. */
export async function ensureNsDir(nsDir: string): Promise<void> {
  await ensureMountPoint(nsDir, MS_PRIVATE);
}

/** Rewrite /etc/hosts once the pod has an IP (the node agent calls setPodSandboxIP). */
export async function updateHosts(s: SandboxRecord): Promise<void> {
  if (s.config.hostNamespaces?.network) return; // the node's file, written at setup
  await fsp.writeFile(join(s.dir, 'hosts'), hostsFile(s.config, s.hostname, s.ip));
}
