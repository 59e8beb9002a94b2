// Manifests and a fake kubelet for workload tests: a Deployment or ReplicaSet of one busybox
// container, and marking pods Running and Ready through the status subresource as a node agent
// would (so controller tests need no containers).
import type { KubeObject } from '../../pkg/api/types.js';
import { Pods, RestClient } from '../../pkg/client/rest-client.js';
import { controllerManagerUserAgent, kubeletUserAgent, schedulerUserAgent } from '../../pkg/client/user-agent.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tokenFor } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { ControllerManager, defaultControllerConfig, type ControllerManagerConfig } from '../../pkg/controllers/manager.js';
import { Scheduler } from '../../pkg/scheduler/scheduler.js';
import { startControlPlane, type TestControlPlane } from './control-plane.js';

export function replicaSet(name: string, replicas = 2, labels: Record<string, string> = { app: name }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } } },
  };
}

export function deployment(name: string, replicas = 2, spec: Record<string, unknown> = {}): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }, ...spec },
  };
}

export function daemonSet(name: string, podSpec: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...podSpec } }, ...spec },
  };
}

export function statefulSet(name: string, replicas = 2, spec: Record<string, unknown> = {}): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name },
    spec: { replicas, serviceName: name, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] } }, ...spec },
  };
}

/** Marks a pod Running and Ready (ready and started since `readySince`), as a node agent reports it. */
export async function markReady(client: RestClient, p: KubeObject, readySince = new Date()): Promise<void> {
  const t = readySince.toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    ...(p.status as object),
    phase: 'Running',
    // (a running pod has a start time: the autoscaler's readiness rules need it)
    startTime: (p.status as { startTime?: string } | undefined)?.startTime ?? t,
    conditions: [
      { type: 'Ready', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
    ],
  };
  await client.update(Pods, p.metadata!.namespace, p.metadata!.name!, { ...p, status }, 'status');
}

/** Marks every not-yet-ready, not-deleting pod matching `selector` ready; returns how many. */
export async function readyAll(client: RestClient, selector: string, namespace = 'default'): Promise<number> {
  const { items } = await client.list(Pods, namespace, { labelSelector: selector });
  let n = 0;
  for (const p of items) {
    const ready = ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
    if (ready || p.metadata?.deletionTimestamp) continue;
    await markReady(client, p).catch(() => undefined);
    n++;
  }
  return n;
}

/**
 * A control plane with the controller manager running (no leader election, no pod CIDRs),
 * talking REST or, as in a cluster by default, gRPC; restartControllers() replaces the controller
 * manager with a new one (fresh informers, as after a restart); stop() ends both.
 */
export async function startWithControllers(transport: 'rest' | 'grpc' = 'rest', config: Partial<ControllerManagerConfig> = {}): Promise<{ cp: TestControlPlane; restartControllers(): Promise<void>; stop(): Promise<void> }> {
  const cp = await startControlPlane(transport === 'grpc' ? { grpcPort: 0 } : {});
  // (writing as 1.32's controller manager does: its user agent makes its field manager kube-controller-manager)
  const client =
    transport === 'grpc'
      ? new GrpcApiClient(readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim(), { caCert: readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'), token: tokenFor(join(cp.dataDir, 'tokens.csv'), 'system:kube-controller-manager')!, userAgent: controllerManagerUserAgent() })
      : new RestClient(cp.config, { userAgent: controllerManagerUserAgent() });
  const cfg = { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: false, ...config };
  let cm = new ControllerManager(client, cfg);
  try {
    await cm.start();
  } catch (e) {
    client.close();
    await cp.stop();
    throw e;
  }
  return {
    cp,
    async restartControllers() {
      await cm.stop();
      cm = new ControllerManager(client, cfg);
      await cm.start();
    },
    async stop() {
      await cm.stop();
      client.close();
      await cp.stop();
    },
  };
}

/** A batch/v1 Job of one busybox container that must not restart. */
export function job(name: string, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox:1.36', command: ['true'] }] } }, ...spec },
  };
}

/** Ends a pod in `phase` (Succeeded or Failed) through the status subresource, as a node agent reports it. */
export async function finishPod(client: RestClient, p: KubeObject, phase: 'Succeeded' | 'Failed'): Promise<void> {
  // A controller (the fake kubelet, the disruption controller's conditions) may write the pod in
  // between: on a conflict, read it again and retry, as a node agent does.
  for (let attempt = 0; ; attempt++) {
    try {
      return await finishPodOnce(client, p, phase);
    } catch (e) {
      if (attempt >= 5 || (e as { code?: number }).code !== 409) throw e;
      p = await client.get(Pods, p.metadata!.namespace, p.metadata!.name!);
    }
  }
}

async function finishPodOnce(client: RestClient, p: KubeObject, phase: 'Succeeded' | 'Failed'): Promise<void> {
  const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const exitCode = phase === 'Succeeded' ? 0 : 1;
  // An ended pod is not Ready, as the kubelet reports it (reason PodCompleted): the fake kubelet
  // may have marked it Ready first, and a stale Ready condition made the pod count as healthy.
  const conditions = ((p.status as { conditions?: { type: string }[] } | undefined)?.conditions ?? [])
    .filter((c) => c.type !== 'Ready' && c.type !== 'ContainersReady')
    .concat(['Ready', 'ContainersReady'].map((type) => ({ type, status: 'False', reason: 'PodCompleted', lastTransitionTime: t })));
  const status = {
    ...(p.status as object),
    phase,
    conditions,
    containerStatuses: [{ name: 'main', image: 'busybox:1.36', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: t, finishedAt: t } } }],
  };
  await client.update(Pods, p.metadata!.namespace, p.metadata!.name!, { ...p, status }, 'status');
}
/**
 * A fake kubelet for every node: pods bound to a node are marked Running and Ready (when
 * `ready(pod)` says so) unless they have ended, and a bound pod being deleted is removed (when `confirmDelete(pod)`
 * says so), as an agent confirms a graceful delete. Polls every 100 ms; stop() ends it.
 */
export function fakeKubelet(client: RestClient, ready: (p: KubeObject) => boolean = () => true, confirmDelete: (p: KubeObject) => boolean = () => true): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { items } = await client.list(Pods, undefined).catch(() => ({ items: [] as KubeObject[] }));
      for (const p of items) {
        if (!(p.spec as { nodeName?: string }).nodeName) continue;
        if (p.metadata?.deletionTimestamp) {
          if (confirmDelete(p)) await client.delete(Pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid } }).catch(() => undefined);
          continue;
        }
        // A pod that has run to its end stays ended (a real kubelet never runs it again).
        const phase = (p.status as { phase?: string } | undefined)?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') continue;
        const isReady = ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
        if (!isReady && ready(p)) await markReady(client, p).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/**
 * startWithControllers plus a scheduler and a fakeKubelet (nodes are API objects the test
 * creates): what controller tests of pods that must be scheduled and become Ready need.
 */
export async function startWithScheduler(
  transport: 'rest' | 'grpc',
  config: Partial<ControllerManagerConfig>,
  kubelet: { ready?: (p: KubeObject) => boolean; confirmDelete?: (p: KubeObject) => boolean } = {},
): Promise<{ cp: TestControlPlane; stop(): Promise<void> }> {
  const env = await startWithControllers(transport, config);
  // (the scheduler and the fake kubelet write as kube-scheduler and kubelet, as in 1.32)
  const schedClient = new RestClient(env.cp.config, { userAgent: schedulerUserAgent() });
  const kubeletClient = new RestClient(env.cp.config, { userAgent: kubeletUserAgent() });
  const sched = new Scheduler(schedClient, { leaderElect: false, queue: { initialBackoffMs: 100, maxBackoffMs: 500, unschedulableFlushMs: 1000 } });
  await sched.start();
  const k = fakeKubelet(kubeletClient, kubelet.ready, kubelet.confirmDelete);
  return {
    cp: env.cp,
    async stop() {
      await k.stop();
      await sched.stop();
      schedClient.close();
      kubeletClient.close();
      await env.stop();
    },
  };
}
