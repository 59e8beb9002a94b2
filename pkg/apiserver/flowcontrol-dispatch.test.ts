import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS, SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../api/flowcontrol-bootstrap.js';
import type { FlowSchema, PriorityLevelConfiguration } from '../api/types.js';
import { matchesFlowSchema, type FlowRequest } from './flowcontrol-config.js';
import { DroppedRequests, FlowDispatcher, queueWaitLimitMs, serverConcurrencyLimit, type FlowConfigSource } from './flowcontrol-dispatch.js';
import { FakeClock } from '../../test/helpers/fake-queueset-clock.js';

const withUid = <T extends FlowSchema | PriorityLevelConfiguration>(o: T): T => ({ ...o, metadata: { ...o.metadata, uid: `uid-${o.kind}-${o.metadata!.name}` } });

/** The bootstrap configuration (with uids), plus extra objects. */
function source(extraLevels: PriorityLevelConfiguration[] = [], extraSchemas: FlowSchema[] = []): FlowConfigSource {
  const levels = new Map([...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS, ...extraLevels].map((p) => [p.metadata!.name!, withUid(p)]));
  const schemas = [...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS, ...extraSchemas].map(withUid).sort((a, b) => a.spec!.matchingPrecedence! - b.spec!.matchingPrecedence! || a.metadata!.name!.localeCompare(b.metadata!.name!));
  return { current: () => ({ revision: '1', schemas, levels }), match: (r) => schemas.find((f) => matchesFlowSchema(f, r)) };
}

const metric = async (name: string) => (await register.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#'));

// (borrowingLimitPercent 0: it borrows nothing, so its current seats stay its nominal 3)
const tiny: PriorityLevelConfiguration = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'tiny-reject' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, borrowingLimitPercent: 0, limitResponse: { type: 'Reject' } } } };
const tinySchema: FlowSchema = {
  apiVersion: 'flowcontrol.apiserver.k8s.io/v1',
  kind: 'FlowSchema',
  metadata: { name: 'tiny-users' },
  spec: { priorityLevelConfiguration: { name: 'tiny-reject' }, matchingPrecedence: 50, distinguisherMethod: { type: 'ByUser' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'tiny' } }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] }] },
};

describe('FlowDispatcher', () => {
  it('divides 600 seats among the levels by nominalConcurrencyShares, as 1.32 reports nominal_limit_seats', async () => {
    const d = new FlowDispatcher(source());
    d.classify({ user: { name: 'x', groups: [] }, verb: 'get', path: '/version' });
    const lines = await metric('apiserver_flowcontrol_nominal_limit_seats');
    // (shares 5+30+40+10+40+100+20 = 245; exempt has 0)
    for (const [pl, n] of [['catch-all', 13], ['exempt', 0], ['global-default', 49], ['leader-election', 25], ['node-high', 98], ['system', 74], ['workload-high', 98], ['workload-low', 245]] as const) {
      expect(lines).toContain(`apiserver_flowcontrol_nominal_limit_seats{priority_level="${pl}"} ${n}`);
    }
  });

  it('shares the nominal seats out by demand, as 1.32 borrows: at rest each level gets its lending floor times the fair fraction', async () => {
    const d = new FlowDispatcher(source());
    d.classify({ user: { name: 'x', groups: [] }, verb: 'get', path: '/version' });
    // (floors: nominal less lendablePercent, rounded half away from zero: global-default 49 - 25 = 24,
    // workload-low 245 - 221 = 24, ...; they sum to 258 of the 602 nominal seats, a fair fraction
    // of 602 / 258.001; exempt, which may borrow up to the server's 600 seats, wants none)
    const lower = await metric('apiserver_flowcontrol_lower_limit_seats');
    const upper = await metric('apiserver_flowcontrol_upper_limit_seats');
    const current = await metric('apiserver_flowcontrol_current_limit_seats');
    for (const [pl, min, max, cur] of [['catch-all', 13, 613, 30], ['exempt', 0, 600, 0], ['global-default', 24, 649, 56], ['leader-election', 25, 625, 58], ['node-high', 73, 698, 170], ['system', 50, 674, 117], ['workload-high', 49, 698, 114], ['workload-low', 24, 845, 56]] as const) {
      expect(lower).toContain(`apiserver_flowcontrol_lower_limit_seats{priority_level="${pl}"} ${min}`);
      expect(upper).toContain(`apiserver_flowcontrol_upper_limit_seats{priority_level="${pl}"} ${max}`);
      expect(current).toContain(`apiserver_flowcontrol_current_limit_seats{priority_level="${pl}"} ${cur}`);
    }
    expect((await metric('apiserver_flowcontrol_seat_fair_frac'))[0]).toMatch(/^apiserver_flowcontrol_seat_fair_frac 2\.3333/);
  });

  it('lends a busy level seats from the idle ones every 10 s, by its seat demand', async () => {
    const clock = new FakeClock();
    const busy: PriorityLevelConfiguration = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'busy' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 100 } } } } };
    const busySchema: FlowSchema = { ...tinySchema, metadata: { name: 'busy-users' }, spec: { ...tinySchema.spec, priorityLevelConfiguration: { name: 'busy' } } };
    const d = new FlowDispatcher(source([busy], [busySchema]), undefined, clock);
    const r: FlowRequest = { user: { name: 'tiny', groups: ['system:authenticated'] }, verb: 'get', path: '/version' };
    const flow = d.classify(r)!;
    const limit = async (pl: string) => Number((await metric('apiserver_flowcontrol_current_limit_seats')).find((l) => l.includes(`"${pl}"`))!.split(' ').pop());
    // (3 nominal seats, none lent: at rest 3 x 602 / 261.001 = 7)
    expect(await limit('busy')).toBe(7);
    const idleGlobal = await limit('global-default');
    const admitted = Array.from({ length: 50 }, () => d.admit(flow, r, 60_000, false));
    expect(admitted.filter((a) => a.executing)).toHaveLength(7);
    // 50 seats wanted for 10 s: the next request after the period shares the seats out again
    clock.advance(10_000);
    d.classify(r);
    // (target 50 against the others' floors: 50 x 602 / 308.001 = 98 seats, so all 50 execute)
    expect(await limit('busy')).toBe(98);
    expect(admitted.filter((a) => a.executing)).toHaveLength(50);
    expect(await limit('global-default')).toBeLessThan(idleGlobal);
    expect(await metric('apiserver_flowcontrol_demand_seats_high_watermark')).toContain('apiserver_flowcontrol_demand_seats_high_watermark{priority_level="busy"} 50');
    expect(await metric('apiserver_flowcontrol_demand_seats_average')).toContain('apiserver_flowcontrol_demand_seats_average{priority_level="busy"} 50');
    expect(await metric('apiserver_flowcontrol_target_seats')).toContain('apiserver_flowcontrol_target_seats{priority_level="busy"} 50');
    for (const a of admitted) a.finish();
    // idle again (the period after next: the next began at 50 seats): the smoothed demand decays
    // slowly (half-life 5 minutes), so it keeps most of its seats
    for (let i = 0; i < 2; i++) {
      clock.advance(10_000);
      d.classify(r);
    }
    expect(await metric('apiserver_flowcontrol_demand_seats_high_watermark')).toContain('apiserver_flowcontrol_demand_seats_high_watermark{priority_level="busy"} 0');
    expect(await limit('busy')).toBeGreaterThan(80);
  });

  it('executes exempt requests whatever their number, and rejects past a Reject level\'s seats with its Retry-After', async () => {
    // (one share of 246 is ceil(600/246) = 3 seats)
    const d = new FlowDispatcher(source([tiny], [tinySchema]));
    const admin: FlowRequest = { user: { name: 'admin', groups: ['system:masters'] }, verb: 'create', resource: { group: '', resource: 'pods', namespace: 'a' } };
    const exempt = Array.from({ length: 1000 }, () => d.admit(d.classify(admin)!, admin, 0, false));
    expect(exempt.every((a) => a.executing)).toBe(true);
    expect(exempt[0]!.flow.flowSchemaUID).toBe('uid-FlowSchema-exempt');
    const r: FlowRequest = { user: { name: 'tiny', groups: ['system:authenticated'] }, verb: 'get', path: '/version' };
    const flow = d.classify(r)!;
    expect([flow.flowSchemaUID, flow.priorityLevelUID]).toEqual(['uid-FlowSchema-tiny-users', 'uid-PriorityLevelConfiguration-tiny-reject']);
    const admitted = Array.from({ length: 4 }, () => d.admit(flow, r, 0, false));
    expect(admitted.map((a) => a.executing)).toEqual([true, true, true, false]);
    expect(admitted[3]!.rejected).toBe(true);
    expect(admitted[3]!.retryAfter()).toBe('1');
    expect(await metric('apiserver_flowcontrol_current_executing_requests')).toContain('apiserver_flowcontrol_current_executing_requests{flow_schema="tiny-users",priority_level="tiny-reject"} 3');
    expect(await metric('apiserver_flowcontrol_current_executing_requests')).toContain('apiserver_flowcontrol_current_executing_requests{flow_schema="exempt",priority_level="exempt"} 1000');
    for (const a of [...exempt, ...admitted]) a.finish();
    expect(d.admit(flow, r, 0, false).executing).toBe(true);
    expect(await metric('apiserver_flowcontrol_rejected_requests_total')).toContain('apiserver_flowcontrol_rejected_requests_total{flow_schema="tiny-users",priority_level="tiny-reject",reason="concurrency-limit"} 1');
    expect(await metric('apiserver_flowcontrol_dispatched_requests_total')).toContain('apiserver_flowcontrol_dispatched_requests_total{flow_schema="tiny-users",priority_level="tiny-reject"} 4');
    expect(await metric('apiserver_flowcontrol_current_executing_requests')).toContain('apiserver_flowcontrol_current_executing_requests{flow_schema="exempt",priority_level="exempt"} 0');
    const exec = await metric('apiserver_flowcontrol_request_execution_seconds');
    expect(exec).toContain('apiserver_flowcontrol_request_execution_seconds_count{flow_schema="exempt",priority_level="exempt",type="regular"} 1000');
    // (a limited level's requests observe their wait: at once "false" when refused, "true" when dispatched)
    const wait = await metric('apiserver_flowcontrol_request_wait_duration_seconds');
    expect(wait).toContain('apiserver_flowcontrol_request_wait_duration_seconds_count{flow_schema="tiny-users",priority_level="tiny-reject",execute="false"} 1');
    expect(wait).toContain('apiserver_flowcontrol_request_wait_duration_seconds_count{flow_schema="tiny-users",priority_level="tiny-reject",execute="true"} 4');
    expect(wait.some((l) => l.includes('flow_schema="exempt"'))).toBe(false);
  });

  it('gives a list the seats of the objects it goes through, up to its level\'s max', async () => {
    const counted: string[] = [];
    const d = new FlowDispatcher(source(), undefined, undefined, (group, resource) => (counted.push(`${resource}.${group}`), resource === 'configmaps' ? 10_000 : undefined));
    const r: FlowRequest = { user: { name: 'lister', groups: ['system:authenticated'] }, verb: 'list', resource: { group: '', resource: 'configmaps', namespace: 'a' } };
    const flow = d.classify(r)!;
    const list = d.admit(flow, r, 15_000, false, new URLSearchParams());
    expect(list.seats).toBe(8); // (global-default: 15% of 49, at most 49/6)
    expect(await metric('apiserver_flowcontrol_current_executing_seats')).toContain('apiserver_flowcontrol_current_executing_seats{flow_schema="global-default",priority_level="global-default"} 8');
    const get = d.admit(flow, r, 15_000, false, new URLSearchParams(), 'one');
    expect(get.seats).toBe(1);
    // (the count is asked only when it matters: not for a named object)
    expect(counted).toEqual(['configmaps.']);
    const seats = await metric('apiserver_flowcontrol_work_estimated_seats');
    expect(seats).toContain('apiserver_flowcontrol_work_estimated_seats_bucket{le="1",flow_schema="global-default",priority_level="global-default"} 1');
    expect(seats).toContain('apiserver_flowcontrol_work_estimated_seats_bucket{le="10",flow_schema="global-default",priority_level="global-default"} 2');
    list.finish();
    get.finish();
    expect(await metric('apiserver_flowcontrol_current_executing_seats')).toContain('apiserver_flowcontrol_current_executing_seats{flow_schema="global-default",priority_level="global-default"} 0');
  });

  it('shares the seats out again on a configuration change, not when the configuration\'s revision moves alone', async () => {
    const clock = new FakeClock();
    const busy: PriorityLevelConfiguration = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'busy2' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 100 } } } } };
    const busySchema: FlowSchema = { ...tinySchema, metadata: { name: 'busy2-users' }, spec: { ...tinySchema.spec, priorityLevelConfiguration: { name: 'busy2' } } };
    const base = source([busy], [busySchema]);
    let revision = 1;
    const d = new FlowDispatcher({ current: () => ({ ...base.current(), revision: String(revision) }), match: base.match }, undefined, clock);
    const r: FlowRequest = { user: { name: 'tiny', groups: ['system:authenticated'] }, verb: 'get', path: '/version' };
    const flow = d.classify(r)!;
    const admitted = Array.from({ length: 50 }, () => d.admit(flow, r, 60_000, false));
    clock.advance(5000);
    for (const a of admitted) a.finish();
    // (the caches' progress moves the revision: the period goes on)
    revision++;
    d.classify(r);
    clock.advance(5000);
    d.classify(r);
    // (50 seats for half the period, none for the other half)
    expect(await metric('apiserver_flowcontrol_demand_seats_average')).toContain('apiserver_flowcontrol_demand_seats_average{priority_level="busy2"} 25');
  });

  it('observes each queued request\'s queue length as it joins (request_queue_length_after_enqueue)', async () => {
    const q: PriorityLevelConfiguration = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'qlen' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 1, borrowingLimitPercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 100 } } } } };
    const qSchema: FlowSchema = { ...tinySchema, metadata: { name: 'qlen-users' }, spec: { ...tinySchema.spec, priorityLevelConfiguration: { name: 'qlen' } } };
    const d = new FlowDispatcher(source([q], [qSchema]));
    const r: FlowRequest = { user: { name: 'tiny', groups: ['system:authenticated'] }, verb: 'get', path: '/version' };
    const flow = d.classify(r)!;
    // (3 seats: each of the first three sees itself alone and leaves at once; the next 27 see 1 to 27)
    const admitted = Array.from({ length: 30 }, () => d.admit(flow, r, 60_000, false));
    const lines = await metric('apiserver_flowcontrol_request_queue_length_after_enqueue');
    const bucket = (le: string) => lines.find((l) => l.includes(`le="${le}"`) && l.includes('priority_level="qlen"'))?.split(' ').pop();
    expect([bucket('0'), bucket('10'), bucket('25'), bucket('50')]).toEqual(['0', '13', '28', '30']);
    for (const a of admitted) a.abandon();
  });

  it('counts the dispatch attempts that find too few seats free for a wide request (request_dispatch_no_accommodation_total)', async () => {
    // (9 shares of 254: 22 seats, none borrowed; a request may take min(ceil(15% of 22), 22/1) = 4)
    const wide: PriorityLevelConfiguration = { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind: 'PriorityLevelConfiguration', metadata: { name: 'wide' }, spec: { type: 'Limited', limited: { nominalConcurrencyShares: 9, borrowingLimitPercent: 0, limitResponse: { type: 'Queue', queuing: { queues: 1, handSize: 1, queueLengthLimit: 50 } } } } };
    const wideSchema: FlowSchema = { ...tinySchema, metadata: { name: 'wide-users' }, spec: { ...tinySchema.spec, priorityLevelConfiguration: { name: 'wide' }, rules: [{ subjects: [{ kind: 'User', user: { name: 'tiny' } }], resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'], namespaces: ['*'] }] }] } };
    const d = new FlowDispatcher(source([wide], [wideSchema]), undefined, undefined, () => 400);
    const get: FlowRequest = { user: { name: 'tiny', groups: ['system:authenticated'] }, verb: 'get', resource: { group: '', resource: 'pods', namespace: 'a' } };
    const list: FlowRequest = { ...get, verb: 'list' };
    const flow = d.classify(get)!;
    const gets = Array.from({ length: 20 }, () => d.admit(flow, get, 60_000, false));
    const big = d.admit(flow, list, 60_000, false, new URLSearchParams());
    expect([big.seats, big.executing]).toEqual([4, false]);
    gets[0]!.finish();
    gets[1]!.finish();
    expect(big.executing).toBe(true);
    const counted = await metric('apiserver_flowcontrol_request_dispatch_no_accommodation_total');
    expect(counted).toContain('apiserver_flowcontrol_request_dispatch_no_accommodation_total{flow_schema="wide-users",priority_level="wide"} 2');
  });

  it('charges a write the final seats of the watches its event goes to, counted from their establishment to their close', async () => {
    const d = new FlowDispatcher(source());
    const user = { name: 'u', groups: ['system:authenticated'] };
    const watch: FlowRequest = { user, verb: 'watch', resource: { group: '', resource: 'configmaps', namespace: 'n1' } };
    const create: FlowRequest = { user, verb: 'create', resource: { group: '', resource: 'configmaps', namespace: 'n1' } };
    const write = () => {
      const a = d.admit(d.classify(create)!, create, 15_000, false);
      a.finish();
      return a.seats;
    };
    const watches = Array.from({ length: 25 }, () => d.admit(d.classify(watch)!, watch, 15_000, true, new URLSearchParams()));
    // (waiting or being set up, a watch is not counted yet)
    expect(write()).toBe(1);
    for (const w of watches) w.finish();
    expect(d.watchers.interested('', 'configmaps', 'n1', undefined)).toBe(25);
    expect(write()).toBe(3);
    // (another namespace's writes are not charged; nor a token's create, which makes no event)
    const elsewhere: FlowRequest = { ...create, resource: { group: '', resource: 'configmaps', namespace: 'n2' } };
    expect(d.admit(d.classify(elsewhere)!, elsewhere, 15_000, false).seats).toBe(1);
    const token: FlowRequest = { user, verb: 'create', resource: { group: '', resource: 'serviceaccounts', subresource: 'token', namespace: 'n1' } };
    d.watchers.register('', 'serviceaccounts', 'n1', undefined);
    for (let i = 0; i < 20; i++) d.watchers.register('', 'serviceaccounts', undefined, undefined);
    expect(d.admit(d.classify(token)!, token, 15_000, false).seats).toBe(1);
    // a watch whose connection closes stops counting; one closed before it was established never counted
    for (const w of watches) w.abandon();
    const late = d.admit(d.classify(watch)!, watch, 15_000, true, new URLSearchParams());
    late.abandon();
    late.finish();
    expect(d.watchers.interested('', 'configmaps', 'n1', undefined)).toBe(0);
    expect(write()).toBe(1);
    // (each write's watchers sampled in watch_count_samples, the token's create not: 0, 25, 0 and 0)
    const samples = await metric('apiserver_flowcontrol_watch_count_samples');
    const bucket = (le: string) => samples.find((l) => l.includes(`le="${le}"`) && l.includes('flow_schema="global-default"'))?.split(' ').pop();
    expect([bucket('0'), bucket('10'), bucket('100'), bucket('+Inf')]).toEqual(['3', '3', '4', '4']);
  });

  it('deals each user of a ByUser schema its own hand of its level\'s queues', () => {
    const d = new FlowDispatcher(source());
    const user = (name: string): FlowRequest => ({ user: { name, groups: ['system:authenticated'] }, verb: 'list', resource: { group: '', resource: 'pods', namespace: 'a' } });
    const flow = d.classify(user('alice'))!;
    expect(flow.flowSchema.metadata?.name).toBe('global-default');
    const alice = flow.hand(user('alice'))!;
    expect(alice).toHaveLength(6);
    expect(flow.hand(user('alice'))).toBe(alice);
    expect(flow.hand(user('bob'))).not.toEqual(alice);
  });
});

describe('the server concurrency limit (--max-requests-inflight + --max-mutating-requests-inflight)', () => {
  it('is their sum, refused in kube-apiserver\'s words when negative or not positive', async () => {
    expect(serverConcurrencyLimit(400, 200)).toBe(600);
    expect(serverConcurrencyLimit(0, 10)).toBe(10);
    expect(() => serverConcurrencyLimit(-1, 200)).toThrow(/^--max-requests-inflight can not be negative value$/);
    expect(() => serverConcurrencyLimit(400, -2)).toThrow(/^--max-mutating-requests-inflight can not be negative value$/);
    expect(() => serverConcurrencyLimit(0, 0)).toThrow(/^invalid configuration: MaxRequestsInFlight=0 and MaxMutatingRequestsInFlight=0; they must add up to something positive$/);
    // (a smaller server limit shrinks each level's share: ceil(60 * 20 / 245) = 5 for global-default)
    const d = new FlowDispatcher(source(), 60);
    d.classify({ user: { name: 'x', groups: [] }, verb: 'get', path: '/version' });
    expect(await metric('apiserver_flowcontrol_nominal_limit_seats')).toContain('apiserver_flowcontrol_nominal_limit_seats{priority_level="global-default"} 5');
  });
});

describe('the queue wait limit (getRequestWaitContext)', () => {
  it('is a quarter of the deadline, at most a minute', () => {
    expect(queueWaitLimitMs(60_000)).toBe(15_000);
    expect(queueWaitLimitMs(2_000)).toBe(500);
    expect(queueWaitLimitMs(10 * 60_000)).toBe(60_000);
  });
});

describe('Retry-After (DroppedRequestsTracker)', () => {
  it('doubles while drops go on at 3 a second or more, to 32, and comes down by one a second once they stop', () => {
    const t = new DroppedRequests();
    let now = 100;
    const second = (drops: number) => {
      for (let i = 0; i < drops; i++) t.record(now);
      now++;
    };
    second(3);
    expect(t.retryAfter).toBe(1);
    second(1); // (the second before had 3 drops: 3 >= 3*1)
    expect(t.retryAfter).toBe(2);
    second(10);
    second(10);
    expect(t.retryAfter).toBe(4);
    for (let i = 0; i < 40; i++) second(100);
    expect(t.retryAfter).toBe(32);
    now += 40;
    second(1); // (nothing dropped in the 32 s before: down by one)
    expect(t.retryAfter).toBe(31);
    second(1);
    expect(t.retryAfter).toBe(30);
  });
});
