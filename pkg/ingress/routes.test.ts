import { describe, expect, it } from 'vitest';
import type { Ingress, IngressRule } from '../api/types.js';
import { hostMatches, normalizeHost, RouteTable } from './routes.js';

let seq = 0;
/** An Ingress whose paths each go to a Service named after them (`svc-<path>`). */
function ing(rules: { host?: string; paths: [string, string][] }[], opts: { name?: string; created?: string; defaultBackend?: string; ns?: string } = {}): Ingress {
  const name = opts.name ?? `ing${seq++}`;
  return {
    metadata: { name, namespace: opts.ns ?? 'default', creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
    spec: {
      defaultBackend: opts.defaultBackend ? { service: { name: opts.defaultBackend, port: { number: 80 } } } : undefined,
      rules: rules.map(
        (r): IngressRule => ({
          host: r.host,
          http: { paths: r.paths.map(([type, path]) => ({ pathType: type, path, backend: { service: { name: `svc-${type}${path}`, port: { number: 80 } } } })) },
        }),
      ),
    },
  };
}
const svcOf = (t: RouteTable, host: string | undefined, path: string) => t.match(host, path)?.backend.service;

describe('path matching (Kubernetes\' examples)', () => {
  const table = (...paths: [string, string][]) => new RouteTable([ing([{ paths }])]);

  it('Prefix / matches every path', () => {
    const t = table(['Prefix', '/']);
    for (const p of ['/', '/foo', '/foo/bar/']) expect(svcOf(t, 'x', p)).toBe('svc-Prefix/');
  });

  it('Exact /foo matches /foo only', () => {
    const t = table(['Exact', '/foo']);
    expect(svcOf(t, 'x', '/foo')).toBe('svc-Exact/foo');
    expect(svcOf(t, 'x', '/foo/')).toBeUndefined();
    expect(svcOf(t, 'x', '/bar')).toBeUndefined();
  });

  it('Prefix /foo matches /foo, /foo/ and /foo/bar by elements, not /foobar', () => {
    const t = table(['Prefix', '/foo']);
    for (const p of ['/foo', '/foo/', '/foo/bar', '/foo/bar/baz']) expect(svcOf(t, 'x', p)).toBe('svc-Prefix/foo');
    expect(svcOf(t, 'x', '/foobar')).toBeUndefined();
    expect(svcOf(t, 'x', '/fo')).toBeUndefined();
  });

  it('a trailing slash on a Prefix is ignored; a partial last element does not match', () => {
    expect(svcOf(table(['Prefix', '/foo/']), 'x', '/foo')).toBe('svc-Prefix/foo/');
    expect(svcOf(table(['Prefix', '/aaa/bb']), 'x', '/aaa/bbb')).toBeUndefined();
    expect(svcOf(table(['Prefix', '/aaa/bbb/']), 'x', '/aaa/bbb')).toBe('svc-Prefix/aaa/bbb/');
  });

  it('Exact wins, then the longest Prefix', () => {
    const t = table(['Prefix', '/'], ['Prefix', '/aaa'], ['Prefix', '/aaa/bbb'], ['Exact', '/aaa'], ['Exact', '/aaa/bbb/ccc']);
    expect(svcOf(t, 'x', '/aaa')).toBe('svc-Exact/aaa');
    expect(svcOf(t, 'x', '/aaa/')).toBe('svc-Prefix/aaa');
    expect(svcOf(t, 'x', '/aaa/bbb/ccc')).toBe('svc-Exact/aaa/bbb/ccc');
    expect(svcOf(t, 'x', '/aaa/bbb/ccd')).toBe('svc-Prefix/aaa/bbb');
    expect(svcOf(t, 'x', '/aaa/ccc')).toBe('svc-Prefix/aaa');
    expect(svcOf(t, 'x', '/ccc')).toBe('svc-Prefix/');
  });

  it('ImplementationSpecific is Prefix; without a path it is /', () => {
    const t = new RouteTable([ing([{ host: 'a.com', paths: [['ImplementationSpecific', '/x']] }, { host: 'b.com', paths: [['ImplementationSpecific', '']] }])]);
    expect(svcOf(t, 'a.com', '/x/y')).toBe('svc-ImplementationSpecific/x');
    expect(svcOf(t, 'a.com', '/xy')).toBeUndefined();
    expect(svcOf(t, 'b.com', '/anything')).toBe('svc-ImplementationSpecific');
  });
});

describe('host matching', () => {
  const t = new RouteTable([
    ing([{ host: 'foo.bar.com', paths: [['Prefix', '/exact']] }]),
    ing([{ host: '*.bar.com', paths: [['Prefix', '/wild']] }]),
    ing([{ paths: [['Prefix', '/any']] }]),
  ]);

  it('an exact host first, then a one-label wildcard, then the rules without host', () => {
    expect(svcOf(t, 'foo.bar.com', '/exact')).toBe('svc-Prefix/exact');
    expect(svcOf(t, 'baz.bar.com', '/wild')).toBe('svc-Prefix/wild');
    expect(svcOf(t, 'baz.bar.com', '/exact')).toBeUndefined();
    // The wildcard covers one label: not the bare domain, not two labels.
    expect(svcOf(t, 'bar.com', '/wild')).toBeUndefined();
    expect(svcOf(t, 'a.b.bar.com', '/wild')).toBeUndefined();
    expect(svcOf(t, 'other.com', '/any')).toBe('svc-Prefix/any');
  });

  it('falls back to a less specific host whose paths match', () => {
    expect(svcOf(t, 'foo.bar.com', '/wild')).toBe('svc-Prefix/wild');
    expect(svcOf(t, 'foo.bar.com', '/any')).toBe('svc-Prefix/any');
    expect(t.match('foo.bar.com', '/any')?.host).toBe('');
    expect(t.match('x.bar.com', '/wild')?.host).toBe('*.bar.com');
  });

  it('ignores case, the port and a trailing dot of the Host header', () => {
    expect(svcOf(t, 'FOO.bar.com:8080', '/exact')).toBe('svc-Prefix/exact');
    expect(svcOf(t, 'foo.bar.com.', '/exact')).toBe('svc-Prefix/exact');
    expect(normalizeHost('[::1]:80')).toBe('[::1]');
    expect(hostMatches(['*.bar.com'], 'x.bar.com')).toBe(true);
    expect(hostMatches(['*.bar.com'], 'bar.com')).toBe(false);
  });
});

describe('default backend and conflicts', () => {
  it('the default backend answers what no rule matches; without one, nothing does', () => {
    const withDefault = new RouteTable([ing([{ host: 'a.com', paths: [['Prefix', '/a']] }], { defaultBackend: 'fallback' })]);
    expect(svcOf(withDefault, 'a.com', '/a')).toBe('svc-Prefix/a');
    expect(svcOf(withDefault, 'a.com', '/b')).toBe('fallback');
    expect(svcOf(withDefault, 'b.com', '/')).toBe('fallback');
    expect(new RouteTable([ing([{ host: 'a.com', paths: [['Prefix', '/a']] }])]).match('b.com', '/')).toBeUndefined();
    expect(new RouteTable([]).match('a.com', '/')).toBeUndefined();
  });

  it('the oldest Ingress wins a host and path two of them give, and gives the default backend', () => {
    const newer = ing([{ host: 'a.com', paths: [['Prefix', '/']] }], { name: 'newer', created: '2026-02-01T00:00:00Z', defaultBackend: 'newer-default' });
    const older = ing([{ host: 'a.com', paths: [['Prefix', '/']] }], { name: 'older', created: '2026-01-01T00:00:00Z', defaultBackend: 'older-default' });
    const t = new RouteTable([newer, older]);
    expect(t.match('a.com', '/x')?.backend.ingress).toBe('older');
    expect(svcOf(t, 'b.com', '/')).toBe('older-default');
  });

  it('a resource backend is left out, as ingress-nginx and Traefik skip it, and backends keep their Ingress\'s namespace', () => {
    const bucket = { resource: { apiGroup: 'k8s.example.com', kind: 'Bucket', name: 'static' } };
    const r: Ingress = {
      metadata: { name: 'r', namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { defaultBackend: bucket, rules: [{ host: 'a.com', http: { paths: [{ path: '/static', pathType: 'Prefix', backend: bucket }, { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    };
    // (its path is not there: /static is served by a.com's / rule; nothing else and no default backend: 404)
    expect(new RouteTable([r]).match('a.com', '/static/x')?.backend).toEqual({ namespace: 'shop', ingress: 'r', service: 'web', port: { number: 80 } });
    expect(new RouteTable([r]).match('b.com', '/')).toBeUndefined();
    // (the default backend is the oldest Ingress's that names a Service)
    const later = ing([], { name: 'later', created: '2026-02-01T00:00:00Z', defaultBackend: 'later-default' });
    expect(svcOf(new RouteTable([r, later]), 'b.com', '/')).toBe('later-default');
  });
});
