// hostPath volumes before their containers start: the kubelet's hostPath type check (what is at
// the path must be what `type` says; DirectoryOrCreate and FileOrCreate make it when nothing is
// there), and containerd's creation of a missing source directory when no type is given.
import { mkdir, open, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** Why a hostPath volume cannot be set up: the kubelet's words (a FailedMount event carries them). */
export class HostPathError extends Error {}

const KINDS: Record<string, [check: (s: Stats) => boolean, what: string]> = {
  Directory: [(s) => s.isDirectory(), 'a directory'],
  File: [(s) => s.isFile(), 'a file'],
  Socket: [(s) => s.isSocket(), 'a socket file'],
  CharDevice: [(s) => s.isCharacterDevice(), 'a character device'],
  BlockDevice: [(s) => s.isBlockDevice(), 'a block device'],
};

/**
 * The kubelet's checkType for a hostPath volume of `type`. DirectoryOrCreate makes the directory
 * (and its parents, mode 0755) when nothing is there; FileOrCreate an empty file (0644; its parent
 * must exist). With no type nothing is checked, and a missing path becomes a directory, as
 * containerd makes a bind mount's missing source.
 */
export async function setUpHostPath(path: string, type: string | undefined): Promise<void> {
  // (through a symbolic link, as the kubelet's checks)
  const st = await stat(path).catch(() => undefined);
  const makeDir = () => mkdir(path, { recursive: true, mode: 0o755 }).catch((e: NodeJS.ErrnoException) => Promise.reject(pathError(e)));
  switch (type ?? '') {
    case '':
      if (!st) await makeDir();
      return;
    case 'DirectoryOrCreate':
      if (!st) return void (await makeDir());
      return expectKind(path, st, 'Directory');
    case 'FileOrCreate':
      if (!st) {
        await open(path, 'a', 0o644).then(
          (f) => f.close(),
          (e: NodeJS.ErrnoException) => Promise.reject(pathError(e)),
        );
        return;
      }
      return expectKind(path, st, 'File');
    default:
      if (!KINDS[type!]) throw new HostPathError(`${type} is an invalid volume type`);
      return expectKind(path, st, type!);
  }
}

function expectKind(path: string, st: Stats | undefined, kind: string): void {
  const [check, what] = KINDS[kind]!;
  if (!st || !check(st)) throw new HostPathError(`hostPath type check failed: ${path} is not ${what}`);
}

/** A failed mkdir or open in Go's words (`open /x/f: no such file or directory`), as the kubelet reports it. */
function pathError(e: NodeJS.ErrnoException): HostPathError {
  if (!e.syscall || !e.path) return new HostPathError(e.message);
  const what = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return new HostPathError(`${e.syscall} ${e.path}: ${what}`);
}
