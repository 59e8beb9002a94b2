// NodeAgent.start() against a stop() that comes during one of its awaits: start goes no further
// than the step under way (9b8396b covered the registration window; these are the steps after it).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { Runtime } from '../runtime/runtime.js';
import { defaultAgentConfig } from './agent-config.js';
import type { NodeStatusManager } from './agent-node-status.js';
import { NodeAgent } from './agent.js';

/** An apiserver that answers nothing: every call rejects (and the client is no thenable). */
const client = new Proxy({}, { get: (_t, k) => (k === 'then' ? undefined : () => Promise.reject(new Error('no apiserver here'))) }) as ApiClient;

const latch = () => {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
};

/** The agent's parts start() drives, reached past their privacy. */
type Inside = {
  nodeStatus: NodeStatusManager;
  podInformer: Informer<never>;
  nodeInformer: Informer<never>;
  serviceInformer: Informer<never>;
  localPathCleaner: { start(): void };
};

/** An agent whose runtime, cgroups and API calls are stand-ins; returns it with the spies that say how far start() went. */
function agentWithFakes() {
  vi.spyOn(Runtime, 'open').mockResolvedValue({ listPodSandbox: async () => [], listContainers: async () => [] } as unknown as Runtime);
  // (no ingress controller: it would listen on the node's ports 80 and 443)
  const agent = new NodeAgent(client, { ...defaultAgentConfig('n1'), dataDir: '/nonexistent/agent', ingress: undefined });
  const inside = agent as unknown as Inside;
  vi.spyOn(agent.qosCgroups, 'start').mockResolvedValue();
  vi.spyOn(agent.qosCgroups, 'announce').mockReturnValue();
  vi.spyOn(agent.qosCgroups, 'stop').mockResolvedValue();
  vi.spyOn(inside.nodeStatus, 'register').mockResolvedValue();
  vi.spyOn(inside.nodeStatus, 'post').mockResolvedValue();
  const started = {
    pods: vi.spyOn(inside.podInformer, 'start').mockImplementation(() => inside.podInformer),
    nodes: vi.spyOn(inside.nodeInformer, 'start').mockImplementation(() => inside.nodeInformer),
    services: vi.spyOn(inside.serviceInformer, 'start').mockImplementation(() => inside.serviceInformer),
    localPaths: vi.spyOn(inside.localPathCleaner, 'start').mockImplementation(() => {}),
  };
  return { agent, inside, started };
}

/** How start() ended, or that it had not within a second. */
const outcomeOf = (starting: Promise<void>) => {
  const settled = starting.then(() => 'started', (e: Error) => e.message);
  return () => Promise.race([settled, new Promise((r) => setTimeout(r, 1000)).then(() => 'still starting')]);
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a node agent stopped while it starts', () => {
  it('during its first lease renewal: start() rejects, and starts no informer and no interval after the stop', async () => {
    const { agent, inside, started } = agentWithFakes();
    const renewal = latch();
    const renewing = latch();
    vi.spyOn(inside.nodeStatus, 'renewLease').mockImplementation(() => (renewing.open(), renewal.wait));
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const outcome = outcomeOf(agent.start());
    await renewing.wait;
    await agent.stop();
    const atStop = intervals.mock.calls.length;
    renewal.open();
    expect(await outcome()).toBe('the node agent has stopped');
    expect(intervals.mock.calls.length).toBe(atStop);
    expect(started.nodes).not.toHaveBeenCalled();
    expect(started.pods).not.toHaveBeenCalled();
    expect(started.services).not.toHaveBeenCalled();
    expect(started.localPaths).not.toHaveBeenCalled();
  });

  it('during the informers\' first sync (which a stopped informer never ends): start() rejects at once and starts no periodic work', async () => {
    const { agent, inside, started } = agentWithFakes();
    vi.spyOn(inside.nodeStatus, 'renewLease').mockResolvedValue();
    const syncing = latch();
    vi.spyOn(inside.podInformer, 'hasSynced').mockImplementation(() => (syncing.open(), new Promise<void>(() => {})));
    vi.spyOn(inside.nodeInformer, 'hasSynced').mockReturnValue(new Promise<void>(() => {}));
    const intervals = vi.spyOn(globalThis, 'setInterval');
    const outcome = outcomeOf(agent.start());
    await syncing.wait;
    expect(started.pods).toHaveBeenCalled();
    await agent.stop();
    const atStop = intervals.mock.calls.length;
    expect(await outcome()).toBe('the node agent has stopped');
    expect(intervals.mock.calls.length).toBe(atStop);
    expect(started.localPaths).not.toHaveBeenCalled();
  });
});
