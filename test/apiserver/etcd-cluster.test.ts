// The apiserver on an external 3-member etcd cluster (--etcd-servers): it does not start its
// own etcd; kill -9 of one member under steady pod churn loses nothing and surfaces no error
// beyond what a client retry absorbs; watches keep going.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pods, StatusError, type WatchEvent } from '../../pkg/client/rest-client.js';
import { EtcdCluster } from '../helpers/etcd-cluster.js';
import { eventually, pod, startControlPlane, sleep, type TestControlPlane } from '../helpers/control-plane.js';

let etcd: EtcdCluster;
let cp: TestControlPlane;

beforeAll(async () => {
  etcd = new EtcdCluster();
  await etcd.start(3);
  cp = await startControlPlane({ etcdServers: etcd.endpoints });
});
afterAll(async () => {
  await cp?.stop();
  await etcd?.stop();
});

/** A client call retried on 5xx and connection errors, as client-go retries. */
async function retrying<T>(fn: () => Promise<T>, errors: string[]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const retryable = !(e instanceof StatusError) || e.code >= 500;
      if (!retryable || attempt >= 20) throw e;
      errors.push(e instanceof Error ? e.message : String(e));
      await sleep(250);
    }
  }
}

describe('external etcd cluster', () => {
  it('uses the given endpoints and runs no embedded etcd', () => {
    expect(cp.server.etcdEndpoints).toEqual(etcd.endpoints);
    expect((cp.server as unknown as { etcd?: unknown }).etcd).toBeUndefined();
  });

  it('survives kill -9 of one member under churn with nothing lost', async () => {
    const start = (await cp.admin.list(Pods, 'default')).metadata.resourceVersion!;
    const seen = new Set<string>();
    const watch = await cp.admin.watch(Pods, 'default', { resourceVersion: start, labelSelector: 'churn=yes' }, (e: WatchEvent) => {
      if (e.type === 'ADDED') seen.add(e.object.metadata!.name!);
    });
    const retried: string[] = [];
    const created: string[] = [];
    let stop = false;
    const churn = (async () => {
      for (let i = 0; !stop && i < 400; i++) {
        const name = `churn-${i}`;
        await retrying(async () => {
          try {
            await cp.admin.create(Pods, 'default', { ...pod(name), metadata: { name, labels: { churn: 'yes' } } });
          } catch (e) {
            // A create whose reply was lost may have been applied: that is success.
            if (e instanceof StatusError && e.code === 409) return;
            throw e;
          }
        }, retried);
        created.push(name);
        if (i % 3 === 0 && i > 0) await retrying(() => cp.admin.delete(Pods, 'default', `churn-${i - 1}`).catch((e) => (e instanceof StatusError && e.code === 404 ? undefined : Promise.reject(e))), retried);
      }
    })();
    await sleep(1500);
    // Kill the member the apiserver was most likely talking to first.
    etcd.kill(0);
    await sleep(3000);
    stop = true;
    await churn;
    expect(created.length).toBeGreaterThan(20);
    const deleted = new Set(created.filter((_, i) => i % 3 === 2 && i + 1 < created.length).map((n) => n));
    const list = await cp.admin.list(Pods, 'default', { labelSelector: 'churn=yes' });
    const names = new Set(list.items.map((p) => p.metadata!.name!));
    for (const n of created) if (!deleted.has(n)) expect(names.has(n), `${n} exists`).toBe(true);
    await eventually(() => created.every((n) => seen.has(n)), { timeoutMs: 15_000, what: 'every created pod seen on the watch' });
    watch.stop();
    // Retries, if any, were transient: none is left unanswered (the loop above would have thrown).
    expect(retried.length).toBeLessThan(50);
    await etcd.restart(0);
  });
});
