// Making a container (CRI CreateContainer): its rootfs from the image's layers, its user, the
// OCI spec in the sandbox's namespaces (or a target's PID namespace), its seccomp filter, and
// runc create under conmon. Every step pushes its undo; a failure unwinds them all.
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, RuntimeError } from './errors.js';
import { hostDevices } from './host-devices.js';
import type { ImageRecord } from './image-store.js';
import { alive, conmonPidFile, createWithConmon, readPid } from './monitor.js';
import type { ImageConfig } from './media-types.js';
import { buildSpec, capabilities, processGroups, resolveUser } from './oci-spec.js';
import { podInitAlive, podPidNamespace } from './pod-init.js';
import type { Runc } from './runc.js';
import type { SandboxRecord } from './sandbox.js';
import { localhostProfile, runtimeDefaultProfile, type OciSeccomp } from './seccomp.js';
import { mountRootfs, unmountRootfs } from './snapshots.js';
import { newId, normalizeSignal, writeJson, type ContainerRecord } from './state.js';
import { ContainerState, SandboxState, type ContainerConfig } from './types.js';

const DEFAULT_LOG_SIZE_MAX = 10 << 20;

/**
 * How low a container's oom_score_adj can go: anywhere with CAP_SYS_RESOURCE, else no lower
 * than this process's own (the kernel refuses runc the rest, and the container would not start).
 */
async function oomScoreAdjFloor(): Promise<number> {
  const status = await fsp.readFile('/proc/self/status', 'utf8').catch(() => '');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  const CAP_SYS_RESOURCE = 24n;
  if (capEff && (BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) return -1000;
  return Number((await fsp.readFile('/proc/self/oom_score_adj', 'utf8').catch(() => '0')).trim()) || 0;
}

export interface ContainerCreateDeps {
  /** Container records live under here, one directory each. */
  containerDir: string;
  /** Default log files go under <logsDir>/<sandbox id>. */
  logsDir: string;
  /** conmon's attach sockets. */
  sockDir: string;
  /** Where Localhost seccomp profiles are read from. */
  seccompDir: string;
  /** The image by reference, its config, and its unpacked layers (lowest first). */
  image(ref: string): Promise<{ record: ImageRecord; config: ImageConfig; lowers: string[] }>;
  runcOf(sandboxId: string): Runc;
  /** The containers there are (a new one joins them as soon as conmon is asked for it). */
  containers: Map<string, ContainerRecord>;
  save(c: ContainerRecord): Promise<void>;
}

/** Creates a container of sandbox `s`; returns its id. */
export async function createContainer(d: ContainerCreateDeps, s: SandboxRecord, config: ContainerConfig): Promise<string> {
  const sandboxId = s.id;
  if (s.state !== SandboxState.Ready) throw new FailedPreconditionError(`sandbox "${sandboxId}": not ready`);
  const attempt = config.attempt ?? 0;
  for (const c of d.containers.values()) {
    if (c.sandboxId === sandboxId && c.config.name === config.name && (c.config.attempt ?? 0) === attempt) {
      throw new AlreadyExistsError(`pod "${s.config.namespace}/${s.config.name}": container "${config.name}" attempt ${attempt} exists (${c.id})`);
    }
  }
  const { record: img, config: imageConfig, lowers } = await d.image(config.image);
  const id = newId();
  const dir = join(d.containerDir, id);
  const undo: (() => Promise<unknown> | unknown)[] = [];
  try {
    await fsp.mkdir(dir, { recursive: true });
    undo.push(() => fsp.rm(dir, { recursive: true, force: true }));
    const rootfs = await mountRootfs(dir, lowers);
    undo.push(() => unmountRootfs(dir));
    const sc = config.securityContext ?? {};
    let user: { uid: number; gid: number; additionalGids?: number[] };
    const [passwd, group] = await Promise.all(['etc/passwd', 'etc/group'].map((f) => fsp.readFile(join(rootfs.merged, f), 'utf8').catch(() => '')));
    if (sc.runAsUser !== undefined) user = { uid: sc.runAsUser, gid: sc.runAsGroup ?? 0 };
    else {
      user = resolveUser(imageConfig.config?.User, passwd, group);
      if (sc.runAsGroup !== undefined) user.gid = sc.runAsGroup;
    }
    // (the user whose /etc/group memberships count: runAsUser, else the image's USER, else root)
    const groupsOf = sc.runAsUser !== undefined ? String(sc.runAsUser) : imageConfig.config?.User?.split(':')[0] || '0';
    user.additionalGids = processGroups(user.gid, sc.supplementalGroups, { user: groupsOf, passwd, group });
    await makeSubPaths(config, s.volumes);
    const cgroupPath = `${s.cgroupPath}/${id}`;
    const spec = buildSpec({
      image: imageConfig,
      container: config,
      rootfs: rootfs.merged,
      user,
      hostname: s.kernelHostname ?? s.hostname,
      namespaces: { network: s.netnsPath, ipc: s.ipcnsPath, uts: s.utsnsPath, hostPid: !!s.config.hostNamespaces?.pid, pid: pidNamespaceFor(d.containers, s, config) },
      cgroupsPath: cgroupPath,
      etcFiles: { hosts: join(s.dir, 'hosts'), hostname: join(s.dir, 'hostname'), resolvConf: join(s.dir, 'resolv.conf') },
      volumes: s.volumes,
      shmPath: s.shmPath,
      seccomp: await seccompFor(d.seccompDir, config),
      hostDevices: config.securityContext?.privileged ? await hostDevices() : undefined,
      sysctls: s.config.sysctls,
      minOomScoreAdj: await oomScoreAdjFloor(),
    });
    await writeJson(join(dir, 'config.json'), spec);
    const ownsLog = !config.logPath;
    const logPath = config.logPath ?? join(d.logsDir, sandboxId, `${config.name}_${attempt}.log`);
    await fsp.mkdir(dirname(logPath), { recursive: true });
    const rec: ContainerRecord = {
      id,
      sandboxId,
      config,
      state: ContainerState.Created,
      createdAt: new Date().toISOString(),
      image: config.image,
      imageRef: imageRefOf(img.name, img.indexDigest ?? img.manifestDigest),
      imageId: img.configDigest,
      diffIds: img.diffIds,
      dir,
      logPath,
      ownsLog,
      cgroupPath,
      stopSignal: normalizeSignal(config.stopSignal ?? imageConfig.config?.StopSignal),
    };
    d.containers.set(id, rec);
    undo.push(() => d.containers.delete(id));
    const runc = d.runcOf(sandboxId);
    undo.push(() => runc.delete(id, true));
    rec.pid = await createWithConmon(runc, id, { dir, bundle: dir, logPath, socketDir: d.sockDir }, config.logSizeMax ?? DEFAULT_LOG_SIZE_MAX, { tty: config.tty, stdin: config.stdin, stdinOnce: config.stdinOnce });
    rec.conmonPid = await readPid(conmonPidFile({ dir }));
    await d.save(rec);
    return id;
  } catch (e) {
    const rec = d.containers.get(id);
    const startError = rec && processStartFailure((e as Error).message);
    if (rec && startError) {
      // (containerd creates the task, and so runs runc create, only when the container is
      // started: the container exists, and its start fails)
      await d.runcOf(sandboxId).delete(id, true).catch(() => {});
      rec.startError = startError;
      await d.save(rec);
      return id;
    }
    for (const u of undo.reverse()) await Promise.resolve().then(u).catch(() => {});
    throw new RuntimeError(`pod "${s.config.namespace}/${s.config.name}": container "${config.name}": ${(e as Error).message}`, { cause: e });
  }
}

/**
 * runc create's error when the container's process cannot be started (no such executable, not
 * executable, a bad working directory), in containerd's words for the task it could not create;
 * undefined for other failures, which are the container's creation failing.
 */
export function processStartFailure(text: string): string | undefined {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(text);
  const inner = m ? m[1]!.replace(/\\(.)/g, '$1') : text;
  if (!inner.includes('unable to start container process')) return undefined;
  return `failed to create containerd task: failed to create shim task: OCI runtime create failed: ${inner}: unknown`;
}

/** The container's seccomp filter: none for Unconfined (the default) and for privileged containers. */
async function seccompFor(seccompDir: string, c: ContainerConfig): Promise<OciSeccomp | undefined> {
  const p = c.securityContext?.seccomp;
  if (!p || c.securityContext?.privileged) return undefined;
  switch (p.type) {
    case 'RuntimeDefault':
      return runtimeDefaultProfile(capabilities(c));
    case 'Localhost':
      return localhostProfile(seccompDir, p.localhostProfile);
    default:
      return undefined;
  }
}

/**
 * The PID namespace a new container joins: the running container it targets (pidNamespaceOf),
 * else the pod's shared one (its init's), else none (a namespace of its own).
 */
function pidNamespaceFor(containers: Map<string, ContainerRecord>, s: SandboxRecord, config: ContainerConfig): string | undefined {
  if (!config.pidNamespaceOf) {
    if (!s.init) return undefined;
    if (!podInitAlive(s.init)) throw new FailedPreconditionError(`container "${config.name}": the pod's shared PID namespace is gone (its init exited)`);
    return podPidNamespace(s.init);
  }
  const t = containers.get(config.pidNamespaceOf);
  if (!t || t.state !== ContainerState.Running || !alive(t.pid)) throw new FailedPreconditionError(`container "${config.name}": target container ${config.pidNamespaceOf} is not running`);
  return `/proc/${t.pid}/ns/pid`;
}

function imageRefOf(name: string, digest: string): string {
  const at = name.indexOf('@');
  const base = at >= 0 ? name.slice(0, at) : name.replace(/:[^:/]+$/, '');
  return `${base}@${digest}`;
}

/**
 * The subPaths the container mounts, made when missing (the kubelet's makeMounts: with the
 * volume's own mode, so that a group may write where it may write in the volume), and refused
 * when one leads out of its volume (a symbolic link inside it): the kubelet's words.
 */
async function makeSubPaths(config: ContainerConfig, volumes: Record<string, string>): Promise<void> {
  const subPaths = [
    ...(config.volumeMounts ?? []).filter((v) => v.subPath && volumes[v.name]).map((v) => ({ name: v.name, root: volumes[v.name]!, path: join(volumes[v.name]!, v.subPath!) })),
    ...(config.mounts ?? []).filter((m) => m.subPathOf).map((m) => ({ name: m.subPathOf!.volume, root: m.subPathOf!.dir, path: m.hostPath })),
  ];
  for (const sp of subPaths) {
    const failed = () => new InvalidArgumentError(`failed to create subPath directory for volumeMount "${sp.name}" of container "${config.name}"`);
    const root = await fsp.realpath(sp.root).catch(() => sp.root);
    if (!(await fsp.stat(sp.path).catch(() => undefined))) {
      const mode = ((await fsp.stat(root).catch(() => undefined))?.mode ?? 0o755) & 0o7777;
      await fsp.mkdir(sp.path, { recursive: true, mode }).catch(() => Promise.reject(failed()));
      await fsp.chmod(sp.path, mode).catch(() => undefined); // (the umask took bits away)
    }
    const real = await fsp.realpath(sp.path).catch(() => sp.path);
    if (real !== root && !real.startsWith(`${root}/`)) throw failed();
  }
}
