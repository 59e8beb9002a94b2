import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Logger } from './log.js';
import { GatherError, goFloat, metricsText, serveMetricsPage } from './prom-text.js';

describe('goFloat', () => {
  it("writes a float as Go's strconv.FormatFloat(v, 'g', -1, 64) and expfmt's writeFloat do", () => {
    const cases: [number, string][] = [
      [0, '0'], [-0, '0'], [1, '1'], [-1, '-1'], [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
      [0.005, '0.005'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1e-8, '1e-08'], [1e-7, '1e-07'], [1e-6, '1e-06'],
      [1e-8 * 10 * 10 * 10, '9.999999999999999e-06'], [-2.5e-7, '-2.5e-07'], [5e-324, '5e-324'], [1e-100, '1e-100'],
      [2.5, '2.5'], [60, '60'], [5242.88, '5242.88'], [131072, '131072'], [100000, '100000'], [999999, '999999'],
      [1e6, '1e+06'], [1.5e6, '1.5e+06'], [1234567, '1.234567e+06'], [1764583200, '1.7645832e+09'], [1e9, '1e+09'],
      [1e21, '1e+21'], [1.7976931348623157e308, '1.7976931348623157e+308'], [-123.456, '-123.456'],
    ];
    for (const [v, go] of cases) expect([v, goFloat(v)]).toEqual([v, go]);
  });
});

describe('metricsText', () => {
  it('writes le, quantile and values as client_golang does', async () => {
    const registry = new Registry();
    // workqueue's ExponentialBuckets(10e-9, 10, 10) and apiserver_response_sizes' ExponentialBuckets(1000, 10, 7)
    const wq: number[] = [];
    for (let i = 0, b = 10e-9; i < 10; i++, b *= 10) wq.push(b);
    const h = new Histogram({ name: 'wq_seconds', help: 'h', labelNames: ['name'], buckets: wq, registers: [registry] });
    h.observe({ name: 'a"b' }, 3e-6);
    const sizes = new Histogram({ name: 'sizes', help: 'line\nbreak \\ here', buckets: [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9], registers: [registry] });
    sizes.observe(2_000_000);
    new Counter({ name: 'big_total', help: 'c', labelNames: ['code'], registers: [registry] }).inc({ code: 200 }, 12_345_678);
    new Gauge({ name: 'nan', help: 'g', registers: [registry] }).set(NaN);
    new Summary({ name: 'sum', help: 's', percentiles: [0.5, 0.00001], registers: [registry] }).observe(1);
    const text = await metricsText(registry);
    const les = (name: string) => [...text.matchAll(new RegExp(`^${name}_bucket\\{(?:[^}]*,)?le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    expect(les('wq_seconds')).toEqual(['1e-08', '1e-07', '1e-06', '9.999999999999999e-06', '9.999999999999999e-05', '0.001', '0.01', '0.1', '1', '10', '+Inf']);
    expect(text).toContain('wq_seconds_bucket{name="a\\"b",le="1e-06"} 0\nwq_seconds_bucket{name="a\\"b",le="9.999999999999999e-06"} 1\n');
    expect(text).toContain('wq_seconds_sum{name="a\\"b"} 3e-06\nwq_seconds_count{name="a\\"b"} 1\n');
    expect(les('sizes')).toEqual(['1000', '10000', '100000', '1e+06', '1e+07', '1e+08', '1e+09', '+Inf']);
    expect(text).toContain('# HELP sizes line\\nbreak \\\\ here\n# TYPE sizes histogram\n');
    expect(text).toContain('sizes_sum 2e+06\n');
    expect(text).toContain('big_total{code="200"} 1.2345678e+07\n');
    expect(text).toContain('nan NaN\n');
    expect(text).toMatch(/^sum\{quantile="0.5"\} 1\nsum\{quantile="1e-05"\} 1\nsum_sum 1\nsum_count 1$/m);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('gathers as a client_golang registry does: families by name, none empty, series by label values, labels by name with le and quantile last', async () => {
    const registry = new Registry();
    // Registered out of name order, labels declared out of name order, observed out of value order.
    const req = new Histogram({ name: 'req_seconds', help: 'h', labelNames: ['verb', 'code', 'component'], buckets: [0.1, 1], registers: [registry] });
    new Counter({ name: 'empty_total', help: 'a vector with no children', labelNames: ['code'], registers: [registry] });
    new Gauge({ name: 'emptied', help: 'reset at scrape', labelNames: ['x'], registers: [registry], collect() { this.reset(); } });
    const calls = new Counter({ name: 'calls_total', help: 'c', labelNames: ['verb', 'code'], registers: [registry] });
    new Counter({ name: 'plain_total', help: 'no labels: always there', registers: [registry] });
    const lat = new Summary({ name: 'lat', help: 's', labelNames: ['zone', 'app'], percentiles: [0.5], registers: [registry] });
    req.observe({ verb: 'POST', code: '201', component: 'apiserver' }, 0.5);
    req.observe({ verb: 'GET', code: '200', component: 'apiserver' }, 0.05);
    calls.inc({ verb: 'PUT', code: 409 });
    calls.inc({ verb: 'GET', code: 200 });
    calls.inc({ verb: 'GET', code: 404 });
    lat.observe({ zone: 'b', app: 'x' }, 2);
    lat.observe({ zone: 'a', app: 'y' }, 3);
    // A family registered by hand whose samples carry le among their own labels (flowcontrol-metrics' histograms).
    registry.registerMetric({
      name: 'hand', help: 'by hand', type: 'histogram', aggregator: 'sum', reset: () => {},
      get: async () => ({ name: 'hand', help: 'by hand', type: 'histogram', aggregator: 'sum', values: [
        { metricName: 'hand_bucket', labels: { le: 1, pl: 'z', fs: 'b' }, value: 1 },
        { metricName: 'hand_bucket', labels: { le: '+Inf', pl: 'z', fs: 'b' }, value: 1 },
        { metricName: 'hand_sum', labels: { pl: 'z', fs: 'b' }, value: 1 },
        { metricName: 'hand_count', labels: { pl: 'z', fs: 'b' }, value: 1 },
        { metricName: 'hand_bucket', labels: { le: 1, pl: 'a', fs: 'b' }, value: 0 },
        { metricName: 'hand_bucket', labels: { le: '+Inf', pl: 'a', fs: 'b' }, value: 2 },
        { metricName: 'hand_sum', labels: { pl: 'a', fs: 'b' }, value: 4 },
        { metricName: 'hand_count', labels: { pl: 'a', fs: 'b' }, value: 2 },
      ] }),
    } as unknown as Parameters<typeof registry.registerMetric>[0]);
    const text = await metricsText(registry);
    expect(text).toBe([
      '# HELP calls_total c', '# TYPE calls_total counter',
      'calls_total{code="200",verb="GET"} 1',
      'calls_total{code="404",verb="GET"} 1',
      'calls_total{code="409",verb="PUT"} 1',
      '# HELP hand by hand', '# TYPE hand histogram',
      'hand_bucket{fs="b",pl="a",le="1"} 0', 'hand_bucket{fs="b",pl="a",le="+Inf"} 2', 'hand_sum{fs="b",pl="a"} 4', 'hand_count{fs="b",pl="a"} 2',
      'hand_bucket{fs="b",pl="z",le="1"} 1', 'hand_bucket{fs="b",pl="z",le="+Inf"} 1', 'hand_sum{fs="b",pl="z"} 1', 'hand_count{fs="b",pl="z"} 1',
      '# HELP lat s', '# TYPE lat summary',
      'lat{app="x",zone="b",quantile="0.5"} 2', 'lat_sum{app="x",zone="b"} 2', 'lat_count{app="x",zone="b"} 1',
      'lat{app="y",zone="a",quantile="0.5"} 3', 'lat_sum{app="y",zone="a"} 3', 'lat_count{app="y",zone="a"} 1',
      '# HELP plain_total no labels: always there', '# TYPE plain_total counter',
      'plain_total 0',
      '# HELP req_seconds h', '# TYPE req_seconds histogram',
      'req_seconds_bucket{code="200",component="apiserver",verb="GET",le="0.1"} 1',
      'req_seconds_bucket{code="200",component="apiserver",verb="GET",le="1"} 1',
      'req_seconds_bucket{code="200",component="apiserver",verb="GET",le="+Inf"} 1',
      'req_seconds_sum{code="200",component="apiserver",verb="GET"} 0.05',
      'req_seconds_count{code="200",component="apiserver",verb="GET"} 1',
      'req_seconds_bucket{code="201",component="apiserver",verb="POST",le="0.1"} 0',
      'req_seconds_bucket{code="201",component="apiserver",verb="POST",le="1"} 1',
      'req_seconds_bucket{code="201",component="apiserver",verb="POST",le="+Inf"} 1',
      'req_seconds_sum{code="201",component="apiserver",verb="POST"} 0.5',
      'req_seconds_count{code="201",component="apiserver",verb="POST"} 1',
      '',
    ].join('\n'));
  });

  it('sorts series by each label value in turn, a shorter value before a longer one it begins', async () => {
    const registry = new Registry();
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['a', 'b'], registers: [registry] });
    // Compared as rendered text, a="x",… and a="x!",… would order by '"' against '!'; metricSorter compares values.
    g.set({ a: 'x!', b: '1' }, 1);
    g.set({ a: 'x', b: '2' }, 2);
    g.set({ a: 'x', b: '10' }, 3);
    expect((await metricsText(registry)).split('\n').slice(2, 5)).toEqual(['g{a="x",b="10"} 3', 'g{a="x",b="2"} 2', 'g{a="x!",b="1"} 1']);
  });

  it('writes nothing for a registry whose families are all empty', async () => {
    const registry = new Registry();
    new Counter({ name: 'c_total', help: 'c', labelNames: ['code'], registers: [registry] });
    expect(await metricsText(registry)).toBe('');
  });
});

describe('a page a collector fails (promhttp HandlerOpts{}: HTTPErrorOnError)', () => {
  const failing = () => {
    const registry = new Registry();
    new Gauge({ name: 'ok_gauge', help: 'fine', registers: [registry] }).set(1);
    new Gauge({
      name: 'broken_gauge',
      help: 'reads a file',
      labelNames: ['device', 'kind'],
      registers: [registry],
      collect() {
        throw new Error('open /proc/nope: no such file or directory');
      },
    });
    new Gauge({ name: 'late_gauge', help: 'h', registers: [registry], collect: () => Promise.reject(new Error('timed out')) });
    return registry;
  };

  it('gathers every collector and fails with all their errors, in client_golang\'s words', async () => {
    const err = await metricsText(failing()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatherError);
    expect((err as GatherError).message).toBe(
      '2 error(s) occurred:\n' +
        '* error collecting metric Desc{fqName: "broken_gauge", help: "reads a file", constLabels: {}, variableLabels: {device,kind}}: open /proc/nope: no such file or directory\n' +
        '* error collecting metric Desc{fqName: "late_gauge", help: "h", constLabels: {}, variableLabels: {}}: timed out',
    );
  });

  it('answers 500 with promhttp\'s text and logs each failed collector by name', async () => {
    const lines: { msg: string; fields: Record<string, unknown> }[] = [];
    const log = { error: (msg: string, fields: Record<string, unknown> = {}) => lines.push({ msg, fields }) } as unknown as Logger;
    const res = { headersSent: false, code: 0, headers: {} as Record<string, string>, body: '', writeHead(code: number, headers: Record<string, string>) { this.code = code; this.headers = headers; }, end(body: string) { this.body = body; } };
    await serveMetricsPage(failing(), res, log);
    expect(res.code).toBe(500);
    expect(res.headers).toEqual({ 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    expect(res.body).toMatch(/^An error has occurred while serving metrics:\n\n2 error\(s\) occurred:\n\* error collecting metric Desc\{fqName: "broken_gauge".*timed out\n$/s);
    expect(lines).toEqual([
      { msg: 'error gathering metrics', fields: { metric: 'broken_gauge', err: 'error collecting metric Desc{fqName: "broken_gauge", help: "reads a file", constLabels: {}, variableLabels: {device,kind}}: open /proc/nope: no such file or directory' } },
      { msg: 'error gathering metrics', fields: { metric: 'late_gauge', err: 'error collecting metric Desc{fqName: "late_gauge", help: "h", constLabels: {}, variableLabels: {}}: timed out' } },
    ]);
  });

  it('serves the families it could gather with continueOnError (the kubelet\'s /metrics/probes: ContinueOnError), the error when there are none', async () => {
    const lines: string[] = [];
    const log = { error: (msg: string, fields: Record<string, unknown> = {}) => lines.push(`${msg} ${String(fields.metric)}`) } as unknown as Logger;
    const res = { headersSent: false, code: 0, headers: {} as Record<string, string>, body: '', writeHead(code: number, headers: Record<string, string>) { this.code = code; this.headers = headers; }, end(body: string) { this.body = body; } };
    await serveMetricsPage(failing(), res, log, { continueOnError: true });
    expect([res.code, res.body]).toEqual([200, '# HELP ok_gauge fine\n# TYPE ok_gauge gauge\nok_gauge 1\n']);
    expect(lines).toEqual(['error gathering metrics broken_gauge', 'error gathering metrics late_gauge']);
    const none = new Registry();
    new Gauge({ name: 'only_broken', help: 'h', registers: [none], collect: () => { throw new Error('boom'); } });
    await serveMetricsPage(none, res, log, { continueOnError: true });
    expect([res.code, res.body]).toEqual([500, 'An error has occurred while serving metrics:\n\n1 error(s) occurred:\n* error collecting metric Desc{fqName: "only_broken", help: "h", constLabels: {}, variableLabels: {}}: boom\n']);
  });

  it('serves a page gathered whole as before', async () => {
    const registry = new Registry();
    new Gauge({ name: 'ok_gauge', help: 'fine', registers: [registry] }).set(1);
    const res = { headersSent: false, code: 0, headers: {} as Record<string, string>, body: '', writeHead(code: number, headers: Record<string, string>) { this.code = code; this.headers = headers; }, end(body: string) { this.body = body; } };
    await serveMetricsPage(registry, res, {} as Logger);
    expect([res.code, res.headers['Content-Type'], res.body]).toEqual([200, registry.contentType, '# HELP ok_gauge fine\n# TYPE ok_gauge gauge\nok_gauge 1\n']);
  });
});
