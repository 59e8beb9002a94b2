// A pod worker's dependencies with no node behind them, for unit tests of PodWorker: the runtime
// answers the methods given (listing no sandbox and no container unless told otherwise) and
// records every other call as `runtime.<method>` in `calls`, as the network's set-up and
// tear-down, confirmDeleted and finished are recorded; `more` replaces any dependency.
import type { WorkerDeps } from '../../pkg/nodeagent/pod-worker.js';

export function fakeWorkerDeps(runtime: Record<string, unknown> = {}, more: Partial<WorkerDeps> = {}, calls: string[] = []): WorkerDeps {
  const rt = { listPodSandbox: async () => [], listContainers: async () => [], ...runtime };
  return {
    runtime: new Proxy(rt, { get: (t, k: string) => (k in t ? t[k as keyof typeof t] : async () => void calls.push(`runtime.${k}`)) }),
    network: async () => ({ setupPod: async () => (calls.push('setupPod'), { ip: '10.199.0.9' }), teardownPod: async () => void calls.push('teardownPod') }),
    dnsServers: () => [],
    hostIP: '192.0.2.1',
    podsDir: '/nonexistent/pods',
    event: () => {},
    statusChanged: () => {},
    reportTerminal: async () => true,
    confirmDeleted: async () => void calls.push('confirmDeleted'),
    finished: () => void calls.push('finished'),
    ...more,
  } as unknown as WorkerDeps;
}
