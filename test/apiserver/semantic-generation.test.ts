// Generation and immutability against apiserver+etcd as 1.32 decides them with
// apiequality.Semantic.DeepEqual over the Go types: a quantity spelled another way, or a list sent
// empty that is stored as none (protobuf keeps no empty list), is no change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../pkg/api/types.js';
import { Deployments, EndpointSlices, Jobs } from '../../pkg/client/rest-client.js';
import { startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';
import { deployment } from '../helpers/workloads.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

describe('Semantic.DeepEqual decides', () => {
  it('a Deployment PUT that writes cpu: "1" as 1000m keeps its generation', async () => {
    const d = deployment('cpu', 1);
    const containers = (o: KubeObject) => (o.spec as { template: { spec: { containers: { resources?: unknown }[] } } }).template.spec.containers;
    containers(d)[0]!.resources = { limits: { cpu: '1' }, requests: { cpu: '500m' } };
    const made = await cp.admin.create(Deployments, 'default', d);
    expect(made.metadata?.generation).toBe(1);
    containers(made)[0]!.resources = { limits: { cpu: '1000m' }, requests: { cpu: '0.5' } };
    const put = await cp.admin.update(Deployments, 'default', 'cpu', made);
    expect(put.metadata?.generation).toBe(1);
    expect(containers(put)[0]!.resources).toEqual({ limits: { cpu: '1' }, requests: { cpu: '500m' } });
    containers(put)[0]!.resources = { limits: { cpu: '2' }, requests: { cpu: '500m' } };
    expect((await cp.admin.update(Deployments, 'default', 'cpu', put)).metadata?.generation).toBe(2);
  });

  it('an EndpointSlice PUT again with endpoints: [] and ports: [] keeps its generation (stored as null)', async () => {
    const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'empty', namespace: 'default' }, addressType: 'IPv4', endpoints: [], ports: [] };
    const made = await cp.admin.create(EndpointSlices, 'default', slice);
    expect([made.endpoints, made.metadata?.generation]).toEqual([null, 1]);
    const put = await cp.admin.update(EndpointSlices, 'default', 'empty', { ...slice, metadata: { ...made.metadata, annotations: { a: 'b' } } });
    expect(put.metadata?.generation).toBe(1);
    const moved = await cp.admin.update(EndpointSlices, 'default', 'empty', { ...slice, metadata: put.metadata, endpoints: [{ addresses: ['10.0.0.1'] }] });
    expect(moved.metadata?.generation).toBe(2);
  });

  it('a Job PUT again with podFailurePolicy.rules: [] is no change to the immutable policy', async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pfp', namespace: 'default' },
      spec: { podFailurePolicy: { rules: [] }, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    };
    const made = await cp.admin.create(Jobs, 'default', job);
    expect((made.spec as { podFailurePolicy: unknown }).podFailurePolicy).toEqual({ rules: null });
    const put = await cp.admin.update(Jobs, 'default', 'pfp', { ...made, metadata: { ...made.metadata, labels: { ...made.metadata?.labels, x: 'y' } }, spec: { ...(made.spec as object), podFailurePolicy: { rules: [] } } });
    expect([put.metadata?.labels?.x, put.metadata?.generation]).toEqual(['y', 1]);
  });
});
