// API Priority and Fairness over the gRPC frontend, against the real apiserver and etcd: a node
// agent's calls are classified by the bootstrap FlowSchema system-nodes as its REST requests are;
// a level of three seats and a queue of one, saturated by gets that etcd (frozen) holds, queues
// the next call and refuses the one after with RESOURCE_EXHAUSTED, the 429 Status and a
// retry-after, which GrpcApiClient honours; a watch holds its seat only while it is set up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient as GeneratedClient } from '../../pkg/api/generated/tskube/api/v1/api.js';
import type { FlowSchema, PriorityLevelConfiguration } from '../../pkg/api/types.js';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { FlowSchemas, Nodes, PodMetricsRef, Pods, PriorityLevelConfigurations, StatusError } from '../../pkg/client/rest-client.js';
import { eventually, freezeEtcd, node, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let address: string;
let ca: string;
const clients: GrpcApiClient[] = [];

beforeAll(async () => {
  // (a 4 s deadline: a call may wait 1 s in its queue)
  cp = await startControlPlane({ grpcPort: 0, requestTimeoutMs: 4000 }, { serviceAccountControllers: false });
  address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
  ca = readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8');
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.close();
  await cp?.stop();
});

function nodeClient(name: string): { client: GrpcApiClient; token: string } {
  const token = ensureNodeToken(join(cp.dataDir, 'tokens.csv'), name);
  const client = new GrpcApiClient(address, { caCert: ca, token });
  clients.push(client);
  return { client, token };
}

const metrics = async () => (await cp.admin.request<string>('/metrics', { accept: 'text/plain' })).split('\n');
/** A series: its name and labels, in whatever order the page writes them. */
const series = (name: string, fs: string, pl: string, extra = '') => ({ name: `${name}{`, labels: [`flow_schema="${fs}"`, `priority_level="${pl}"`, ...(extra ? [extra.slice(1)] : [])] });
const sample = (lines: string[], s: { name: string; labels: string[] }) => Number(lines.find((l) => l.startsWith(s.name) && s.labels.every((x) => l.includes(`{${x}`) || l.includes(`,${x}`)))?.split(' ').pop() ?? NaN);

describe('API Priority and Fairness over gRPC', () => {
  it('classifies a node agent\'s calls by the bootstrap schemas, as its REST requests: its Node under system-node-high, its pods under system-nodes', async () => {
    const { client } = nodeClient('apf-n2');
    await cp.admin.create(Nodes, undefined, node('apf-n2'));
    const high = series('apiserver_flowcontrol_dispatched_requests_total', 'system-node-high', 'node-high');
    const nodes = series('apiserver_flowcontrol_dispatched_requests_total', 'system-nodes', 'system');
    const lines = await metrics();
    const [highBefore, nodesBefore] = [sample(lines, high) || 0, sample(lines, nodes) || 0];
    await client.get(Nodes, undefined, 'apf-n2');
    await client.list(Pods, undefined, { fieldSelector: 'spec.nodeName=apf-n2' });
    // (a metrics.k8s.io list too, whatever its answer)
    await client.list(PodMetricsRef, 'default').catch(() => undefined);
    const after = await metrics();
    expect([sample(after, high), sample(after, nodes)]).toEqual([highBefore + 1, nodesBefore + 2]);
  });

  it('queues past a level\'s seats and refuses past its queue with RESOURCE_EXHAUSTED and retry-after; the client retries', async () => {
    const { client, token } = nodeClient('apf-n1');
    await cp.admin.create(Nodes, undefined, node('apf-n1'));
    // (one share of 246: ceil(600 * 1 / 246) = 3 seats, none borrowed; one queue of one)
    await cp.admin.create<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'grpc-test' },
      spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, borrowingLimitPercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 1 } } } },
    });
    await cp.admin.create<FlowSchema>(FlowSchemas, undefined, {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'grpc-test' },
      spec: {
        priorityLevelConfiguration: { name: 'grpc-test' },
        matchingPrecedence: 100,
        distinguisherMethod: { type: 'ByUser' },
        rules: [{ subjects: [{ kind: 'User', user: { name: 'system:node:apf-n1' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }] }],
      },
    });
    const executing = series('apiserver_flowcontrol_current_executing_requests', 'grpc-test', 'grpc-test');
    const inQueue = series('apiserver_flowcontrol_current_inqueue_requests', 'grpc-test', 'grpc-test');
    const queueFull = series('apiserver_flowcontrol_rejected_requests_total', 'grpc-test', 'grpc-test', ',reason="queue-full"');
    await eventually(async () => (await client.get(Nodes, undefined, 'apf-n1'), sample(await metrics(), series('apiserver_flowcontrol_dispatched_requests_total', 'grpc-test', 'grpc-test')) > 0), { what: 'apf-n1 classified under grpc-test' });

    // (a raw client, which does not retry, to see the refusal as sent)
    const raw = new GeneratedClient(address, grpc.credentials.createSsl(Buffer.from(ca)), { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${token}`);
    const rawGet = () =>
      new Promise<grpc.ServiceError | null>((resolve) => raw.get({ group: '', version: 'v1', resource: 'nodes', namespace: '', name: 'apf-n1', subresource: '' }, md, (err) => resolve(err)));
    let thaw = await freezeEtcd(cp);
    try {
      // three gets held by etcd take the three seats; the fourth waits in the queue
      const held = [0, 1, 2].map(() => client.get(Nodes, undefined, 'apf-n1').then(() => 200, (e: StatusError) => e.code));
      await eventually(async () => sample(await metrics(), executing) === 3, { what: 'three seats held' });
      const queued = client.get(Nodes, undefined, 'apf-n1').then(() => 200, (e: StatusError) => e.code);
      await eventually(async () => sample(await metrics(), inQueue) === 1, { what: 'one call queued' });
      // the queue is full: refused at once, as 1.32 refuses the REST request
      const refused = await rawGet();
      expect(refused?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(refused?.details).toBe('Too many requests, please try again later.');
      expect(refused?.metadata.get('retry-after')).toEqual(['1']);
      expect(JSON.parse(String(refused?.metadata.get('k8s-status')[0]))).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
      expect(sample(await metrics(), queueFull)).toBe(1);
      // GrpcApiClient is refused too, and retries after the second asked: by then the seats are free
      const started = Date.now();
      const retried = client.get(Nodes, undefined, 'apf-n1');
      await eventually(async () => sample(await metrics(), queueFull) === 2, { what: 'the client refused' });
      thaw();
      thaw = () => {};
      expect((await retried).metadata?.name).toBe('apf-n1');
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(await Promise.all(held)).toEqual([200, 200, 200]);
      expect(await queued).toBe(200);
    } finally {
      thaw();
      raw.close();
    }
    await eventually(async () => sample(await metrics(), executing) === 0, { what: 'the seats given back' });

    // a watch holds its seat while it is set up, not while it runs
    const events: unknown[] = [];
    const watch = await client.watch(Nodes, undefined, { fieldSelector: 'metadata.name=apf-n1' }, (e) => events.push(e));
    try {
      const lines = await metrics();
      expect(sample(lines, series('apiserver_flowcontrol_request_execution_seconds_count', 'grpc-test', 'grpc-test', ',type="watch"'))).toBe(1);
      expect(sample(lines, executing)).toBe(0);
    } finally {
      watch.stop();
    }
  });
});
