// Extended resources advertised on the Node's status: allocatable follows capacity, as the
// kubelet's MachineInfo setter makes it.
import { describe, expect, it } from 'vitest';
import type { Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { extendedAllocatable, NodeStatusManager, type NodeStatusConfig, type NodeStatusSources } from './agent-node-status.js';

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
