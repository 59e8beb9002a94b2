// The kubelet's file source for static pods (pkg/kubelet/config/file.go): the manifests in one
// directory are read at start, again when the directory changes (fs.watch, debounced) and every
// 20 s (the kubelet's file check frequency), so a missed event or a directory made later is
// caught. Hidden files (a leading dot: editors' swap files) and subdirectories are skipped; every
// other file must hold a Pod or a PodList. A bad file is logged once per content with the file
// and the field, and its pods do not run; the other files' pods do. Two pods with the same
// namespace/name: the file that sorts first wins, as the kubelet ignores the later duplicate.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../util/log.js';
import { ANN_CONFIG_SEEN, ManifestError, MAX_MANIFEST_BYTES, readManifest, type StaticPod } from './static-pod-manifest.js';

const log = logger('static-pods');

export const FILE_CHECK_FREQUENCY_MS = 20_000;

export interface StaticPodSourceOptions {
  dir: string;
  nodeName: string;
  /** The full set of static pods (by UID), whenever it changes. */
  onChange(pods: Map<string, StaticPod>): void;
  rescanMs?: number;
  debounceMs?: number;
}

/**
 * A manifest file's text, or undefined when the path is not a regular file (a directory, a FIFO;
 * a symlink counts as what it points to). A file over the kubelet's limit is refused before it is
 * read (the kubelet reads at most maxConfigLength): a stray multi-gigabyte file would otherwise be
 * read whole into memory on every pass.
 */
export async function readManifestFile(path: string): Promise<string | undefined> {
  const st = await stat(path);
  if (!st.isFile()) return undefined;
  if (st.size > MAX_MANIFEST_BYTES) throw new ManifestError(`the file is larger than ${MAX_MANIFEST_BYTES} bytes`);
  return readFile(path, 'utf8');
}

export class StaticPodSource {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** The last set reported, by UID (its keys say what changed). */
  private current = new Map<string, StaticPod>();
  /** When each pod (by UID) was first seen: the config.seen annotation. */
  private readonly seenAt = new Map<string, string>();
  /** Problems already logged (file + message), so that a rescan does not repeat them. */
  private logged = new Set<string>();
  private dirMissingLogged = false;

  constructor(private readonly o: StaticPodSourceOptions) {}

  get pods(): Map<string, StaticPod> {
    return this.current;
  }

  /** Reads the directory once (resolves when the first set has been reported), then keeps watching it. */
  async start(): Promise<void> {
    await this.scan();
    this.timer = setInterval(() => void this.scan(), this.o.rescanMs ?? FILE_CHECK_FREQUENCY_MS);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
  }

  /** One pass over the directory; passes do not overlap (a request during one runs once after it). */
  scan(): Promise<void> {
    if (this.scanning) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        await this.scanOnce().catch((e: Error) => log.warn('reading the static pod manifests failed', { dir: this.o.dir, err: e.message }));
      } while (this.again && !this.stopped);
    })().finally(() => (this.scanning = undefined));
    return this.scanning;
  }

  private ensureWatch(): void {
    if (this.watcher || this.stopped) return;
    try {
      this.watcher = watch(this.o.dir, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.scan(), this.o.debounceMs ?? 100);
      });
      this.watcher.on('error', () => {
        // (the directory went away: the periodic scan watches it again once it is back)
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      this.watcher = undefined;
    }
  }

  private async scanOnce(): Promise<void> {
    if (this.stopped) return;
    let names: string[];
    try {
      names = (await readdir(this.o.dir)).filter((n) => !n.startsWith('.')).sort();
      this.dirMissingLogged = false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!this.dirMissingLogged) log.info('the static pod manifest directory does not exist (yet)', { dir: this.o.dir });
      this.dirMissingLogged = true;
      names = [];
    }
    this.ensureWatch();
    const next = new Map<string, StaticPod>();
    const byName = new Map<string, string>();
    const logged = new Set<string>();
    const once = (key: string, f: () => void) => {
      logged.add(key);
      if (!this.logged.has(key)) f();
    };
    for (const name of names) {
      const path = join(this.o.dir, name);
      let pods: StaticPod[];
      try {
        const text = await readManifestFile(path);
        if (text === undefined) continue; // (the kubelet does not recurse into directories)
        pods = readManifest(text, path, this.o.nodeName, () => new Date().toISOString());
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile
        const err = e instanceof ManifestError ? e.message : (e as Error).message;
        once(`${path}\0${err}`, () => log.error('could not process the static pod manifest; its pods do not run', { file: path, err }));
        continue;
      }
      for (const sp of pods) {
        const full = `${sp.pod.metadata!.namespace}/${sp.pod.metadata!.name}`;
        const first = byName.get(full);
        if (first) {
          once(`${path}\0dup\0${full}`, () => log.error('duplicate static pod name; this one is ignored', { file: path, pod: full, first }));
          continue;
        }
        byName.set(full, path);
        const uid = sp.pod.metadata!.uid!;
        const seen = this.seenAt.get(uid) ?? sp.pod.metadata!.annotations![ANN_CONFIG_SEEN]!;
        this.seenAt.set(uid, seen);
        sp.pod.metadata!.annotations![ANN_CONFIG_SEEN] = seen;
        next.set(uid, sp);
      }
    }
    this.logged = logged;
    for (const uid of this.seenAt.keys()) if (!next.has(uid)) this.seenAt.delete(uid);
    // (a manifest that sets metadata.uid keeps it across edits: its content tells the edit)
    const changed = next.size !== this.current.size || [...next].some(([u, sp]) => this.current.get(u)?.contentHash !== sp.contentHash);
    if (!changed || this.stopped) return;
    for (const [uid, sp] of next) if (this.current.get(uid)?.contentHash !== sp.contentHash) log.info('static pod from manifest', { pod: `${sp.pod.metadata!.namespace}/${sp.pod.metadata!.name}`, uid, file: sp.source });
    for (const [uid, sp] of this.current) if (!next.has(uid)) log.info('static pod gone from the manifests', { pod: `${sp.pod.metadata!.namespace}/${sp.pod.metadata!.name}`, uid, file: sp.source });
    this.current = next;
    this.o.onChange(next);
  }
}
