// hostPath type checks against a real directory tree in a temporary directory.
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpHostPath } from './host-path.js';

const dir = mkdtempSync(join(tmpdir(), 'tskube-hostpath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostPath type checks (the kubelet\'s checkType)', () => {
  it('DirectoryOrCreate makes the directory and its parents (0755); FileOrCreate an empty file (0644)', async () => {
    await setUpHostPath(join(dir, 'a/b/c'), 'DirectoryOrCreate');
    expect(statSync(join(dir, 'a/b/c')).mode & 0o777).toBe(0o755);
    await setUpHostPath(join(dir, 'a/f'), 'FileOrCreate');
    expect(statSync(join(dir, 'a/f'))).toMatchObject({ size: 0 });
    expect(statSync(join(dir, 'a/f')).mode & 0o777).toBe(0o644);
    // (FileOrCreate does not make the parent)
    await expect(setUpHostPath(join(dir, 'none/f'), 'FileOrCreate')).rejects.toThrow(/no such file or directory/);
    // no type: nothing checked; a missing path becomes a directory, as containerd makes a bind mount's source
    await setUpHostPath(join(dir, 'plain'), undefined);
    expect(statSync(join(dir, 'plain')).isDirectory()).toBe(true);
  });

  it('refuses what is not of the type, with the kubelet\'s messages', async () => {
    writeFileSync(join(dir, 'file'), 'x');
    mkdirSync(join(dir, 'd'));
    symlinkSync(join(dir, 'd'), join(dir, 'link'));
    await expect(setUpHostPath(join(dir, 'file'), 'DirectoryOrCreate')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'file')} is not a directory`);
    await expect(setUpHostPath(join(dir, 'missing'), 'Directory')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'missing')} is not a directory`);
    await expect(setUpHostPath(join(dir, 'd'), 'FileOrCreate')).rejects.toThrow(`hostPath type check failed: ${join(dir, 'd')} is not a file`);
    await expect(setUpHostPath(join(dir, 'd'), 'Socket')).rejects.toThrow(/is not a socket file$/);
    await expect(setUpHostPath(join(dir, 'd'), 'CharDevice')).rejects.toThrow(/is not a character device$/);
    await expect(setUpHostPath(join(dir, 'd'), 'BlockDevice')).rejects.toThrow(/is not a block device$/);
    await expect(setUpHostPath(join(dir, 'd'), 'Folder')).rejects.toThrow('Folder is an invalid volume type');
    // through a symbolic link, and a character device
    await setUpHostPath(join(dir, 'link'), 'Directory');
    await setUpHostPath('/dev/null', 'CharDevice');
    await setUpHostPath(join(dir, 'file'), 'File');
  });
});

describe('hostPath errors', () => {
  it('reads as Go\'s path errors', async () => {
    writeFileSync(join(dir, 'plainfile'), '');
    await expect(setUpHostPath(join(dir, 'none2/f'), 'FileOrCreate')).rejects.toThrow(`open ${join(dir, 'none2/f')}: no such file or directory`);
    await expect(setUpHostPath(join(dir, 'plainfile/sub'), 'DirectoryOrCreate')).rejects.toThrow(`mkdir ${join(dir, 'plainfile/sub')}: not a directory`);
  });
});
