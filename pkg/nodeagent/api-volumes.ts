// Volumes whose files come from the API: configMap, secret, downwardAPI and projected (with
// service account tokens). Their
// payload (path -> bytes and mode) is computed from what the pod refers to, then written the
// way the kubelet's AtomicWriter does, so that a container reading the volume never sees half
// an update: the files live in a timestamped directory `..<time>`, `..data` is a symlink to it,
// and each top-level name is a symlink through `..data`. An update writes a new directory and
// swaps `..data` with one rename. Secret, projected and downwardAPI volumes are written to a tmpfs.
import { createHash, randomInt } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { containerNamed, resourceFieldValue } from './downward-resources.js';
import type { Pod } from '../api/types.js';
import { mount, mountsUnder, MS_NODEV, MS_NOEXEC, MS_NOSUID } from '../runtime/syscalls.js';
import { ConfigSourceError, type ConfigSources, type SourceKind } from './config-sources.js';

export interface PayloadFile {
  data: Buffer;
  mode: number;
  /** The file's owner, when not root (a projected token's, owned by the pod's fsUser). */
  uid?: number;
}
export type Payload = Map<string, PayloadFile>;

type Volume = NonNullable<NonNullable<Pod['spec']>['volumes']>[number];
type KeyToPath = { key?: string; path?: string; mode?: number };
type DownwardFile = { path?: string; fieldRef?: { fieldPath?: string }; resourceFieldRef?: { containerName?: string; resource?: string; divisor?: string }; mode?: number };

/** Whether the kubelet would fill this volume from the API. */
export function isApiVolume(v: Volume): boolean {
  return !!(v.configMap || v.secret || v.downwardAPI || v.projected);
}

const DEFAULT_MODE = 0o644;

/**
 * Whether the volume lives in memory: secret, projected and downwardAPI volumes, as the kubelet
 * mounts them (a tmpfs each: their plugins wrap an emptyDir of medium Memory), so that secrets
 * never reach the node's disk; `df` in the container shows tmpfs. configMap volumes wrap a
 * plain emptyDir and stay on disk.
 */
export function isMemoryBacked(v: Volume): boolean {
  return !!(v.secret || v.projected || v.downwardAPI);
}

/** Mounts a tmpfs on `dir` unless one is there (after a reboot the directory is left, empty). */
export async function ensureTmpfs(dir: string): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  if ((await mountsUnder(dir)).includes(dir)) return;
  // Files already written on disk (a downwardAPI volume of a node agent from before these were
  // memory-backed) may be bind-mounted by running containers: a tmpfs over them would hide every
  // later update from those containers, so such a volume stays where it is.
  if (await fsp.lstat(join(dir, '..data')).then(() => true, () => false)) return;
  mount('tmpfs', dir, 'tmpfs', MS_NOSUID | MS_NODEV | MS_NOEXEC, 'mode=0755');
}

/** A ConfigMap's or Secret's keys into the payload: all of them, or `items` (each must exist unless optional). */
function addKeys(out: Payload, kind: SourceKind, name: string | undefined, items: KeyToPath[] | undefined, optional: boolean | undefined, mode: number, sources: ConfigSources): void {
  const d = sources.get(kind, name ?? '');
  const what = kind === 'configmaps' ? 'configmap' : 'secret';
  if (!d) {
    if (optional) return;
    throw new ConfigSourceError(`${what} "${name}" not found`);
  }
  if (!items?.length) {
    for (const [k, v] of d) out.set(k, { data: v, mode });
    return;
  }
  for (const it of items) {
    const v = d.get(it.key ?? '');
    if (v === undefined) {
      if (optional) continue;
      // (the volume plugins' own words: configmap.MakePayload names itself, secret.MakePayload does not)
      throw new ConfigSourceError(kind === 'configmaps' ? `configmap references non-existent config key: ${it.key}` : `references non-existent secret key: ${it.key}`);
    }
    out.set(it.path ?? it.key ?? '', { data: v, mode: it.mode ?? mode });
  }
}

/** key="value" lines, sorted by key, as the kubelet formats labels and annotations. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

function downwardValue(pod: Pod, f: DownwardFile, allocatable?: () => Record<string, string>): string {
  const path = f.fieldRef?.fieldPath;
  if (path) {
    const meta = pod.metadata ?? {};
    switch (path) {
      case 'metadata.name':
        return meta.name ?? '';
      case 'metadata.namespace':
        return meta.namespace ?? '';
      case 'metadata.uid':
        return meta.uid ?? '';
      case 'metadata.labels':
        return formatMap(meta.labels);
      case 'metadata.annotations':
        return formatMap(meta.annotations);
    }
    const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
    if (m) return ((m[1] === 'labels' ? meta.labels : meta.annotations) ?? {})[m[2]!] ?? '';
    throw new ConfigSourceError(`downwardAPI: unsupported fieldPath ${path}`);
  }
  const r = f.resourceFieldRef;
  if (r?.resource) {
    const c = containerNamed(pod, r.containerName);
    // (findContainerInPod's words: 1.32's apiserver does not check a volume item's containerName)
    if (!c) throw new ConfigSourceError(`container ${r.containerName} not found`);
    return resourceFieldValue(c, r.resource, r.divisor, allocatable?.());
  }
  throw new ConfigSourceError(`downwardAPI: item ${f.path} has neither fieldRef nor resourceFieldRef`);
}

/** A downwardAPI volume's (or projection's) files; every item that fails is reported together, as 1.32's CollectData aggregates them. */
function addDownward(out: Payload, pod: Pod, items: DownwardFile[] | undefined, mode: number, allocatable?: () => Record<string, string>): void {
  const errors: string[] = [];
  for (const f of items ?? []) {
    try {
      out.set(f.path ?? '', { data: Buffer.from(downwardValue(pod, f, allocatable)), mode: f.mode ?? mode });
    } catch (e) {
      if (!(e instanceof ConfigSourceError)) throw e;
      collectError(errors, e);
    }
  }
  if (errors.length) throw new AggregateSourceError(errors);
}

/**
 * The files of an API volume. Throws ConfigSourceError with the kubelet's message when a
 * source it needs is missing (the caller reports `MountVolume.SetUp failed for volume ...`).
 */
export function volumePayload(v: Volume, pod: Pod, sources: ConfigSources, allocatable?: () => Record<string, string>): Payload {
  const out: Payload = new Map();
  if (v.configMap) addKeys(out, 'configmaps', v.configMap.name, v.configMap.items, v.configMap.optional, v.configMap.defaultMode ?? DEFAULT_MODE, sources);
  else if (v.secret) addKeys(out, 'secrets', v.secret.secretName, v.secret.items, v.secret.optional, v.secret.defaultMode ?? DEFAULT_MODE, sources);
  else if (v.downwardAPI) addDownward(out, pod, v.downwardAPI.items, v.downwardAPI.defaultMode ?? DEFAULT_MODE, allocatable);
  else if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    // Every source is collected, and what failed is reported together, as 1.32's collectData
    // returns the aggregate of its sources' errors: `[configmap "a" not found, secret "b" not found]`.
    const errors: string[] = [];
    for (const s of v.projected.sources ?? []) {
      try {
        if (s.configMap) addKeys(out, 'configmaps', s.configMap.name, s.configMap.items, s.configMap.optional, mode, sources);
        else if (s.secret) addKeys(out, 'secrets', s.secret.name, s.secret.items, s.secret.optional, mode, sources);
        else if (s.downwardAPI) addDownward(out, pod, s.downwardAPI.items, mode, allocatable);
        else if (s.serviceAccountToken) {
          const token = sources.token(s.serviceAccountToken);
          if (token === undefined) throw new ConfigSourceError('failed to fetch token: no token requested');
          // (0600 and the pod's user when it has an fsUser or an fsGroup, as 1.32's collectData: the
          // fsGroup then reads it too, 0640, through SetVolumeOwnership)
          const uid = fsUserOf(pod);
          const tokenMode = uid !== undefined || pod.spec?.securityContext?.fsGroup != null ? 0o600 : mode;
          out.set(s.serviceAccountToken.path ?? 'token', { data: Buffer.from(token), mode: tokenMode, ...(uid !== undefined && { uid }) });
        }
      } catch (e) {
        if (!(e instanceof ConfigSourceError)) throw e;
        collectError(errors, e);
      }
    }
    if (errors.length) throw new AggregateSourceError(errors);
  }
  return out;
}

/**
 * The user every container of the pod runs as, if they all run as one (1.32's FsUserFrom, with
 * DetermineEffectiveRunAsUser: the container's runAsUser, else the pod's); undefined otherwise.
 */
export function fsUserOf(pod: Pod): number | undefined {
  const spec = pod.spec;
  let user: number | undefined;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]) {
    const runAsUser = c.securityContext?.runAsUser ?? spec?.securityContext?.runAsUser;
    if (runAsUser == null || (user !== undefined && user !== runAsUser)) return undefined;
    user = runAsUser;
  }
  return user;
}

/** apimachinery's utilerrors aggregate: one error as it is, several (duplicates once) in brackets; nested ones flattened. */
class AggregateSourceError extends ConfigSourceError {
  constructor(readonly messages: string[]) {
    super(messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`);
  }
}

/** Adds the messages of `e` (an aggregate's each) to `into`, each once. */
function collectError(into: string[], e: ConfigSourceError): void {
  for (const m of e instanceof AggregateSourceError ? e.messages : [e.message]) if (!into.includes(m)) into.push(m);
}

/** A digest of a payload: equal payloads need no rewrite. */
export function payloadDigest(p: Payload): string {
  const h = createHash('sha256');
  for (const k of [...p.keys()].sort()) {
    const f = p.get(k)!;
    h.update(`${k}\0${f.mode}\0${f.uid ?? ''}\0${f.data.length}\0`).update(f.data);
  }
  return h.digest('hex');
}

async function readlinkOrUndefined(p: string): Promise<string | undefined> {
  return fsp.readlink(p).catch(() => undefined);
}

/** What SetVolumeOwnership adds to a read-only volume's files for the fsGroup (roMask). */
const READ_ONLY_GROUP_MASK = 0o440;

/**
 * Writes `payload` into `dir` atomically (see the top of this file). With the pod's fsGroup the
 * files and directories are the group's, group-readable, the directories setgid (the kubelet's
 * SetVolumeOwnership for configMap, secret, downwardAPI and projected volumes), so a non-root
 * container reads a `defaultMode: 0400` secret through its fsGroup. Paths are relative and
 * were validated by the apiserver; one with a `..` component is refused here too.
 */
export async function writeAtomic(dir: string, payload: Payload, fsGroup?: number): Promise<void> {
  for (const path of payload.keys()) {
    const parts = path.split('/');
    if (!path || path.startsWith('/') || parts.includes('..') || parts[0]!.startsWith('..')) throw new ConfigSourceError(`volume path "${path}" is not allowed`);
  }
  await fsp.mkdir(dir, { recursive: true, mode: 0o755 });
  const old = await readlinkOrUndefined(join(dir, '..data'));
  // (AtomicWriter's os.MkdirTemp with the pattern "..2006_01_02_15_04_05.": the UTC second, then random digits)
  let stamp = '';
  for (;;) {
    stamp = `..${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '_')}.${randomInt(2 ** 32)}`;
    const made = await fsp.mkdir(join(dir, stamp), { mode: 0o755 }).then(() => true, (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
      return false;
    });
    if (made) break;
  }
  const ts = join(dir, stamp);
  const top = new Set<string>();
  const dirs = new Set([dir, ts]);
  for (const [path, f] of payload) {
    const file = join(ts, path);
    for (let d = dirname(file); d.length > ts.length; d = dirname(d)) dirs.add(d);
    await fsp.mkdir(dirname(file), { recursive: true, mode: 0o755 });
    await fsp.writeFile(file, f.data, { mode: f.mode });
    // (the umask may have taken bits away; with an fsGroup the group may read it, as the kubelet's SetVolumeOwnership lets it)
    // (a file with an owner of its own is its, as AtomicWriter's Lchown of an FsUser)
    if (fsGroup !== undefined || f.uid !== undefined) await fsp.chown(file, f.uid ?? 0, fsGroup ?? 0);
    await fsp.chmod(file, fsGroup !== undefined ? f.mode | READ_ONLY_GROUP_MASK : f.mode);
    top.add(path.split('/')[0]!);
  }
  // The volume's directories belong to the fsGroup too, setgid, readable and searchable by it.
  if (fsGroup !== undefined) {
    for (const d of dirs) {
      await fsp.chown(d, 0, fsGroup);
      await fsp.chmod(d, ((await fsp.stat(d)).mode & 0o7777) | 0o2000 | READ_ONLY_GROUP_MASK | 0o110);
    }
  }
  const tmp = join(dir, '..data_tmp');
  await fsp.rm(tmp, { force: true });
  await fsp.symlink(stamp, tmp);
  await fsp.rename(tmp, join(dir, '..data'));
  for (const name of top) {
    const link = join(dir, name);
    if ((await readlinkOrUndefined(link)) !== join('..data', name)) {
      await fsp.rm(link, { recursive: true, force: true });
      await fsp.symlink(join('..data', name), link);
    }
  }
  for (const name of await fsp.readdir(dir)) {
    if (!name.startsWith('..') && !top.has(name)) await fsp.rm(join(dir, name), { recursive: true, force: true });
  }
  if (old && old !== stamp && old.startsWith('..')) await fsp.rm(join(dir, old), { recursive: true, force: true });
}
