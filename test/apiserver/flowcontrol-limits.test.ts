// API Priority and Fairness limiting, against the real apiserver and etcd: a priority level of
// few seats and one queue (a PriorityLevelConfiguration and a FlowSchema for one test user),
// saturated by requests whose bodies are held back (a request holds its seat while it executes),
// then queued requests, one rejected at once (queue full), one that gives up after a quarter of
// its ?timeout= (time-out), both answered 429 as 1.32 writes it, while other flows are served
// and a queued request runs once a seat frees; and the apiserver_flowcontrol_* metrics.
import { request, type RequestOptions } from 'node:https';
import type { ClientRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowSchema, PriorityLevelConfiguration } from '../../pkg/api/types.js';
import { core, FlowSchemas, PriorityLevelConfigurations } from '../../pkg/client/rest-client.js';
import { eventually, rawRequest, startControlPlane, type RawReply, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
beforeAll(async () => {
  cp = await startControlPlane({}, { serviceAccountControllers: false });
}, 60_000);
afterAll(async () => {
  await cp?.stop();
});

function options(path: string, method: string, as?: string): RequestOptions {
  const u = new URL(cp.config.server);
  return { host: u.hostname, port: u.port, path, method, ca: cp.server.caCert, agent: false, headers: { Authorization: `Bearer ${cp.config.token}`, ...(as ? { 'Impersonate-User': as } : {}) } };
}

/** A request with the admin's token, impersonating `as` when given. */
const call = (path: string, as?: string) => rawRequest(cp, path, { agent: false, headers: as ? { 'Impersonate-User': as } : {} });

/** A SelfSubjectAccessReview whose body is held back: it holds a seat until released. */
function holder(as: string): { req: ClientRequest; answer: Promise<RawReply>; release(): void } {
  const body = JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { nonResourceAttributes: { path: '/version', verb: 'get' } } });
  const o = options('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', 'POST', as);
  o.headers = { ...o.headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
  let req!: ClientRequest;
  const answer = new Promise<RawReply>((resolve, reject) => {
    req = request(o, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
  });
  answer.catch(() => {});
  req.flushHeaders();
  return { req, answer, release: () => req.end(body) };
}

const metrics = async () => (await cp.admin.request<string>('/metrics', { accept: 'text/plain' })).split('\n');
const sample = (lines: string[], prefix: string) => Number(lines.find((l) => l.startsWith(prefix))?.split(' ').pop() ?? NaN);
/** A series' value by its name and labels, whatever the order the page writes them in (client_golang sorts them). */
const sampleOf = (lines: string[], name: string, labels: string[]) => Number(lines.find((l) => l.startsWith(`${name}{`) && labels.every((x) => l.includes(`{${x}`) || l.includes(`,${x}`)))?.split(' ').pop() ?? NaN);

describe('API Priority and Fairness limits', () => {
  it('queues past a level\'s seats, rejects 429 when its queue is full or a wait times out, and serves other flows meanwhile', async () => {
    // (one share of 246: ceil(600 * 1 / 246) = 3 seats, none borrowed (1.32 would lend it idle seats otherwise); one queue of two)
    const level = await cp.admin.create<PriorityLevelConfiguration>(PriorityLevelConfigurations, undefined, {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'PriorityLevelConfiguration',
      metadata: { name: 'apf-test' },
      spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, borrowingLimitPercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 2 } } } },
    });
    const schema = await cp.admin.create<FlowSchema>(FlowSchemas, undefined, {
      apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
      kind: 'FlowSchema',
      metadata: { name: 'apf-test' },
      spec: {
        priorityLevelConfiguration: { name: 'apf-test' },
        matchingPrecedence: 100,
        distinguisherMethod: { type: 'ByUser' },
        rules: [{ subjects: [{ kind: 'User', user: { name: 'dave' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], clusterScope: true, namespaces: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] }],
      },
    });
    await eventually(async () => (await call('/version', 'dave')).headers['x-kubernetes-pf-flowschema-uid'] === schema.metadata!.uid, { what: 'dave classified under apf-test' });
    expect(sample(await metrics(), 'apiserver_flowcontrol_nominal_limit_seats{priority_level="apf-test"}')).toBe(3);

    const holders = [holder('dave'), holder('dave'), holder('dave')];
    const executing = async () => sample(await metrics(), 'apiserver_flowcontrol_current_executing_requests{flow_schema="apf-test",priority_level="apf-test"}');
    const inQueue = async () => sample(await metrics(), 'apiserver_flowcontrol_current_inqueue_requests{flow_schema="apf-test",priority_level="apf-test"}');
    try {
      await eventually(async () => (await executing()) === 3, { what: 'three seats held' });
      // two wait in the queue (15 s each: a quarter of the 60 s request timeout)
      const waiting = [call('/version', 'dave'), call('/version', 'dave')];
      await eventually(async () => (await inQueue()) === 2, { what: 'two requests queued' });
      // the queue is full: the next is refused at once, as 1.32's tooManyRequests writes it
      const refused = await call('/version', 'dave');
      expect(refused.status).toBe(429);
      expect(refused.body).toBe('Too many requests, please try again later.\n');
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(refused.headers['x-content-type-options']).toBe('nosniff');
      expect(refused.headers['x-kubernetes-pf-flowschema-uid']).toBe(schema.metadata!.uid);
      expect(refused.headers['x-kubernetes-pf-prioritylevel-uid']).toBe(level.metadata!.uid);
      // other flows are served: the admin (exempt) and another user (global-default)
      expect((await call('/api/v1/namespaces')).status).toBe(200);
      expect((await call('/version', 'erin')).status).toBe(200);
      // a seat freed: the waiting requests run, one after the other
      holders[0]!.release();
      expect((await holders[0]!.answer).status).toBe(201);
      for (const w of await Promise.all(waiting)) {
        expect(w.status).toBe(200);
        expect(w.headers['x-kubernetes-pf-flowschema-uid']).toBe(schema.metadata!.uid);
      }
      // the seats full again, a request with ?timeout=2s gives up after 500 ms in its queue
      holders.push(holder('dave'));
      await eventually(async () => (await executing()) === 3, { what: 'three seats held again' });
      const started = Date.now();
      const gaveUp = await call('/version?timeout=2s', 'dave');
      expect(gaveUp.status).toBe(429);
      expect(gaveUp.body).toBe('Too many requests, please try again later.\n');
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      const lines = await metrics();
      expect(sample(lines, 'apiserver_flowcontrol_rejected_requests_total{flow_schema="apf-test",priority_level="apf-test",reason="queue-full"}')).toBe(1);
      expect(sample(lines, 'apiserver_flowcontrol_rejected_requests_total{flow_schema="apf-test",priority_level="apf-test",reason="time-out"}')).toBe(1);
      expect(sample(lines, 'apiserver_flowcontrol_current_inqueue_requests{flow_schema="apf-test",priority_level="apf-test"}')).toBe(0);
      expect(sampleOf(lines, 'apiserver_flowcontrol_request_wait_duration_seconds_count', ['flow_schema="apf-test"', 'priority_level="apf-test"', 'execute="false"'])).toBe(1);
      expect(sample(lines, 'apiserver_flowcontrol_dispatched_requests_total{flow_schema="exempt",priority_level="exempt"}')).toBeGreaterThan(0);
      // Both refusals counted as the APF filter counts them: a termination in self-defense
      // (RecordRequestTermination, the path as subresource) and a 429 request (RecordDroppedRequest).
      expect(sampleOf(lines, 'apiserver_request_terminations_total', ['verb="GET"', 'group=""', 'version=""', 'resource=""', 'subresource="/version"', 'scope=""', 'component="apiserver"', 'code="429"'])).toBe(2);
      expect(sampleOf(lines, 'apiserver_request_total', ['verb="GET"', 'dry_run=""', 'group=""', 'version=""', 'resource=""', 'subresource=""', 'scope=""', 'component="apiserver"', 'code="429"'])).toBe(2);
    } finally {
      for (const h of holders) h.req.destroy();
    }
    await eventually(async () => sample(await metrics(), 'apiserver_flowcontrol_current_executing_requests{flow_schema="apf-test",priority_level="apf-test"}') === 0, { what: 'the seats given back' });
  });

  it('charges a LIST the seats of the objects it goes through (the list work estimator), a named one 1', async () => {
    // (350 ConfigMaps stored: a LIST from the watch cache goes through each, ceil(350/100) = 4 seats,
    // within global-default's max of 8; a fieldSelector naming one object is 1 seat)
    const ConfigMaps = core('configmaps');
    for (let i = 0; i < 350; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `seat-${i + j}` } })));
    }
    const bucket = async (le: string) => sampleOf(await metrics(), 'apiserver_flowcontrol_work_estimated_seats_bucket', [`le="${le}"`, 'flow_schema="global-default"', 'priority_level="global-default"']) || 0;
    const [one, two, four] = [await bucket('1'), await bucket('2'), await bucket('4')];
    const list = await call('/api/v1/namespaces/default/configmaps', 'erin');
    expect(list.headers['x-kubernetes-pf-prioritylevel-uid']).toBeDefined();
    expect([await bucket('1'), await bucket('2'), await bucket('4')]).toEqual([one, two, four + 1]);
    await call('/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dseat-7', 'erin');
    await call('/api/v1/namespaces/default/configmaps/seat-7', 'erin');
    expect([await bucket('1'), await bucket('2'), await bucket('4')]).toEqual([one + 2, two + 2, four + 3]);
  });

  it('charges a write the final seats of the watches its event goes to (the mutating work estimator), while they are open', async () => {
    // (25 watches of default's ConfigMaps: a create there by a global-default user takes ceil(25/10) = 3 seats)
    const watches = await Promise.all(
      Array.from(
        { length: 25 },
        () =>
          new Promise<ClientRequest>((resolve, reject) => {
            const req = request(options('/api/v1/namespaces/default/configmaps?watch=true', 'GET'), (res) => (res.statusCode === 200 ? resolve(req) : reject(new Error(`watch answered ${res.statusCode}`))));
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    const bucket = async (le: string) => sampleOf(await metrics(), 'apiserver_flowcontrol_work_estimated_seats_bucket', [`le="${le}"`, 'flow_schema="global-default"', 'priority_level="global-default"']) || 0;
    const createAs = (name: string) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
        const o = options('/api/v1/namespaces/default/configmaps', 'POST', 'erin');
        o.headers = { ...o.headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
        const req = request(o, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const [one, two, four] = [await bucket('1'), await bucket('2'), await bucket('4')];
      await createAs('watched-1');
      expect([await bucket('1'), await bucket('2'), await bucket('4')]).toEqual([one, two, four + 1]);
    } finally {
      for (const w of watches) w.destroy();
    }
    // (closed, they are no longer counted)
    await eventually(async () => {
      const ones = await bucket('1');
      await createAs(`watched-${Date.now()}`);
      return (await bucket('1')) === ones + 1;
    }, { what: 'a create charged 1 seat once the watches closed' });
  });

  it('counts a watch\'s seat only until the watch is established', async () => {
    const before = sample(await metrics(), 'apiserver_flowcontrol_request_execution_seconds_count{flow_schema="exempt",priority_level="exempt",type="watch"}') || 0;
    const watch = await new Promise<ClientRequest>((resolve, reject) => {
      const req = request(options('/api/v1/namespaces/default/configmaps?watch=true', 'GET'), (res) => {
        if (res.statusCode === 200) resolve(req);
        else reject(new Error(`watch answered ${res.statusCode}`));
      });
      req.on('error', reject);
      req.end();
    });
    try {
      const lines = await metrics();
      expect(sample(lines, 'apiserver_flowcontrol_request_execution_seconds_count{flow_schema="exempt",priority_level="exempt",type="watch"}')).toBe(before + 1);
      // (the scrape itself is the one exempt request executing)
      expect(sample(lines, 'apiserver_flowcontrol_current_executing_requests{flow_schema="exempt",priority_level="exempt"}')).toBe(1);
    } finally {
      watch.destroy();
    }
  });
});
