// The Node status the agent posts: extended resources advertised on it (allocatable follows
// capacity, as the kubelet's MachineInfo setter makes it), and its images (the Images setter).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Node } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';
import { extendedAllocatable, HEARTBEAT_TRIES, heartbeatTimeoutMs, NodeStatusManager, statusImages, type NodeStatusConfig, type NodeStatusSources } from './agent-node-status.js';

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

describe('heartbeats (the kubelet\'s updateNodeStatus and node lease controller)', () => {
  const cfg = { nodeName: 'n1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: '/tmp', statusReportSec: 60, statusUpdateSec: 10, leaseDurationSec: 40 } as NodeStatusConfig;
  const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease', resourceVersion: '5' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } };

  /**
   * A client whose connection went half-dead: every call hangs (no answer, no reset) until its
   * connections are closed, after which calls dial afresh and are answered.
   */
  function halfDeadClient() {
    const calls: string[] = [];
    let dead = true;
    let closes = 0;
    const answer = <T>(what: string, value: T) => {
      calls.push(what);
      return dead ? new Promise<T>(() => {}) : Promise.resolve(value);
    };
    const client = {
      get: () => answer('get', lease),
      update: (_r: unknown, _ns: unknown, _n: unknown, obj: unknown) => answer('update', obj),
      patch: () => answer('patch', {}),
      closeAllConnections: () => {
        closes++;
        dead = false;
      },
    } as unknown as ApiClient;
    return { client, calls, closes: () => closes };
  }
  const sourcesFor = (client: ApiClient) => ({ pressure: () => undefined, node: () => undefined, networkReady: () => true, stopped: () => false, nodeEvent: () => {}, onRepeatedHeartbeatFailure: () => client.closeAllConnections?.() }) as unknown as NodeStatusSources;

  afterEach(() => {
    vi.useRealTimers();
  });

  it('a Lease renewal whose tries hang times each out and closes the connections after the second, then renews', async () => {
    vi.useFakeTimers();
    const { client, calls, closes } = halfDeadClient();
    let done = false;
    const renewal = new NodeStatusManager(client, cfg, sourcesFor(client)).renewLease().then(() => (done = true));
    // (the heartbeat client's timeout: nodeStatusUpdateFrequency, 10 s, as it is below the 40 s lease)
    expect(heartbeatTimeoutMs(cfg)).toBe(10_000);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(closes()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    // (a first failure is not yet repeated)
    expect(closes()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(closes()).toBe(1);
    await renewal;
    expect(done).toBe(true);
    expect(calls).toEqual(['get', 'get', 'get', 'update']);
  });

  it('a status post gives up after 5 tries, closing the connections after each failed one but the first', async () => {
    vi.useFakeTimers();
    let closes = 0;
    let tries = 0;
    const client = { patch: () => (tries++, Promise.reject(new Error('connection reset'))), closeAllConnections: () => void closes++ } as unknown as ApiClient;
    const failed = new NodeStatusManager(client, cfg, sourcesFor(client)).post(true).then(() => undefined, (e: Error) => e);
    const err = await failed;
    expect(err?.message).toBe('update node status exceeds retry count');
    expect(tries).toBe(HEARTBEAT_TRIES);
    expect(closes).toBe(HEARTBEAT_TRIES - 1);
  });

  it('a Lease conflict is tried again with the newer Lease and closes nothing', async () => {
    let gets = 0;
    let closes = 0;
    const client = {
      get: async () => (gets++, { ...lease, metadata: { ...lease.metadata, resourceVersion: String(5 + gets) } }),
      update: async (_r: unknown, _ns: unknown, _n: unknown, obj: { metadata: { resourceVersion: string } }) => {
        if (obj.metadata.resourceVersion === '6') throw new StatusError(409, { kind: 'Status', code: 409, reason: 'Conflict' }, 'the object has been modified');
        return obj;
      },
      closeAllConnections: () => void closes++,
    } as unknown as ApiClient;
    await new NodeStatusManager(client, cfg, sourcesFor(client)).renewLease();
    expect(gets).toBe(2);
    expect(closes).toBe(0);
  });
});

describe('registration (the kubelet\'s registerWithAPIServer)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is tried until the apiserver takes it, 100 ms apart doubling to 7 s, however long that is', async () => {
    vi.useFakeTimers();
    const tries: number[] = [];
    const t0 = Date.now();
    const client = {
      create: async () => {
        tries.push(Date.now() - t0);
        if (tries.length <= 40) throw new StatusError(503, { kind: 'Status', code: 503, reason: 'ServiceUnavailable' }, 'the server is currently unable to handle the request');
        return {};
      },
      patch: async () => ({}),
    } as unknown as ApiClient;
    const cfg = { nodeName: 'n1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: '/tmp', statusReportSec: 60, statusUpdateSec: 10, leaseDurationSec: 40, labels: {}, taints: [] } as unknown as NodeStatusConfig;
    const sources = { localPathDir: '/tmp/lp', pressure: () => undefined, node: () => undefined, networkReady: () => true, stopped: () => false, nodeEvent: () => {} } as unknown as NodeStatusSources;
    let registered = false;
    const done = new NodeStatusManager(client, cfg, sources).register().then(() => (registered = true));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    await done;
    expect(registered).toBe(true);
    expect(tries).toHaveLength(41);
    const gaps = tries.slice(1).map((t, i) => t - tries[i]!);
    expect(gaps.slice(0, 8)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 7000]);
    expect(gaps.at(-1)).toBe(7000);
  });

  const cfg = { nodeName: 'n1', nodeIP: '127.0.0.1', port: 10250, maxPods: 110, dataDir: '/tmp', statusReportSec: 60, statusUpdateSec: 10, leaseDurationSec: 40, labels: {}, taints: [] } as unknown as NodeStatusConfig;
  const stoppable = () => {
    const s = { stopped: false };
    const sources = { localPathDir: '/tmp/lp', pressure: () => undefined, node: () => undefined, networkReady: () => true, stopped: () => s.stopped, nodeEvent: () => {} } as unknown as NodeStatusSources;
    return { s, sources };
  };

  it('ends within 100 ms of the agent stopping in a pause, and tries no more', async () => {
    vi.useFakeTimers();
    let tries = 0;
    const client = {
      create: async () => {
        tries++;
        throw new StatusError(503, { kind: 'Status', code: 503, reason: 'ServiceUnavailable' }, 'the server is currently unable to handle the request');
      },
    } as unknown as ApiClient;
    const { s, sources } = stoppable();
    let ended: unknown;
    void new NodeStatusManager(client, cfg, sources).register().then(() => (ended = 'registered'), (e: Error) => (ended = e.message));
    // (past 100 ms ... 6.4 s: in a 7 s pause)
    await vi.advanceTimersByTimeAsync(15_000);
    const tried = tries;
    s.stopped = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(ended).toBe('the node agent has stopped');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(tries).toBe(tried);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('does not go on as registered when the agent stopped while its Node was made', async () => {
    let release!: () => void;
    const posted: string[] = [];
    const client = {
      create: () => new Promise((r) => (release = () => r({}))),
      patch: async (_ref: unknown, _ns: unknown, _name: unknown, _body: unknown, _type: unknown, sub?: string) => (posted.push(sub ?? ''), {}),
    } as unknown as ApiClient;
    const { s, sources } = stoppable();
    const done = new NodeStatusManager(client, cfg, sources).register();
    await new Promise((r) => setImmediate(r));
    s.stopped = true;
    release();
    await expect(done).rejects.toThrow('the node agent has stopped');
    expect(posted).toEqual([]);
  });
});
