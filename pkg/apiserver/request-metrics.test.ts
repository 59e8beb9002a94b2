import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compressUsername, dryRunLabel, healthRequestLabels, inflightStarted, recordAuthentication, longRunningRequest, longRunningStarted, recordRequest, recordRequestTermination, requestScope, resourceRequestLabels, type RequestInfo } from './request-metrics.js';

const q = (s = '') => new URLSearchParams(s);
const info = (r: Partial<RequestInfo>): RequestInfo => ({ method: 'GET', query: q(), group: '', version: 'v1', resource: 'pods', ...r });

describe('the labels a request is counted under (MonitorRequest)', () => {
  it('reports the HTTP method as 1.32 does: LIST for a collection GET, WATCH, APPLY, CONNECT; POST/PUT/DELETE for writes', () => {
    const verb = (r: Partial<RequestInfo>) => resourceRequestLabels(info(r)).verb;
    expect(verb({ namespace: 'default' })).toBe('LIST');
    expect(verb({})).toBe('LIST');
    expect(verb({ namespace: 'default', name: 'p' })).toBe('GET');
    expect(verb({ method: 'HEAD', namespace: 'default', name: 'p' })).toBe('GET');
    expect(verb({ namespace: 'default', query: q('watch=true') })).toBe('WATCH');
    expect(verb({ namespace: 'default', query: q('watch=1') })).toBe('WATCH');
    expect(verb({ namespace: 'default', query: q('watch=yes') })).toBe('WATCH');
    expect(verb({ namespace: 'default', query: q('watch=false') })).toBe('LIST');
    expect(verb({ namespace: 'default', name: 'p', watchPrefix: true })).toBe('WATCH');
    expect(verb({ method: 'POST', namespace: 'default' })).toBe('POST');
    expect(verb({ method: 'PUT', namespace: 'default', name: 'p' })).toBe('PUT');
    expect(verb({ method: 'PATCH', namespace: 'default', name: 'p', contentType: 'application/strategic-merge-patch+json' })).toBe('PATCH');
    expect(verb({ method: 'PATCH', namespace: 'default', name: 'p', contentType: 'application/apply-patch+yaml' })).toBe('APPLY');
    expect(verb({ method: 'DELETE', namespace: 'default', name: 'p' })).toBe('DELETE');
    expect(verb({ method: 'DELETE', namespace: 'default' })).toBe('DELETE');
    expect(verb({ method: 'POST', namespace: 'default', name: 'p', subresource: 'exec' })).toBe('CONNECT');
    expect(verb({ namespace: 'default', name: 'p', subresource: 'log' })).toBe('CONNECT');
    expect(verb({ method: 'PUT', namespace: 'default', name: 'p', subresource: 'status' })).toBe('PUT');
    expect(verb({ method: 'OPTIONS', namespace: 'default', name: 'p' })).toBe('other');
  });

  it('gives the installer route scope: resource for a name or any POST, namespace, cluster (across namespaces too)', () => {
    expect(requestScope({ method: 'GET', namespace: 'default', name: 'p' })).toBe('resource');
    expect(requestScope({ method: 'POST', namespace: 'default' })).toBe('resource');
    expect(requestScope({ method: 'POST' })).toBe('resource');
    expect(requestScope({ method: 'GET', namespace: 'default' })).toBe('namespace');
    expect(requestScope({ method: 'DELETE', namespace: 'default' })).toBe('namespace');
    expect(requestScope({ method: 'GET' })).toBe('cluster');
  });

  it('dry_run is "", the sorted distinct values, or "invalid" (cleanDryRun)', () => {
    expect(dryRunLabel(q())).toBe('');
    expect(dryRunLabel(q('dryRun=All'))).toBe('All');
    expect(dryRunLabel(q('dryRun=All&dryRun=All'))).toBe('All');
    expect(dryRunLabel(q('dryRun=Some'))).toBe('invalid');
  });

  it('names a health check by its path, with no group, resource, scope or component', () => {
    expect(healthRequestLabels('GET', '/readyz', q())).toEqual({ verb: 'GET', dry_run: '', group: '', version: '', resource: '', subresource: '/readyz', scope: '', component: '' });
  });
});

describe('the exposition', () => {
  it('has 1.32 names, help texts, label sets and buckets', async () => {
    const create = resourceRequestLabels(info({ method: 'POST', group: 'metrics.test', resource: 'gadgets', namespace: 'default', query: q('dryRun=All') }));
    recordRequest(create, 201, 0.03);
    // (unit test files share a worker's registry: this test's series are of a group of its own)
    const list = resourceRequestLabels(info({ group: 'metrics.test', resource: 'widgets', namespace: 'kube-system' }));
    recordRequest(list, 200, 0.002, { responseBytes: 2500 });
    const watch = resourceRequestLabels(info({ group: 'metrics.test', resource: 'widgets', query: q('watch=1') }));
    const end = longRunningStarted(watch);
    const during = await register.metrics();
    end();
    end();
    recordRequest(watch, 200, 90);
    const text = await register.metrics();

    expect(text).toContain('# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n# TYPE apiserver_request_total counter\n');
    expect(text).toContain('apiserver_request_total{verb="POST",dry_run="All",group="metrics.test",version="v1",resource="gadgets",subresource="",scope="resource",component="apiserver",code="201"} 1\n');
    expect(text).toContain('apiserver_request_total{verb="LIST",dry_run="",group="metrics.test",version="v1",resource="widgets",subresource="",scope="namespace",component="apiserver",code="200"} 1\n');
    expect(text).toContain('# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.\n# TYPE apiserver_request_duration_seconds histogram\n');
    const les = (name: string, verb: string) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)",verb="${verb}",[^}]*resource="widgets"`, 'gm'))].map((m) => m[1]);
    expect(les('apiserver_request_duration_seconds', 'LIST')).toEqual(['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
    expect(les('apiserver_request_sli_duration_seconds', 'LIST')).toEqual(['0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
    // (watches are timed in the request histogram, not in the SLI one)
    expect(text).toMatch(/^apiserver_request_duration_seconds_count\{verb="WATCH",dry_run="",group="metrics.test",version="v1",resource="widgets",subresource="",scope="cluster",component="apiserver"\} 1$/m);
    expect(text).not.toMatch(/^apiserver_request_sli_duration_seconds_count\{verb="WATCH"/m);
    expect(text).toMatch(/^apiserver_request_sli_duration_seconds_bucket\{le="0.05",verb="POST",group="metrics.test",version="v1",resource="gadgets",subresource="",scope="resource",component="apiserver"\} 1$/m);
    expect(text).toMatch(/^apiserver_response_sizes_bucket\{le="10000",verb="LIST",group="metrics.test",version="v1",resource="widgets",subresource="",scope="namespace",component="apiserver"\} 1$/m);
    expect(text).not.toMatch(/^apiserver_response_sizes_count\{verb="POST"/m);
    expect(during).toContain('# TYPE apiserver_longrunning_requests gauge\n');
    expect(during).toContain('apiserver_longrunning_requests{verb="WATCH",group="metrics.test",version="v1",resource="widgets",subresource="",scope="cluster",component="apiserver"} 1\n');
    expect(text).toContain('apiserver_longrunning_requests{verb="WATCH",group="metrics.test",version="v1",resource="widgets",subresource="",scope="cluster",component="apiserver"} 0\n');
  });
});

describe('apiserver_current_inflight_requests', () => {
  it('reports each second the most requests of each kind that executed at once in the last one', async () => {
    const a = inflightStarted(false);
    const b = inflightStarted(false);
    const m = inflightStarted(true);
    a();
    a();
    b();
    m();
    await new Promise((r) => setTimeout(r, 1100));
    const text = await register.metrics();
    expect(text).toContain('# HELP apiserver_current_inflight_requests [STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.\n# TYPE apiserver_current_inflight_requests gauge\n');
    expect(Number(/^apiserver_current_inflight_requests\{request_kind="readOnly"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/^apiserver_current_inflight_requests\{request_kind="mutating"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('leaves out long-running requests: watches and connects', () => {
    expect(longRunningRequest('GET', '/api/v1/pods', q('watch=true'))).toBe(true);
    expect(longRunningRequest('GET', '/api/v1/watch/namespaces/default/pods', q())).toBe(true);
    expect(longRunningRequest('POST', '/api/v1/namespaces/default/pods/p/exec', q('command=ls'))).toBe(true);
    expect(longRunningRequest('GET', '/api/v1/namespaces/default/pods/p/log', q())).toBe(true);
    expect(longRunningRequest('GET', '/api/v1/namespaces/default/pods', q('watch=false'))).toBe(false);
    expect(longRunningRequest('POST', '/apis/apps/v1/namespaces/default/deployments', q())).toBe(false);
  });
});

describe('authentication metrics', () => {
  it("counts attempts by result and users by compressUsername's categories, as WithAuthentication", async () => {
    const n = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = await register.metrics();
    recordAuthentication('success', 'alice@example.com', 0.002);
    recordAuthentication('success', 'system:serviceaccount:kube-system:default', 0.001);
    recordAuthentication('failure', undefined, 0.001);
    const text = await register.metrics();
    expect(n(text, 'authenticated_user_requests{username="email_id"}') - n(before, 'authenticated_user_requests{username="email_id"}')).toBe(1);
    expect(n(text, 'authenticated_user_requests{username="system:serviceaccount:kube-system:default"}') - n(before, 'authenticated_user_requests{username="system:serviceaccount:kube-system:default"}')).toBe(1);
    expect(n(text, 'authentication_attempts{result="failure"}') - n(before, 'authentication_attempts{result="failure"}')).toBe(1);
    expect(n(text, 'authentication_attempts{result="success"}') - n(before, 'authentication_attempts{result="success"}')).toBe(2);
    expect(text).toContain('# HELP authentication_attempts [ALPHA] Counter of authenticated attempts.\n');
    expect(compressUsername('kubernetes-admin')).toBe('other');
    expect(compressUsername('admin')).toBe('admin');
  });
});

describe('apiserver_request_terminations_total', () => {
  it("counts a request ended in self-defense under its route's labels and the code, as RecordRequestTermination", async () => {
    const series = (l: string) => new RegExp(`^apiserver_request_terminations_total\\{${l}\\} (\\d+)$`, 'm');
    const count = async (l: string) => Number(series(l).exec(await register.metrics())?.[1] ?? 0);
    const post = 'verb="POST",group="termination.test",version="v1",resource="widgets",subresource="",scope="resource",component="apiserver",code="504"';
    const version = 'verb="GET",group="",version="",resource="",subresource="/version",scope="",component="apiserver",code="429"';
    const [p0, v0] = [await count(post), await count(version)];
    recordRequestTermination(resourceRequestLabels({ method: 'POST', query: new URLSearchParams('dryRun=All'), group: 'termination.test', version: 'v1', resource: 'widgets', namespace: 'ns' }), 504);
    recordRequestTermination(healthRequestLabels('GET', '/version', new URLSearchParams()), 429);
    expect([await count(post), await count(version)]).toEqual([p0 + 1, v0 + 1]);
    expect(await register.metrics()).toContain('# HELP apiserver_request_terminations_total [ALPHA] Number of requests which apiserver terminated in self-defense.\n');
  });
});
