// kube-apiserver 1.32's request metrics through the real request path: the verb, dry_run, group,
// version, resource, subresource, scope and component labels kubernetes-mixin selects on; only
// routed requests counted; watches long-running while they last.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { core, Pods } from '../../pkg/client/rest-client.js';
import { eventually, startControlPlane, statusCode as code, type TestControlPlane } from '../helpers/control-plane.js';

const ConfigMaps = core('configmaps');
const LimitRanges = core('limitranges');
let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop(true);
});

const metrics = () => cp.admin.request<string>('/metrics', { accept: 'text/plain' });
/** The value of one series, given its labels in the order 1.32 writes them. */
function value(text: string, series: string): number | undefined {
  const i = text.indexOf(`\n${series} `);
  return i < 0 ? undefined : Number(text.slice(i + series.length + 2).split('\n')[0]);
}
const total = (l: string) => `apiserver_request_total{${l}}`;

describe('apiserver_request_total', () => {
  it('counts requests by the method-derived verb, scope and version, as the mixin reads them', async () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'm1' }, data: { a: '1' } };
    await cp.admin.create(ConfigMaps, 'default', cm);
    await cp.admin.create(ConfigMaps, 'default', { ...cm, metadata: { name: 'm2' } }, { dryRun: 'All' });
    await cp.admin.list(ConfigMaps, 'default');
    await cp.admin.list(ConfigMaps);
    await cp.admin.get(ConfigMaps, 'default', 'm1');
    expect(await code(cp.admin.get(ConfigMaps, 'default', 'nope'))).toBe(404);
    await cp.admin.patch(ConfigMaps, 'default', 'm1', cm, 'apply');
    await cp.admin.patch(ConfigMaps, 'default', 'm1', { data: { b: '3' } }, 'merge');
    await cp.admin.delete(ConfigMaps, 'default', 'm1');
    // (refused by authorization: no route reached, nothing counted)
    expect(await code(cp.clientWithToken(undefined).list(LimitRanges))).toBe(403);
    await cp.admin.request('/readyz', { accept: 'text/plain' });

    const text = await metrics();
    const l = (verb: string, scope: string, c: number, dryRun = '') => total(`code="${c}",component="apiserver",dry_run="${dryRun}",group="",resource="configmaps",scope="${scope}",subresource="",verb="${verb}",version="v1"`);
    expect(value(text, l('POST', 'resource', 201))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('POST', 'resource', 201, 'All'))).toBe(1);
    expect(value(text, l('LIST', 'namespace', 200))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('LIST', 'cluster', 200))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('GET', 'resource', 200))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('GET', 'resource', 404))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('APPLY', 'resource', 200))).toBe(1);
    expect(value(text, l('PATCH', 'resource', 200))).toBeGreaterThanOrEqual(1);
    expect(value(text, l('DELETE', 'resource', 200))).toBeGreaterThanOrEqual(1);
    expect(text).not.toMatch(/^apiserver_request_total\{[^}]*verb="(CREATE|UPDATE)"/m);
    expect(text).not.toMatch(/^apiserver_request_total\{[^}]*resource="limitranges"/m);
    expect(value(text, total('code="200",component="",dry_run="",group="",resource="",scope="",subresource="/readyz",verb="GET",version=""'))).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^apiserver_request_sli_duration_seconds_bucket\{component="apiserver",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1",le="1"\} [1-9]/m);
  });

  it('holds a watch in apiserver_longrunning_requests while it runs, then counts it as a WATCH', async () => {
    const series = 'apiserver_longrunning_requests{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"}';
    const before = value(await metrics(), series) ?? 0;
    const h = await cp.admin.watch(Pods, 'default', {}, () => {});
    try {
      expect(value(await metrics(), series)).toBe(before + 1);
    } finally {
      h.stop();
    }
    await eventually(async () => value(await metrics(), series) === before, { timeoutMs: 5000, what: 'the watch no longer counted' });
    const text = await metrics();
    expect(value(text, total('code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"'))).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^apiserver_request_duration_seconds_count\{component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="WATCH",version="v1"\} [1-9]/m);
  });
});

describe('apiserver_watch_events_total', () => {
  it('counts the events sent to watches, and their sizes, by the group, version and kind watched', async () => {
    const series = 'apiserver_watch_events_total{group="",kind="ConfigMap",version="v1"}';
    const before = value(await metrics(), series) ?? 0;
    let seen = 0;
    const h = await cp.admin.watch(ConfigMaps, 'default', {}, () => seen++);
    try {
      await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'watched' }, data: { a: 'x'.repeat(3000) } });
      await eventually(() => seen >= 1, { timeoutMs: 5000, what: 'the event' });
    } finally {
      h.stop();
    }
    const text = await metrics();
    // (other watchers of configmaps, the in-process controllers', count too)
    expect(value(text, series)).toBeGreaterThanOrEqual(before + seen);
    expect(text).toContain('# HELP apiserver_watch_events_total [ALPHA] Number of events sent in watch clients\n');
    // (the event of 3000 and more bytes: above the 2 KiB bucket, within the 4 KiB one)
    expect(value(text, 'apiserver_watch_events_sizes_bucket{group="",kind="ConfigMap",version="v1",le="4096"}')! - value(text, 'apiserver_watch_events_sizes_bucket{group="",kind="ConfigMap",version="v1",le="2048"}')!).toBeGreaterThanOrEqual(1);
  });
});

describe('etcd_request_duration_seconds', () => {
  it("labels each etcd request with its operation and the key's group-resource, in 1.32's buckets", async () => {
    await cp.admin.request('/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'timed' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
    });
    const text = await metrics();
    expect(text).toContain('# HELP etcd_request_duration_seconds [ALPHA] Etcd request latency in seconds for each operation and object type.\n');
    expect(value(text, 'etcd_request_duration_seconds_count{operation="create",type="deployments.apps"}')).toBeGreaterThanOrEqual(1);
    expect([...text.matchAll(/^etcd_request_duration_seconds_bucket\{operation="create",type="deployments.apps",le="([^"]+)"\}/gm)].map((m) => m[1])).toEqual(['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
    expect(text).not.toMatch(/^etcd_request_duration_seconds_count\{operation="[a-z]+",type="apps"\}/m);
  });
});

describe('authentication_attempts', () => {
  it('counts each authentication by result, and authenticated users by category, as WithAuthentication records them', async () => {
    const n = (text: string, series: string) => value(text, series) ?? 0;
    const before = await metrics();
    expect(await code(cp.clientWithToken('no-such-token').list(ConfigMaps, 'default'))).toBe(401);
    await cp.clientWithToken(undefined).request('/readyz', { accept: 'text/plain' }).catch(() => {});
    const text = await metrics();
    expect(n(text, 'authentication_attempts{result="failure"}')).toBe(n(before, 'authentication_attempts{result="failure"}') + 1);
    // (the anonymous request, and the admin's scrapes of /metrics, are successes of users counted as "other" or by name)
    expect(n(text, 'authentication_attempts{result="success"}')).toBeGreaterThanOrEqual(n(before, 'authentication_attempts{result="success"}') + 2);
    expect(n(text, 'authenticated_user_requests{username="other"}')).toBeGreaterThanOrEqual(n(before, 'authenticated_user_requests{username="other"}') + 1);
    expect(text).toMatch(/^authentication_duration_seconds_bucket\{result="failure",le="0.001"\} \d+$/m);
  });
});

describe('apiserver_storage_objects', () => {
  it('counts the objects stored of each resource, by group-resource', async () => {
    await cp.admin.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'counted' } });
    const stored = (await cp.admin.list(ConfigMaps)).items.length;
    const text = await metrics();
    expect(text).toContain('# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.\n# TYPE apiserver_storage_objects gauge\n');
    expect(value(text, 'apiserver_storage_objects{resource="configmaps"}')).toBe(stored);
    expect(value(text, 'apiserver_storage_objects{resource="priorityclasses.scheduling.k8s.io"}')).toBeGreaterThanOrEqual(2);
    expect(value(text, 'apiserver_storage_objects{resource="cronjobs.batch"}')).toBe(0);
  });
});

describe('rest_client_requests_total of a component on the gRPC frontend', () => {
  it('counts each call as the REST request it stands for, by its code, method and the server address', async () => {
    const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
    const grpc = new GrpcApiClient(address, { caCert: cp.config.caCert!, token: cp.config.token });
    try {
      await grpc.create(ConfigMaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g1' } });
      await grpc.get(ConfigMaps, 'default', 'g1');
      await grpc.get(ConfigMaps, 'default', 'nope').catch(() => {});
      const h = await grpc.watch(ConfigMaps, 'default', {}, () => {});
      h.stop();
    } finally {
      grpc.close();
    }
    const text = await register.metrics();
    const series = (code: string, method: string) => `rest_client_requests_total{code="${code}",method="${method}",host="${address}"}`;
    expect(value(text, series('201', 'POST'))).toBe(1);
    expect(value(text, series('200', 'GET'))).toBe(2);
    expect(value(text, series('404', 'GET'))).toBe(1);
    expect(value(text, `rest_client_request_duration_seconds_count{verb="GET",host="${address}"}`)).toBe(3);
  });

  it('counts the events of a watch over the gRPC frontend in apiserver_watch_events_total too', async () => {
    const address = readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim();
    const grpc = new GrpcApiClient(address, { caCert: cp.config.caCert!, token: cp.config.token });
    // (podtemplates: nothing else in the process watches them)
    const series = 'apiserver_watch_events_total{group="",kind="PodTemplate",version="v1"}';
    const before = value(await metrics(), series) ?? 0;
    let seen = 0;
    try {
      const h = await grpc.watch(core('podtemplates'), 'default', {}, () => seen++);
      await cp.admin.create(core('podtemplates'), 'default', { apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'over-grpc' }, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } });
      await eventually(() => seen >= 1, { timeoutMs: 5000, what: 'the event over gRPC' });
      h.stop();
    } finally {
      grpc.close();
    }
    expect(value(await metrics(), series)).toBe(before + seen);
  });
});

describe('the exposition', () => {
  it('spells bucket bounds and values as kube-apiserver 1.32 (client_golang) does', async () => {
    await cp.admin.list(ConfigMaps, 'default');
    const text = await metrics();
    // (ExponentialBuckets(1000, 10, 7) read as Go's FormatFloat 'g': 1e+06 and up, where JavaScript writes 1000000)
    const les = [...text.matchAll(/^apiserver_response_sizes_bucket\{component="apiserver",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1",le="([^"]+)"\}/gm)].map((m) => m[1]);
    expect(les).toEqual(['1000', '10000', '100000', '1e+06', '1e+07', '1e+08', '1e+09', '+Inf']);
    // (a start time in seconds since the epoch: 1.7e+09 as Go writes it)
    expect(text).toMatch(/^process_start_time_seconds \d\.\d+e\+09$/m);
  });

  it('gathers as client_golang does: families by name, none without series, series by label values, labels by name with le last', async () => {
    const text = await metrics();
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    expect(families.length).toBeGreaterThan(20);
    expect(families).toEqual([...families].sort());
    // (no webhook is configured: the vector has no children, so the family is absent, HELP and TYPE too)
    expect(text).not.toContain('apiserver_admission_webhook_rejection_count');
    for (const [, labels] of text.matchAll(/^[a-z_:]+\{([^}]*)\} /gm)) {
      const names = [...labels!.matchAll(/(?:^|,)([a-z_]+)="/g)].map((m) => m[1]!);
      const own = names.filter((n) => n !== 'le' && n !== 'quantile');
      expect([labels, own]).toEqual([labels, [...own].sort()]);
      expect([labels, names.slice(own.length)]).toEqual([labels, names.filter((n) => n === 'le' || n === 'quantile')]);
    }
    const requests = [...text.matchAll(/^apiserver_request_total\{([^}]*)\} /gm)].map((m) => [...m[1]!.matchAll(/="((?:[^"\\]|\\.)*)"/g)].map((v) => v[1]!));
    expect(requests.length).toBeGreaterThan(3);
    const byValues = (a: string[], b: string[]) => { const i = a.findIndex((v, j) => v !== b[j]); return i < 0 ? 0 : a[i]! < b[i]! ? -1 : 1; };
    expect(requests).toEqual([...requests].sort(byValues));
  });
});
