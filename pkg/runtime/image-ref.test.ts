import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { familiarName, formatImageRef, isInsecureRegistry, isNodeLocalImage, parseImageRef } from './image-ref.js';
import { ImageManager } from './image-service.js';

describe('parseImageRef (Docker normalization)', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['team/app', 'docker.io/team/app:latest'],
    ['index.docker.io/team/app:v1', 'docker.io/team/app:v1'],
    ['127.0.0.1:5000/team/app:1.2', '127.0.0.1:5000/team/app:1.2'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/a/b/c:t', 'localhost:5000/a/b/c:t'],
    ['quay.io/coreos/etcd', 'quay.io/coreos/etcd:latest'],
    ['ghcr.io/a/b:v1@sha256:' + 'a'.repeat(64), 'ghcr.io/a/b:v1@sha256:' + 'a'.repeat(64)],
    ['busybox@sha256:' + 'b'.repeat(64), 'docker.io/library/busybox@sha256:' + 'b'.repeat(64)],
  ];
  for (const [input, want] of cases) {
    it(`${input} → ${want}`, () => expect(formatImageRef(parseImageRef(input))).toBe(want));
  }

  it('splits domain, path, tag and digest', () => {
    expect(parseImageRef('127.0.0.1:5000/team/app:1.2')).toEqual({ domain: '127.0.0.1:5000', path: 'team/app', tag: '1.2', digest: undefined });
    const d = 'sha256:' + 'c'.repeat(64);
    expect(parseImageRef(`app@${d}`)).toEqual({ domain: 'docker.io', path: 'library/app', tag: undefined, digest: d });
  });

  for (const bad of ['', 'Busybox', 'team/App', 'a:b:c', 'app@sha256:short', 'app:-bad', 'a//b', 'a' + '/b'.repeat(200), 'c'.repeat(64)]) {
    it(`rejects ${JSON.stringify(bad.slice(0, 30))}`, () => expect(() => parseImageRef(bad)).toThrow());
  }

  it('prints familiar names', () => {
    expect(familiarName(parseImageRef('busybox'))).toBe('busybox:latest');
    expect(familiarName(parseImageRef('team/app:v1'))).toBe('team/app:v1');
    expect(familiarName(parseImageRef('127.0.0.1:5000/x:y'))).toBe('127.0.0.1:5000/x:y');
  });

  it('knows images built on the node by their registry name, tskube.local', async () => {
    expect(isNodeLocalImage('tskube.local/busybox:latest')).toBe(true);
    expect(isNodeLocalImage('tskube.local/busybox')).toBe(true);
    expect(isNodeLocalImage('busybox:latest')).toBe(false);
    expect(isNodeLocalImage('127.0.0.1:5000/tskube.local/busybox')).toBe(false);
    expect(isNodeLocalImage('Not A Reference')).toBe(false);
    // and never asks the network for one
    const dir = mkdtempSync(join(tmpdir(), 'tskube-imgref-'));
    try {
      await expect(new ImageManager(dir).pullImage('tskube.local/app:v1')).rejects.toThrow('tskube.local names images built on a node (tsctl up builds tskube.local/busybox:latest), not a registry: "tskube.local/app:v1" is not on this node and cannot be pulled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('treats only loopback registries as plain HTTP', () => {
    expect(isInsecureRegistry('127.0.0.1:5000')).toBe(true);
    expect(isInsecureRegistry('localhost:5000')).toBe(true);
    expect(isInsecureRegistry('docker.io')).toBe(false);
    expect(isInsecureRegistry('10.0.0.1:5000')).toBe(false);
  });
});
