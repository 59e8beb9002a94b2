// The node's device nodes, for privileged containers: as containerd's HostDevices, every
// character and block device under /dev (not in pts, shm, mqueue, fd or the lxc/udev dirs, not
// the console, never through a symlink), with its numbers, mode and owner, so runc makes them in
// the container's /dev. The devices cgroup of a privileged container already allows them all.
import { promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';

export interface LinuxDevice {
  path: string;
  type: 'c' | 'b';
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

/** Linux's dev_t split (the glibc major()/minor() macros). */
export function deviceNumbers(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  return { major: Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn)), minor: Number((d & 0xffn) | ((d >> 12n) & ~0xffn)) };
}

export function deviceOf(path: string, st: Stats): LinuxDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  return { path, type, ...deviceNumbers(st.rdev), fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** Every device node under `root` (default /dev), as it is now. */
export async function hostDevices(root = '/dev'): Promise<LinuxDevice[]> {
  const out: LinuxDevice[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) || rel) await walk(join(dir, e.name), join(rel, e.name));
        continue;
      }
      if (!rel && e.name === 'console') continue;
      const st = await fsp.lstat(join(dir, e.name)).catch(() => undefined);
      const dev = st && deviceOf(join('/dev', rel, e.name), st);
      if (dev) out.push(dev);
    }
  };
  await walk(root, '');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}
