import { describe, expect, it } from 'vitest';
import { defaultIngressClassObject } from './defaults-networking.js';
import { formatFieldError } from './field-error.js';
import { defaultIngressClass, servedBy } from './ingress-class.js';
import type { Ingress, IngressClass, IngressSpec } from './types.js';
import { validateIngress, validateIngressClass, validateIngressClassUpdate, validateIngressStatusUpdate, validateIngressUpdate } from './validation-ingress.js';

const backend = { service: { name: 'web', port: { number: 80 } } };
const ing = (spec: IngressSpec, annotations?: Record<string, string>): Ingress => ({ metadata: { name: 'ing', namespace: 'default', annotations }, spec });
const rule = (path: Record<string, unknown>, host?: string): IngressSpec => ({ rules: [{ host, http: { paths: [{ backend, ...path }] } }] });
const messages = (i: Ingress) => validateIngress(i).map(formatFieldError);

describe('Ingress validation', () => {
  it('accepts rules with each path type, wildcard hosts, TLS and a default backend', () => {
    const spec: IngressSpec = {
      ingressClassName: 'tskube',
      defaultBackend: { service: { name: 'fallback', port: { name: 'http' } } },
      tls: [{ hosts: ['foo.com', '*.bar.com'], secretName: 'certs' }],
      rules: [
        { host: 'foo.com', http: { paths: [{ path: '/a', pathType: 'Prefix', backend }, { path: '/a/b', pathType: 'Exact', backend }] } },
        { host: '*.bar.com', http: { paths: [{ pathType: 'ImplementationSpecific', backend }] } },
        { http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } } }] } },
      ],
    };
    expect(messages(ing(spec))).toEqual([]);
  });

  it('requires rules or a default backend, and a path type', () => {
    expect(messages(ing({}))).toEqual(['spec: Invalid value: null: either `defaultBackend` or `rules` must be specified']);
    expect(messages(ing(rule({ path: '/a' })))).toEqual(['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
    expect(messages(ing({ rules: [{ host: 'a.com', http: { paths: [] } }] }))).toEqual(['spec.rules[0].http.paths: Required value']);
    expect(messages(ing(rule({ path: '/a', pathType: 'Regex' })))).toEqual(['spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"']);
  });

  it('wants absolute paths without dot segments or encoded slashes for Exact and Prefix', () => {
    expect(messages(ing(rule({ path: 'foo', pathType: 'Prefix' })))).toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path']);
    expect(messages(ing(rule({ pathType: 'Exact' })))).toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "": must be an absolute path']);
    expect(messages(ing(rule({ path: '/a//b', pathType: 'Prefix' })))).toEqual(["spec.rules[0].http.paths[0].path: Invalid value: \"/a//b\": must not contain '//'"]);
    expect(messages(ing(rule({ path: '/a/..', pathType: 'Exact' })))).toEqual(["spec.rules[0].http.paths[0].path: Invalid value: \"/a/..\": cannot end with '/..'"]);
    expect(messages(ing(rule({ path: '/a%2Fb', pathType: 'Prefix' })))).toEqual(["spec.rules[0].http.paths[0].path: Invalid value: \"/a%2Fb\": must not contain '%2F'"]);
    // ImplementationSpecific: empty is fine, relative is not.
    expect(messages(ing(rule({ path: 'x', pathType: 'ImplementationSpecific' })))).toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path']);
  });

  it('checks hosts: DNS names, a wildcard only as the whole first label, no IPs', () => {
    expect(messages(ing(rule({ path: '/', pathType: 'Prefix' }, '10.0.0.1')))).toEqual(['spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address']);
    const [wild] = messages(ing(rule({ path: '/', pathType: 'Prefix' }, 'foo.*.com')));
    expect(wild).toMatch(/^spec\.rules\[0\]\.host: Invalid value: "foo\.\*\.com": a wildcard DNS-1123 subdomain must start with '\*\.'/);
    expect(messages(ing(rule({ path: '/', pathType: 'Prefix' }, '*')))).toHaveLength(1);
    const [upper] = messages(ing(rule({ path: '/', pathType: 'Prefix' }, 'Foo.com')));
    expect(upper).toMatch(/^spec\.rules\[0\]\.host: Invalid value: "Foo\.com": a lowercase RFC 1123 subdomain/);
    const [tls] = validateIngress(ing({ ...rule({ path: '/', pathType: 'Prefix' }), tls: [{ hosts: ['ok.com', 'bad_host'], secretName: 'Bad' }] })).map(formatFieldError);
    expect(tls).toMatch(/^spec\.tls\[0\]\.hosts\[1\]: Invalid value: "bad_host"/);
    expect(messages(ing({ ...rule({ path: '/', pathType: 'Prefix' }), tls: [{ secretName: 'Bad' }] }))[0]).toMatch(/^spec\.tls\[0\]\.secretName: Invalid value: "Bad"/);
  });

  it('checks backends: a service name and exactly one of port name and number, or a resource', () => {
    const b = (backend: unknown) => messages(ing({ defaultBackend: backend as never }));
    expect(b({ service: { name: 'web' } })).toEqual(['spec.defaultBackend: Required value: port name or number is required']);
    expect(b({ service: { name: 'web', port: { name: 'http', number: 80 } } })).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both port name & port number']);
    expect(b({ service: { name: 'web', port: { number: 70000 } } })).toEqual(['spec.defaultBackend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive']);
    expect(b({ service: { name: 'web', port: { name: 'web_1' } } })).toEqual(['spec.defaultBackend.service.port.name: Invalid value: "web_1": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)']);
    expect(b({ service: { port: { number: 80 } } })).toEqual(['spec.defaultBackend.service.name: Required value']);
    expect(b({ service: { name: '1web', port: { number: 80 } } })[0]).toMatch(/^spec\.defaultBackend\.service\.name: Invalid value: "1web": a DNS-1035 label/);
    expect(b({})).toEqual(['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
    expect(b({ ...backend, resource: { kind: 'Bucket', name: 'b' } })).toEqual(['spec.defaultBackend: Invalid value: "": cannot set both resource and service backends']);
    expect(b({ resource: { name: 'a/b' } })).toEqual(['spec.defaultBackend.resource.kind: Required value: kind is required', "spec.defaultBackend.resource.name: Invalid value: \"a/b\": may not contain '/'"]);
  });

  it('wants the class annotation to agree with ingressClassName on create', () => {
    const spec = { ...rule({ path: '/', pathType: 'Prefix' }), ingressClassName: 'tskube' };
    expect(messages(ing(spec, { 'kubernetes.io/ingress.class': 'tskube' }))).toEqual([]);
    expect(messages(ing(spec, { 'kubernetes.io/ingress.class': 'nginx' }))).toEqual(['annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` when both are specified']);
    expect(validateIngressUpdate(ing(spec, { 'kubernetes.io/ingress.class': 'nginx' }), ing(spec))).toEqual([]);
    expect(messages(ing({ ...spec, ingressClassName: 'Bad_Class' }))[0]).toMatch(/^spec\.ingressClassName: Invalid value: "Bad_Class"/);
  });

  it('checks the status addresses', () => {
    const old = ing(rule({ path: '/', pathType: 'Prefix' }));
    const next = (lb: unknown) => validateIngressStatusUpdate({ ...old, status: { loadBalancer: { ingress: lb as never } } }, old).map(formatFieldError);
    expect(next([{ ip: '10.0.0.1' }, { hostname: 'lb.example.com' }])).toEqual([]);
    expect(next([{ ip: '10.0.0.300' }])).toEqual(['status.loadBalancer.ingress[0].ip: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    expect(next([{ hostname: '10.0.0.1' }])).toEqual(['status.loadBalancer.ingress[0].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address']);
  });
});

describe('IngressClass validation and defaults', () => {
  const cls = (spec: IngressClass['spec']): IngressClass => defaultIngressClassObject({ metadata: { name: 'c' }, spec });
  const msgs = (c: IngressClass) => validateIngressClass(c).map(formatFieldError);

  it('wants a domain-prefixed controller of at most 250 characters', () => {
    expect(msgs(cls({ controller: 'tskube.io/ingress' }))).toEqual([]);
    expect(msgs(cls({}))).toEqual(['spec.controller: Required value']);
    expect(msgs(cls({ controller: 'nginx' }))).toEqual(['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")']);
    expect(msgs(cls({ controller: 'acme.io/a b' }))).toEqual([`spec.controller: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')`]);
    expect(msgs(cls({ controller: `acme.io/${'x'.repeat(250)}` }))[0]).toBe('spec.controller: Too long: must have at most 250 bytes');
  });

  it('defaults a parameters scope to Cluster and checks namespace scoping', () => {
    expect(cls({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n' } }).spec?.parameters?.scope).toBe('Cluster');
    expect(msgs(cls({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', namespace: 'x' } }))).toEqual(["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
    expect(msgs(cls({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Namespace' } }))).toEqual(["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    expect(msgs(cls({ controller: 'a.io/b', parameters: { kind: 'K', name: 'n', scope: 'Global' } }))).toEqual(['spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"']);
  });

  it('keeps the controller immutable', () => {
    const old = cls({ controller: 'a.io/b' });
    expect(validateIngressClassUpdate(cls({ controller: 'a.io/c' }), old).map(formatFieldError)).toEqual(['spec.controller: Invalid value: "a.io/c": field is immutable']);
  });
});

describe('ingress classes', () => {
  const c = (name: string, controller: string, isDefault: boolean, created: string): IngressClass => ({
    metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
    spec: { controller },
  });
  const classes = [c('tskube', 'tskube.io/ingress', true, '2026-01-01T00:00:00Z'), c('nginx', 'k8s.io/ingress-nginx', false, '2026-01-02T00:00:00Z')];
  const byName = new Map(classes.map((x) => [x.metadata!.name!, x]));

  it('takes the newest default class, then the first by name', () => {
    expect(defaultIngressClass(classes)?.metadata?.name).toBe('tskube');
    expect(defaultIngressClass([...classes, c('b', 'x.io/y', true, '2026-02-01T00:00:00Z'), c('a', 'x.io/y', true, '2026-02-01T00:00:00Z')])?.metadata?.name).toBe('a');
    expect(defaultIngressClass([classes[1]!])).toBeUndefined();
  });

  it('serves an Ingress by field, annotation, or (without either) when the default class is its', () => {
    const served = (spec: IngressSpec, annotations?: Record<string, string>, m = byName) => servedBy(ing(spec, annotations), m, 'tskube.io/ingress');
    expect(served({ ingressClassName: 'tskube' })).toBe(true);
    expect(served({ ingressClassName: 'nginx' })).toBe(false);
    expect(served({ ingressClassName: 'missing' })).toBe(false);
    expect(served({}, { 'kubernetes.io/ingress.class': 'tskube' })).toBe(true);
    expect(served({}, { 'kubernetes.io/ingress.class': 'nginx' })).toBe(false);
    expect(served({})).toBe(true);
    expect(served({}, undefined, new Map([['nginx', classes[1]!]]))).toBe(false);
  });
});
