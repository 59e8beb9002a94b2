// The Node status the agent posts: extended resources advertised on it (allocatable follows
// capacity, as the kubelet's MachineInfo setter makes it), and its images (the Images setter).
import { describe, expect, it } from 'vitest';
import type { Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { extendedAllocatable, NodeStatusManager, statusImages, type NodeStatusConfig, type NodeStatusSources } from './agent-node-status.js';

const stored = (capacity: Record<string, string>, allocatable: Record<string, string>): Node => ({ metadata: { name: 'n1' }, status: { capacity, allocatable } });

describe('extended resources of the Node', () => {
  it('are allocatable once a patch puts them in capacity', () => {
    const node = stored({ cpu: '2', memory: '1Gi', 'example.com/dongle': '4' }, { cpu: '2', memory: '900Mi' });
    const cfg = { nodeName: 'n1', maxPods: 110, dataDir: '/tmp' } as NodeStatusConfig;
    const sources = { pressure: () => undefined, node: () => node } as unknown as NodeStatusSources;
    const { capacity, allocatable } = new NodeStatusManager({} as ApiClient, cfg, sources).resources();
    expect(allocatable['example.com/dongle']).toBe('4');
    // (capacity is the node's own; the patched entry stays in the stored Node, merged)
    expect(capacity['example.com/dongle']).toBeUndefined();
    expect(allocatable.cpu).toBe(capacity.cpu);
  });

  it('leave allocatable when removed from capacity, and native resources are not touched', () => {
    const node = stored({ cpu: '2', 'example.com/b': '1' }, { cpu: '2', 'example.com/a': '2', 'example.com/b': '1', 'kubernetes.io/x': '1', 'hugepages-2Mi': '0' });
    expect(extendedAllocatable(node)).toEqual({ 'example.com/a': null, 'example.com/b': '1' });
    expect(extendedAllocatable(undefined)).toEqual({});
  });
});

describe('status.images (the kubelet Images setter)', () => {
  const img = (id: string, size: number, tags: string[], digests: string[] = []) => ({ id, size, repoTags: tags, repoDigests: digests });

  it('lists the images largest first, each by its digests then its tags (at most 5 names), at most 50', () => {
    const got = statusImages([
      img('sha256:a', 100, ['tskube.local/busybox:latest'], ['tskube.local/busybox@sha256:d1']),
      img('sha256:b', 300, ['r/big:1', 'r/big:2', 'r/big:3', 'r/big:4'], ['r/big@sha256:d2', 'r/big@sha256:d3']),
      img('sha256:c', 100, ['r/same-size:1']),
    ]);
    expect(got).toEqual([
      { names: ['r/big@sha256:d2', 'r/big@sha256:d3', 'r/big:1', 'r/big:2', 'r/big:3'], sizeBytes: 300 },
      // (a tie goes to the larger id first, as ByImageSize sorts)
      { names: ['r/same-size:1'], sizeBytes: 100 },
      { names: ['tskube.local/busybox@sha256:d1', 'tskube.local/busybox:latest'], sizeBytes: 100 },
    ]);
    const many = Array.from({ length: 60 }, (_, i) => img(`sha256:${i}`, i + 1, [`r/i:${i}`]));
    const listed = statusImages(many);
    expect(listed).toHaveLength(50);
    expect(listed[0]).toEqual({ names: ['r/i:59'], sizeBytes: 60 });
  });

  it('are posted with the Node status', async () => {
    const patches: Record<string, unknown>[] = [];
    const client = { patch: async (_r: unknown, _ns: unknown, _n: unknown, body: { status: Record<string, unknown> }) => (patches.push(body.status), {}) } as unknown as ApiClient;
    const cfg = { nodeName: 'n1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: '/tmp', statusReportSec: 60 } as NodeStatusConfig;
    const pressure = { statusConditions: () => [], eviction: { hardThreshold: () => 0 }, imageGC: { imageList: async () => [img('sha256:a', 42, ['tskube.local/busybox:latest'])] } };
    const sources = { pressure: () => pressure, node: () => undefined, networkReady: () => true } as unknown as NodeStatusSources;
    await new NodeStatusManager(client, cfg, sources).post(true);
    expect(patches[0]!.images).toEqual([{ names: ['tskube.local/busybox:latest'], sizeBytes: 42 }]);
  });
});

describe('registration', () => {
  it('annotates the Node volumes.kubernetes.io/controller-managed-attach-detach: "true", as the kubelet does', async () => {
    const created: { metadata: { annotations: Record<string, string> } }[] = [];
    const client = { create: async (_r: unknown, _ns: unknown, body: (typeof created)[0]) => (created.push(body), body), patch: async () => ({}) } as unknown as ApiClient;
    const cfg = { nodeName: 'n1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: '/tmp', statusReportSec: 60, labels: {}, taints: [] } as unknown as NodeStatusConfig;
    const sources = { localPathDir: '/tmp/lp', pressure: () => undefined, node: () => undefined, networkReady: () => true, stopped: () => false } as unknown as NodeStatusSources;
    await new NodeStatusManager(client, cfg, sources).register();
    expect(created[0]!.metadata.annotations['volumes.kubernetes.io/controller-managed-attach-detach']).toBe('true');
  });
});
