// The manifest directory reader against a real temporary directory (no agent).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ANN_CONFIG_SEEN, type StaticPod } from './static-pod-manifest.js';
import { readManifestFile, StaticPodSource } from './static-pod-source.js';

const pod = (name: string, image = 'busybox') => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image }] } });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function source() {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-src-'));
  dirs.push(dir);
  const changes: Map<string, StaticPod>[] = [];
  const src = new StaticPodSource({ dir, nodeName: 'n1', onChange: (p) => changes.push(p), rescanMs: 3_600_000 });
  const names = () => [...src.pods.values()].map((s) => s.pod.metadata!.name).sort();
  return { dir, src, changes, names };
}

describe('StaticPodSource', () => {
  it('reads the files but hidden ones and directories; a duplicate name and a bad file are skipped', async () => {
    const { dir, src, names } = source();
    writeFileSync(join(dir, 'a.yaml'), pod('web'));
    writeFileSync(join(dir, 'b.json'), pod('web', 'other')); // same name: the first file wins
    writeFileSync(join(dir, 'c'), pod('db'));
    writeFileSync(join(dir, '.d.yaml.swp'), 'junk');
    writeFileSync(join(dir, 'e.yaml'), 'kind: Service');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'f.yaml'), pod('nested'));
    await src.scan();
    expect(names()).toEqual(['db-n1', 'web-n1']);
    expect([...src.pods.values()].find((s) => s.pod.metadata!.name === 'web-n1')!.source).toBe(join(dir, 'a.yaml'));
    src.stop();
  });

  it('reports only changes, and keeps config.seen while a pod stays the same', async () => {
    const { dir, src, changes, names } = source();
    await src.scan();
    expect(changes).toEqual([]); // (an empty directory is no change)
    writeFileSync(join(dir, 'a.yaml'), pod('web'));
    await src.scan();
    const seen = [...src.pods.values()][0]!.pod.metadata!.annotations![ANN_CONFIG_SEEN];
    await new Promise((r) => setTimeout(r, 5));
    await src.scan();
    expect(changes.length).toBe(1);
    expect([...src.pods.values()][0]!.pod.metadata!.annotations![ANN_CONFIG_SEEN]).toBe(seen);
    writeFileSync(join(dir, 'a.yaml'), pod('web', 'busybox:2'));
    await src.scan();
    expect(changes.length).toBe(2);
    rmSync(join(dir, 'a.yaml'));
    await src.scan();
    expect(names()).toEqual([]);
    expect(changes.length).toBe(3);
    src.stop();
  });

  it('watches the directory, and one that is made later', async () => {
    const { dir, src, names } = source();
    rmSync(dir, { recursive: true });
    await src.start();
    expect(names()).toEqual([]);
    mkdirSync(dir);
    await src.scan(); // (the periodic rescan's work: the directory is watched from now on)
    writeFileSync(join(dir, 'a.yaml'), pod('web'));
    const deadline = Date.now() + 5000;
    while (!names().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(names()).toEqual(['web-n1']);
    src.stop();
  });

  it('refuses a file over the kubelet\'s 10 MiB limit without reading it; follows a symlink to a file, skips one to a directory', async () => {
    const { dir, src, names } = source();
    writeFileSync(join(dir, 'huge.yaml'), '');
    truncateSync(join(dir, 'huge.yaml'), 3 * 1024 ** 3); // (sparse: 3 GiB that take no room)
    await expect(readManifestFile(join(dir, 'huge.yaml'))).rejects.toThrow('the file is larger than 10485760 bytes');
    writeFileSync(join(dir, 'real.json'), pod('web'));
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
    symlinkSync(join(dir, 'sub'), join(dir, 'link-dir'));
    expect(await readManifestFile(join(dir, 'link-dir'))).toBeUndefined();
    await src.scan();
    // (link.json names the same pod from another file: the first in order, link.json, wins)
    expect(names()).toEqual(['web-n1']);
    expect([...src.pods.values()][0]!.source).toBe(join(dir, 'link.json'));
    src.stop();
  });
});
