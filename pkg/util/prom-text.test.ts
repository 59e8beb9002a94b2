import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { goFloat, metricsText } from './prom-text.js';

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
    const les = (name: string) => [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    expect(les('wq_seconds')).toEqual(['1e-08', '1e-07', '1e-06', '9.999999999999999e-06', '9.999999999999999e-05', '0.001', '0.01', '0.1', '1', '10', '+Inf']);
    expect(text).toContain('wq_seconds_bucket{le="1e-06",name="a\\"b"} 0\nwq_seconds_bucket{le="9.999999999999999e-06",name="a\\"b"} 1\n');
    expect(text).toContain('wq_seconds_sum{name="a\\"b"} 3e-06\nwq_seconds_count{name="a\\"b"} 1\n');
    expect(les('sizes')).toEqual(['1000', '10000', '100000', '1e+06', '1e+07', '1e+08', '1e+09', '+Inf']);
    expect(text).toContain('# HELP sizes line\\nbreak \\\\ here\n# TYPE sizes histogram\n');
    expect(text).toContain('sizes_sum 2e+06\n');
    expect(text).toContain('big_total{code="200"} 1.2345678e+07\n');
    expect(text).toContain('nan NaN\n');
    expect(text).toMatch(/^sum\{quantile="0.5"\} 1\nsum\{quantile="1e-05"\} 1\nsum_sum 1\nsum_count 1$/m);
    expect(text.endsWith('\n')).toBe(true);
  });
});
