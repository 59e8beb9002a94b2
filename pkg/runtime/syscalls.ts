// The few syscalls the runtime makes in-process through koffi (a spawn of mount(8) costs more
// than the mount itself): mount, umount2, mknod, setxattr.
import { checkErrno, libcFunctions } from '../util/libc.js';

const lib = libcFunctions({
  mount: 'int mount(const char *src, const char *tgt, const char *fstype, unsigned long flags, const char *data)',
  umount2: 'int umount2(const char *tgt, int flags)',
  mknod: 'int mknod(const char *path, uint32_t mode, uint64_t dev)',
  setxattr: 'int setxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
});

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 1 << 18;
export const MS_SHARED = 1 << 20;
export const MNT_DETACH = 0x2;

export function mount(src: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
  checkErrno(lib().mount(src, target, fstype, flags, data), `mount ${fstype ?? ''} ${src ?? ''} on ${target}`);
}

/** Unmount; a target that is not mounted (EINVAL) or absent (ENOENT) is not an error. */
export function umount(target: string, flags = 0): void {
  try {
    checkErrno(lib().umount2(target, flags), `umount ${target}`);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOENT') throw e;
  }
}

/** Unmounts every mount at or under `prefix`, deepest first (lazily: a busy one goes when released). */
export async function unmountAll(prefix: string): Promise<void> {
  for (const m of await mountsUnder(prefix)) umount(m, MNT_DETACH);
}

/** An overlayfs whiteout: a character device 0:0. */
export function mkWhiteout(path: string): void {
  checkErrno(lib().mknod(path, 0o20000, 0), `mknod ${path}`);
}

export function setXattr(path: string, name: string, value: string): void {
  const buf = Buffer.from(value);
  checkErrno(lib().setxattr(path, name, buf, buf.length, 0), `setxattr ${name} on ${path}`);
}

/** Mount points at or under `prefix`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(prefix: string): Promise<string[]> {
  const { readFile } = await import('node:fs/promises');
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (!mp) continue;
    const p = mp.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (p === prefix || p.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}
