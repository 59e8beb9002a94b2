// Ingresses and IngressClasses against the real apiserver and etcd: the default `tskube` class made
// at start (and not again once deleted, until a restart), DefaultIngressClass admission, Kubernetes'
// 422 messages, the status subresource, kubectl's table columns, and the node authorizer's edge
// to the TLS Secrets of Ingresses the nodes' ingress controller serves.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeToken } from '../../pkg/apiserver/pki.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import type { Ingress, IngressClass } from '../../pkg/api/types.js';
import { IngressClasses, Ingresses, core, type RestClient } from '../../pkg/client/rest-client.js';
import { eventually, failure, startControlPlane, type TestControlPlane } from '../helpers/control-plane.js';

let cp: TestControlPlane;
let admin: RestClient;

beforeAll(async () => {
  cp = await startControlPlane();
  admin = cp.admin;
});
afterAll(async () => {
  await cp?.stop();
});

const backend = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const ingress = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, ...extra },
  spec,
});
const simpleRules = [{ host: 'foo.example.com', http: { paths: [{ path: '/a', pathType: 'Prefix', backend: backend('web', 80) }] } }];
const ingressClass = (name: string, controller: string, isDefault = false) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
  spec: { controller },
});

type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
const tableOf = (path: string) => admin.request<Table>(path, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });

describe('IngressClass', () => {
  it('the tskube class exists from the start as the default, served by tskube.io/ingress', async () => {
    const c = await admin.get<IngressClass>(IngressClasses, undefined, 'tskube');
    expect(c.spec).toEqual({ controller: 'tskube.io/ingress' });
    expect(c.metadata?.annotations).toEqual({ 'ingressclass.kubernetes.io/is-default-class': 'true' });
    const t = await tableOf('/apis/networking.k8s.io/v1/ingressclasses');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Controller', 'Parameters', 'Age']);
    expect(t.rows.find((r) => r.cells[0] === 'tskube')?.cells.slice(0, 3)).toEqual(['tskube', 'tskube.io/ingress', '<none>']);
  });

  it('is validated, defaulted and keeps its controller', async () => {
    const bad = await failure(admin.create(IngressClasses, undefined, ingressClass('bad', 'nginx')));
    expect(bad.code).toBe(422);
    expect(bad.message).toBe('IngressClass.networking.k8s.io "bad" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")');
    const withParams = await admin.create<IngressClass>(IngressClasses, undefined, { ...ingressClass('params', 'example.com/lb'), spec: { controller: 'example.com/lb', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'p' } } });
    expect(withParams.spec?.parameters?.scope).toBe('Cluster');
    const t = await tableOf('/apis/networking.k8s.io/v1/ingressclasses/params');
    expect(t.rows[0]!.cells.slice(0, 3)).toEqual(['params', 'example.com/lb', 'IngressParameters.k8s.example.com/p']);
    const moved = await failure(admin.patch(IngressClasses, undefined, 'params', { spec: { controller: 'example.com/other' } }, 'merge'));
    expect(moved.message).toBe('IngressClass.networking.k8s.io "params" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable');
    await admin.delete(IngressClasses, undefined, 'params');
  });
});

describe('Ingress', () => {
  it('gets the default class when it names none (and keeps a class given by field or annotation)', async () => {
    const plain = await admin.create<Ingress>(Ingresses, 'default', ingress('plain', { rules: simpleRules }));
    expect(plain.spec?.ingressClassName).toBe('tskube');
    expect(plain.status).toEqual({ loadBalancer: {} });
    const named = await admin.create<Ingress>(Ingresses, 'default', ingress('named', { ingressClassName: 'other', rules: simpleRules }));
    expect(named.spec?.ingressClassName).toBe('other');
    const annotated = await admin.create<Ingress>(Ingresses, 'default', ingress('annotated', { rules: simpleRules }, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } }));
    expect(annotated.spec?.ingressClassName).toBeUndefined();
    // Admission applies to creates only: an update that drops the class does not get it back.
    const { ingressClassName: _c, ...rest } = plain.spec!;
    const updated = await admin.update<Ingress>(Ingresses, 'default', 'plain', { ...plain, spec: rest });
    expect(updated.spec?.ingressClassName).toBeUndefined();
    for (const n of ['plain', 'named', 'annotated']) await admin.delete(Ingresses, 'default', n);
  });

  it('with two default classes takes the newest; with none, leaves the class unset', async () => {
    await admin.create(IngressClasses, undefined, ingressClass('newer', 'example.com/lb', true));
    try {
      const ing = await admin.create<Ingress>(Ingresses, 'default', ingress('two-defaults', { rules: simpleRules }));
      expect(ing.spec?.ingressClassName).toBe('newer');
    } finally {
      await admin.delete(IngressClasses, undefined, 'newer');
    }
    await admin.delete(IngressClasses, undefined, 'tskube');
    try {
      const ing = await admin.create<Ingress>(Ingresses, 'default', ingress('no-default', { rules: simpleRules }));
      expect(ing.spec?.ingressClassName).toBeUndefined();
    } finally {
      await admin.delete(Ingresses, 'default', 'two-defaults');
      await admin.delete(Ingresses, 'default', 'no-default');
    }
    // The class is made again when absent at the next start.
    await cp.restart();
    expect((await admin.get<IngressClass>(IngressClasses, undefined, 'tskube')).spec?.controller).toBe('tskube.io/ingress');
  });

  it('is refused with Kubernetes\' 422 messages', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'spec: Invalid value: null: either `defaultBackend` or `rules` must be specified'],
      [{ rules: [{ http: { paths: [{ path: '/a', backend: backend('web', 80) }] } }] }, 'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified'],
      [{ rules: [{ http: { paths: [{ path: 'a', pathType: 'Prefix', backend: backend('web', 80) }] } }] }, 'spec.rules[0].http.paths[0].path: Invalid value: "a": must be an absolute path'],
      [{ rules: [{ host: '1.2.3.4', http: { paths: [{ path: '/', pathType: 'Exact', backend: backend('web', 80) }] } }] }, 'spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address'],
      [{ defaultBackend: { service: { name: 'web', port: { name: 'http', number: 80 } } } }, 'spec.defaultBackend: Invalid value: "": cannot set both port name & port number'],
      [{ defaultBackend: { service: { name: 'web' } } }, 'spec.defaultBackend: Required value: port name or number is required'],
    ];
    for (const [spec, msg] of cases) {
      const e = await failure(admin.create(Ingresses, 'default', ingress('bad', spec)));
      expect(e.code).toBe(422);
      expect(e.message).toBe(`Ingress.networking.k8s.io "bad" is invalid: ${msg}`);
    }
    const wild = await failure(admin.create(Ingresses, 'default', ingress('bad', { rules: [{ host: 'foo.*.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } }] })));
    expect(wild.message).toContain("spec.rules[0].host: Invalid value: \"foo.*.com\": a wildcard DNS-1123 subdomain must start with '*.'");
    const conflict = await failure(admin.create(Ingresses, 'default', ingress('bad', { ingressClassName: 'tskube', rules: simpleRules }, { annotations: { 'kubernetes.io/ingress.class': 'nginx' } })));
    expect(conflict.message).toBe('Ingress.networking.k8s.io "bad" is invalid: annotations.kubernetes.io/ingress.class: Invalid value: "nginx": must match `ingressClassName` when both are specified');
    // A field of the wrong type is refused at decoding, with a 400 as Kubernetes' decoder gives.
    const typed = await failure(admin.create(Ingresses, 'default', ingress('bad', { defaultBackend: { service: { name: 'web', port: { number: 'eighty' } } } })));
    expect(typed.code).toBe(400);
  });

  it('has a status subresource that alone writes status, and kubectl\'s columns', async () => {
    const spec = {
      rules: [
        { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } },
        { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } },
        { host: 'c.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } },
        { host: 'd.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } },
      ],
      tls: [{ hosts: ['a.example.com'], secretName: 'a-tls' }],
    };
    const ing = await admin.create<Ingress>(Ingresses, 'default', ingress('cols', spec));
    const lb = { ingress: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }] };
    // The main resource ignores status; the subresource ignores spec.
    const main = await admin.update<Ingress>(Ingresses, 'default', 'cols', { ...ing, status: { loadBalancer: lb } });
    expect(main.status).toEqual({ loadBalancer: {} });
    const st = await admin.update<Ingress>(Ingresses, 'default', 'cols', { ...main, spec: { defaultBackend: backend('x', 1) }, status: { loadBalancer: lb } }, 'status');
    expect(st.status?.loadBalancer?.ingress).toEqual(lb.ingress);
    expect(st.spec?.rules).toHaveLength(4);
    const badStatus = await failure(admin.update(Ingresses, 'default', 'cols', { ...st, status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }] } } }, 'status'));
    expect(badStatus.message).toBe('Ingress.networking.k8s.io "cols" is invalid: status.loadBalancer.ingress[0].ip: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');

    const t = await tableOf('/apis/networking.k8s.io/v1/namespaces/default/ingresses');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
    expect(t.rows[0]!.cells.slice(0, 5)).toEqual(['cols', 'tskube', 'a.example.com,b.example.com,c.example.com + 1 more...', '10.0.0.1,10.0.0.2', '80, 443']);
    await admin.delete(Ingresses, 'default', 'cols');
  });
});

describe('node authorization of ingress TLS secrets', () => {
  const tlsSecret = (name: string, type = 'kubernetes.io/tls') => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type,
    ...(type === 'kubernetes.io/tls' ? { stringData: { 'tls.crt': 'cert', 'tls.key': 'key' } } : { stringData: { x: 'y' } }),
  });
  const withTLS = (name: string, secret: string, cls?: string) => ingress(name, { ...(cls ? { ingressClassName: cls } : {}), rules: simpleRules, tls: [{ hosts: ['foo.example.com'], secretName: secret }] });

  it('a node gets a kubernetes.io/tls Secret only while an Ingress of a tskube.io/ingress class names it', async () => {
    const node = cp.nodeClient('ingress-node');
    const Secrets = core('secrets');
    for (const s of [tlsSecret('site-tls'), tlsSecret('other-tls'), tlsSecret('opaque', 'Opaque')]) await admin.create(Secrets, 'default', s);
    expect((await failure(node.get(Secrets, 'default', 'site-tls'))).code).toBe(403);
    await admin.create(Ingresses, 'default', withTLS('site', 'site-tls'));
    expect((await node.get<{ type: string }>(Secrets, 'default', 'site-tls')).type).toBe('kubernetes.io/tls');
    // The same over gRPC, the frontend node agents use.
    const grpcNode = new GrpcApiClient(readFileSync(join(cp.dataDir, 'grpc-address'), 'utf8').trim(), { caCert: readFileSync(join(cp.dataDir, 'pki', 'ca.crt'), 'utf8'), token: ensureNodeToken(join(cp.dataDir, 'tokens.csv'), 'ingress-node') });
    try {
      expect((await grpcNode.get<{ type: string }>(Secrets, 'default', 'site-tls')).type).toBe('kubernetes.io/tls');
      expect((await failure(grpcNode.get(Secrets, 'default', 'other-tls'))).code).toBe(403);
    } finally {
      grpcNode.close();
    }
    // Not another namespace's Secret of that name, nor a list, nor an Opaque Secret an Ingress names.
    expect((await failure(node.list(Secrets, 'default'))).code).toBe(403);
    await admin.create(Ingresses, 'default', withTLS('opaque', 'opaque'));
    expect((await failure(node.get(Secrets, 'default', 'opaque'))).code).toBe(403);
    // An Ingress of another controller's class gives nothing.
    await admin.create(IngressClasses, undefined, ingressClass('nginx', 'k8s.io/ingress-nginx'));
    await admin.create(Ingresses, 'default', withTLS('other', 'other-tls', 'nginx'));
    expect((await failure(node.get(Secrets, 'default', 'other-tls'))).code).toBe(403);
    // Once the Ingress is gone, so is the right: as soon as the authorizer's watch hears of the
    // delete (eventually consistent, as the kube-apiserver's node authorizer graph is).
    await admin.delete(Ingresses, 'default', 'site');
    await eventually(async () => (await node.get(Secrets, 'default', 'site-tls').then(() => 200, (e: { code?: number }) => e.code)) === 403, { timeoutMs: 5000, what: 'the right to go with the Ingress' });
  });
});
