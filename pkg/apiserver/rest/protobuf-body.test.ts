import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../errors.js';
import { decodeProtobufObject } from './protobuf-body.js';

/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
function envelope(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const w = new BinaryWriter();
  w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string(apiVersion).uint32((2 << 3) | 2).string(kind).join();
  w.uint32((2 << 3) | 2).bytes(raw);
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), w.finish()]);
}

const entry = (w: BinaryWriter, field: number, key: string, value: string | Uint8Array) => {
  w.uint32((field << 3) | 2).fork().uint32((1 << 3) | 2).string(key);
  if (typeof value === 'string') w.uint32((2 << 3) | 2).string(value);
  else w.uint32((2 << 3) | 2).bytes(value);
  w.join();
};

function meta(w: BinaryWriter, name: string): void {
  w.uint32((1 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).string(name);
  w.uint32((3 << 3) | 2).string('default');
  entry(w, 11, 'app', 'web');
  w.uint32((8 << 3) | 2).fork().uint32(1 << 3).int64(1700000000).join();
  w.join();
}

describe('protobuf request bodies', () => {
  it('decodes a Secret as kubectl create secret sends it: bytes become base64', () => {
    const w = new BinaryWriter();
    meta(w, 's');
    entry(w, 2, 'p', new Uint8Array([0x71]));
    w.uint32((3 << 3) | 2).string('Opaque');
    w.uint32(99 << 3).int32(1); // an unknown field is skipped
    expect(decodeProtobufObject(envelope('v1', 'Secret', w.finish()))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'default', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
      data: { p: 'cQ==' },
      type: 'Opaque',
    });
  });

  it('gives a template\'s zero creationTimestamp (an empty Time) as null and leaves out generation 0, as Go\'s JSON does (kubectl create deployment)', () => {
    const w = new BinaryWriter();
    meta(w, 'web');
    w.uint32((2 << 3) | 2).fork(); // DeploymentSpec
    w.uint32((3 << 3) | 2).fork(); // template
    w.uint32((1 << 3) | 2).fork(); // template metadata: generation 0, zero creationTimestamp, labels
    w.uint32(7 << 3).int64(0);
    w.uint32((8 << 3) | 2).bytes(new Uint8Array());
    entry(w, 11, 'app', 'web');
    w.join();
    w.join();
    w.join();
    const d = decodeProtobufObject(envelope('apps/v1', 'Deployment', w.finish())) as { spec: { template: { metadata: unknown } } };
    expect(d.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
  });

  it('decodes a ConfigMap: text data, binaryData and immutable', () => {
    const w = new BinaryWriter();
    meta(w, 'c');
    entry(w, 2, 'a', 'b');
    entry(w, 3, 'bin', new Uint8Array([0, 1]));
    w.uint32(4 << 3).bool(true);
    expect(decodeProtobufObject(envelope('v1', 'ConfigMap', w.finish()))).toMatchObject({ kind: 'ConfigMap', data: { a: 'b' }, binaryData: { bin: 'AAE=' }, immutable: true });
  });

  it('decodes a Namespace (kubectl create namespace) and DeleteOptions (kubectl drain); refuses other kinds with 415 and a body without the k8s prefix with 400', () => {
    const ns = new BinaryWriter();
    meta(ns, 'team-a');
    ns.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('kubernetes').join();
    expect(decodeProtobufObject(envelope('v1', 'Namespace', ns.finish()))).toMatchObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' }, spec: { finalizers: ['kubernetes'] } });
    const del = new BinaryWriter();
    del.uint32(1 << 3).int64(0);
    del.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('uid-1').join();
    del.uint32((4 << 3) | 2).string('Background');
    const delBody = del.finish();
    expect(decodeProtobufObject(envelope('v1', 'DeleteOptions', delBody))).toMatchObject({ kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'uid-1' }, propagationPolicy: 'Background' });
    // (as client-go labels it for a client of another group: kubectl auth reconcile)
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'DeleteOptions', delBody))).toMatchObject({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
    const other = (() => {
      try {
        return decodeProtobufObject(envelope('v1', 'Node', new Uint8Array()));
      } catch (e) {
        return e;
      }
    })() as ApiError;
    expect(other).toBeInstanceOf(ApiError);
    expect(other.code).toBe(415);
    expect(() => decodeProtobufObject(Buffer.from('{"kind":"Secret"}'))).toThrow(/k8s/);
  });

  it('decodes an apps/v1 Deployment as kubectl create deployment sends it (zero fields dropped); a set field outside the decoded part of a container is refused', () => {
    const container = (extra?: (w: BinaryWriter) => void) => {
      const w = new BinaryWriter();
      w.uint32((1 << 3) | 2).string('busybox').uint32((2 << 3) | 2).string('busybox:1');
      w.uint32((3 << 3) | 2).string('sleep').uint32((3 << 3) | 2).string('3600');
      w.uint32((5 << 3) | 2).string(''); // workingDir ""
      w.uint32((8 << 3) | 2).fork().join(); // resources {}
      w.uint32(17 << 3).bool(false); // stdinOnce false
      extra?.(w);
      return w.finish();
    };
    const deployment = (c: Uint8Array) => {
      const w = new BinaryWriter();
      meta(w, 'web');
      w.uint32((2 << 3) | 2).fork();
      w.uint32(1 << 3).int32(2);
      w.uint32((2 << 3) | 2).fork();
      entry(w, 1, 'app', 'web');
      w.join();
      w.uint32((3 << 3) | 2).fork().uint32((2 << 3) | 2).fork().uint32((2 << 3) | 2).bytes(c).join().join();
      w.uint32((4 << 3) | 2).fork().uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).fork().uint32(1 << 3).int64(1).uint32((3 << 3) | 2).string('30%').join().join().join();
      w.join();
      return envelope('apps/v1', 'Deployment', w.finish());
    };
    expect(decodeProtobufObject(deployment(container()))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: { spec: { containers: [{ name: 'busybox', image: 'busybox:1', command: ['sleep', '3600'], resources: {} }] } }, strategy: { rollingUpdate: { maxUnavailable: '30%' } } },
    });
    // restartPolicyRules (25, newer than Kubernetes 1.32) is not decoded from protobuf: refused, not dropped.
    const e = (() => {
      try {
        decodeProtobufObject(deployment(container((w) => w.uint32((25 << 3) | 2).fork().uint32((1 << 3) | 2).string('Restart').join())));
      } catch (err) {
        return err as ApiError;
      }
      return undefined;
    })();
    expect(e?.code).toBe(415);
    expect(e?.message).toContain('field 25 of Container');
  });

  it('decodes a core/v1 Service as kubectl create service sends it: an IntOrString targetPort, zero node ports left out', () => {
    const port = (name: string, p: number, target: number | string, nodePort: number) => {
      const w = new BinaryWriter();
      w.uint32((1 << 3) | 2).string(name).uint32((2 << 3) | 2).string('TCP').uint32(3 << 3).int32(p);
      w.uint32((4 << 3) | 2).fork();
      if (typeof target === 'number') w.uint32(1 << 3).int64(0).uint32(2 << 3).int32(target);
      else w.uint32(1 << 3).int64(1).uint32((3 << 3) | 2).string(target);
      w.join();
      w.uint32(5 << 3).int32(nodePort);
      return w.finish();
    };
    const w = new BinaryWriter();
    meta(w, 'web');
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).bytes(port('http', 80, 8080, 0));
    w.uint32((1 << 3) | 2).bytes(port('https', 443, 'https', 30443));
    entry(w, 2, 'app', 'web');
    w.uint32((3 << 3) | 2).string(''); // clusterIP ""
    w.uint32((4 << 3) | 2).string('NodePort');
    w.uint32(12 << 3).int32(0); // healthCheckNodePort 0
    w.join();
    expect(decodeProtobufObject(envelope('v1', 'Service', w.finish()))).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: {
        ports: [
          { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
          { name: 'https', protocol: 'TCP', port: 443, targetPort: 'https', nodePort: 30443 },
        ],
        selector: { app: 'web' },
        type: 'NodePort',
      },
    });
  });

  it('decodes a PodDisruptionBudget (kubectl create pdb) and an autoscaling/v1 HorizontalPodAutoscaler (kubectl autoscale)', () => {
    const intstr = (w: BinaryWriter, field: number, v: number | string) => {
      w.uint32((field << 3) | 2).fork();
      if (typeof v === 'number') w.uint32(1 << 3).int64(0).uint32(2 << 3).int32(v);
      else w.uint32(1 << 3).int64(1).uint32((3 << 3) | 2).string(v);
      w.join();
    };
    const p = new BinaryWriter();
    meta(p, 'web');
    p.uint32((2 << 3) | 2).fork();
    intstr(p, 1, '50%');
    p.uint32((2 << 3) | 2).fork();
    entry(p, 1, 'app', 'web');
    p.join();
    p.join();
    expect(decodeProtobufObject(envelope('policy/v1', 'PodDisruptionBudget', p.finish()))).toMatchObject({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } } });
    const h = new BinaryWriter();
    meta(h, 'web');
    h.uint32((2 << 3) | 2).fork();
    h.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('Deployment').uint32((2 << 3) | 2).string('web').uint32((3 << 3) | 2).string('apps/v1').join();
    h.uint32(3 << 3).int32(4);
    h.uint32(4 << 3).int32(50);
    h.join();
    expect(decodeProtobufObject(envelope('autoscaling/v1', 'HorizontalPodAutoscaler', h.finish()))).toMatchObject({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, maxReplicas: 4, targetCPUUtilizationPercentage: 50 },
    });
    // (autoscaling/v2 bodies are sent as JSON by the kubectl this targets)
    expect(() => decodeProtobufObject(envelope('autoscaling/v2', 'HorizontalPodAutoscaler', h.finish()))).toThrow(ApiError);
  });

  it('decodes a ServiceAccount (kubectl create serviceaccount), keeping a false automountServiceAccountToken, and a TokenRequest (kubectl create token)', () => {
    const sa = new BinaryWriter();
    meta(sa, 'bot');
    sa.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).string('registry').join();
    sa.uint32(4 << 3).bool(false);
    expect(decodeProtobufObject(envelope('v1', 'ServiceAccount', sa.finish()))).toMatchObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bot' }, imagePullSecrets: [{ name: 'registry' }], automountServiceAccountToken: false });
    const tr = new BinaryWriter();
    tr.uint32((1 << 3) | 2).fork().join();
    tr.uint32((2 << 3) | 2).fork();
    tr.uint32((1 << 3) | 2).string('vault');
    tr.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).string('Pod').uint32((2 << 3) | 2).string('v1').uint32((3 << 3) | 2).string('web').join();
    tr.uint32(4 << 3).int64(600);
    tr.join();
    expect(decodeProtobufObject(envelope('authentication.k8s.io/v1', 'TokenRequest', tr.finish()))).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: { audiences: ['vault'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'web' }, expirationSeconds: 600 },
    });
  });

  it('decodes an Ingress as kubectl create ingress sends it: the rule value inline, a zero port number left out, unknown spec fields refused', () => {
    const w = new BinaryWriter();
    meta(w, 'web');
    const backend = (wr: BinaryWriter, field: number, svc: string, port: { name?: string; number?: number }) => {
      wr.uint32((field << 3) | 2).fork();
      wr.uint32((4 << 3) | 2).fork().uint32((1 << 3) | 2).string(svc);
      wr.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string(port.name ?? '').uint32(2 << 3).int32(port.number ?? 0).join();
      wr.join().join();
    };
    w.uint32((2 << 3) | 2).fork();
    w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('foo.com').uint32((2 << 3) | 2).string('foo-tls').join(); // tls
    w.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).string('foo.com'); // rules[0]
    w.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).fork(); // ingressRuleValue.http
    w.uint32((1 << 3) | 2).fork().uint32((1 << 3) | 2).string('/a');
    backend(w, 2, 'svc-a', { number: 80 });
    w.uint32((3 << 3) | 2).string('Prefix').join(); // paths[0]
    w.join().join().join();
    w.uint32((4 << 3) | 2).string('tskube');
    w.join();
    expect(decodeProtobufObject(envelope('networking.k8s.io/v1', 'Ingress', w.finish()))).toEqual({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
      spec: {
        tls: [{ hosts: ['foo.com'], secretName: 'foo-tls' }],
        rules: [{ host: 'foo.com', http: { paths: [{ path: '/a', backend: { service: { name: 'svc-a', port: { number: 80 } } }, pathType: 'Prefix' }] } }],
        ingressClassName: 'tskube',
      },
    });
    const named = (unknownField: boolean) => {
      const n = new BinaryWriter();
      meta(n, 'n');
      n.uint32((2 << 3) | 2).fork();
      backend(n, 1, 'svc-b', { name: 'http' });
      if (unknownField) n.uint32(9 << 3).int32(1); // a field this table does not know
      n.join();
      return envelope('networking.k8s.io/v1', 'Ingress', n.finish());
    };
    expect(decodeProtobufObject(named(false)).spec).toEqual({ defaultBackend: { service: { name: 'svc-b', port: { name: 'http' } } } });
    expect(() => decodeProtobufObject(named(true))).toThrow(/field 9 of IngressSpec/);
  });
  it('decodes RBAC kinds as kubectl create role|rolebinding send them: repeated strings keep "" (the core group)', () => {
    const role = new BinaryWriter();
    meta(role, 'pod-reader');
    role.uint32((2 << 3) | 2).fork();
    for (const v of ['get', 'list']) role.uint32((1 << 3) | 2).string(v);
    role.uint32((2 << 3) | 2).string('');
    role.uint32((3 << 3) | 2).string('pods');
    role.join();
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'Role', role.finish()))).toMatchObject({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }],
    });
    const rb = new BinaryWriter();
    meta(rb, 'alice-reads');
    rb.uint32((2 << 3) | 2).fork().uint32((1 << 3) | 2).string('ServiceAccount').uint32((3 << 3) | 2).string('x').uint32((4 << 3) | 2).string('default').join();
    rb.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).string('rbac.authorization.k8s.io').uint32((2 << 3) | 2).string('ClusterRole').uint32((3 << 3) | 2).string('view').join();
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', rb.finish()))).toMatchObject({
      subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    });
    const cr = new BinaryWriter();
    meta(cr, 'agg');
    cr.uint32((3 << 3) | 2).fork().uint32((1 << 3) | 2).fork();
    entry(cr, 1, 'rbac.example.com/aggregate-to-agg', 'true');
    cr.join().join();
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'ClusterRole', cr.finish()))).toMatchObject({ aggregationRule: { clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate-to-agg': 'true' } }] } });
    // An update's managedFields (kubectl auth reconcile sends the object it read): fieldsV1 is the Raw JSON itself.
    const withFields = new BinaryWriter();
    withFields.uint32((1 << 3) | 2).fork();
    withFields.uint32((1 << 3) | 2).string('r');
    withFields.uint32((17 << 3) | 2).fork();
    withFields.uint32((1 << 3) | 2).string('kubectl').uint32((2 << 3) | 2).string('Update').uint32((6 << 3) | 2).string('FieldsV1');
    withFields.uint32((7 << 3) | 2).fork().uint32((1 << 3) | 2).bytes(Buffer.from('{"f:rules":{}}')).join();
    withFields.join().join();
    expect(decodeProtobufObject(envelope('rbac.authorization.k8s.io/v1', 'Role', withFields.finish()))).toMatchObject({
      metadata: { name: 'r', managedFields: [{ manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:rules': {} } }] },
    });
  });
});

describe('protobuf pod specs (kubectl debug --copy-to sends the copy of any pod)', () => {
  // helpers: a length-delimited field holding a nested message, a string, a varint
  const msg = (w: BinaryWriter, no: number, body: (w: BinaryWriter) => void) => {
    w.uint32((no << 3) | 2).fork();
    body(w);
    w.join();
  };
  const str = (w: BinaryWriter, no: number, v: string) => w.uint32((no << 3) | 2).string(v);
  const int = (w: BinaryWriter, no: number, v: number) => w.uint32(no << 3).int64(v);
  const bool = (w: BinaryWriter, no: number, v: boolean) => w.uint32(no << 3).bool(v);
  const quantity = (w: BinaryWriter, no: number, v: string) => msg(w, no, (q) => str(q, 1, v));
  const qmap = (w: BinaryWriter, no: number, k: string, v: string) => msg(w, no, (e) => (str(e, 1, k), quantity(e, 2, v)));

  it('decodes what a Deployment\'s pod has: probes, env sources, projected token volume, resources, affinity, pointers kept false', () => {
    const w = new BinaryWriter();
    msg(w, 1, (m) => (str(m, 1, 'web-copy'), str(m, 3, 'default')));
    msg(w, 2, (spec) => {
      // volumes: the service account's projected volume, an emptyDir with a size limit
      msg(spec, 1, (v) => {
        str(v, 1, 'kube-api-access-x');
        msg(v, 2, (vs) => msg(vs, 26, (p) => {
          msg(p, 1, (src) => msg(src, 4, (t) => (str(t, 1, ''), int(t, 2, 3607), str(t, 3, 'token'))));
          msg(p, 1, (src) => msg(src, 3, (cm) => (msg(cm, 1, (r) => str(r, 1, 'kube-root-ca.crt')), msg(cm, 2, (k) => (str(k, 1, 'ca.crt'), str(k, 2, 'ca.crt'))))));
          msg(p, 1, (src) => msg(src, 2, (d) => msg(d, 1, (file) => (str(file, 1, 'namespace'), msg(file, 2, (fr) => (str(fr, 1, 'v1'), str(fr, 2, 'metadata.namespace')))))));
          int(p, 2, 420);
        }));
      });
      msg(spec, 1, (v) => (str(v, 1, 'scratch'), msg(v, 2, (vs) => msg(vs, 2, (e) => (str(e, 1, ''), quantity(e, 2, '64Mi'))))));
      msg(spec, 2, (c) => {
        str(c, 1, 'app');
        str(c, 2, 'busybox:1');
        msg(c, 6, (p) => (str(p, 1, 'http'), int(p, 2, 0), int(p, 3, 8080), str(p, 4, 'TCP')));
        msg(c, 7, (e) => (str(e, 1, 'POD_IP'), str(e, 2, ''), msg(e, 3, (src) => msg(src, 1, (fr) => (str(fr, 1, 'v1'), str(fr, 2, 'status.podIP'))))));
        msg(c, 19, (ef) => (str(ef, 1, 'CFG_'), msg(ef, 2, (cm) => (msg(cm, 1, (r) => str(r, 1, 'settings')), bool(cm, 2, false)))));
        msg(c, 8, (r) => (qmap(r, 1, 'memory', '128Mi'), qmap(r, 2, 'cpu', '100m')));
        msg(c, 10, (p) => {
          msg(p, 1, (h) => msg(h, 2, (g) => (str(g, 1, '/healthz'), msg(g, 2, (port) => (int(port, 1, 1), int(port, 2, 0), str(port, 3, 'http'))), str(g, 4, 'HTTP'))));
          int(p, 2, 0);
          int(p, 3, 1);
          int(p, 4, 10);
          int(p, 5, 1);
          int(p, 6, 3);
        });
        msg(c, 12, (l) => msg(l, 2, (h) => msg(h, 1, (x) => (str(x, 1, 'sh'), str(x, 1, '-c'), str(x, 1, 'sleep 1')))));
        str(c, 13, '/dev/termination-log');
        str(c, 14, 'IfNotPresent');
        msg(c, 15, (sc) => (bool(sc, 5, false), bool(sc, 7, false), msg(sc, 1, (cap) => str(cap, 2, 'ALL'))));
        str(c, 20, 'File');
      });
      str(spec, 3, 'Always');
      int(spec, 4, 30);
      str(spec, 6, 'ClusterFirst');
      str(spec, 8, 'default');
      msg(spec, 14, (psc) => (int(psc, 2, 1000), int(psc, 5, 2000)));
      msg(spec, 18, (a) => msg(a, 1, (na) => msg(na, 1, (sel) => msg(sel, 1, (term) => msg(term, 1, (req) => (str(req, 1, 'kubernetes.io/os'), str(req, 2, 'In'), str(req, 3, 'linux')))))));
      str(spec, 19, 'default-scheduler');
      msg(spec, 22, (t) => (str(t, 1, 'node.kubernetes.io/not-ready'), str(t, 2, 'Exists'), str(t, 4, 'NoExecute'), int(t, 5, 300)));
      int(spec, 25, 0);
      bool(spec, 30, true);
      str(spec, 31, 'PreemptLowerPriority');
    });
    const pod = decodeProtobufObject(envelope('v1', 'Pod', w.finish()));
    expect(pod).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-copy', namespace: 'default' },
      spec: {
        volumes: [
          {
            name: 'kube-api-access-x',
            projected: {
              sources: [
                { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
                { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
                { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
              ],
              defaultMode: 420,
            },
          },
          { name: 'scratch', emptyDir: { sizeLimit: '64Mi' } },
        ],
        containers: [
          {
            name: 'app',
            image: 'busybox:1',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [{ name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } }],
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings', optional: false } }],
            resources: { limits: { memory: '128Mi' }, requests: { cpu: '100m' } },
            livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 },
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 1'] } } },
            terminationMessagePath: '/dev/termination-log',
            imagePullPolicy: 'IfNotPresent',
            securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            terminationMessagePolicy: 'File',
          },
        ],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        dnsPolicy: 'ClusterFirst',
        serviceAccountName: 'default',
        securityContext: { runAsUser: 1000, fsGroup: 2000 },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }] } } },
        schedulerName: 'default-scheduler',
        tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
        priority: 0,
        enableServiceLinks: true,
        preemptionPolicy: 'PreemptLowerPriority',
      },
    });
  });

  it('decodes the volume sources tskube validates but does not mount (a GCE disk, an iSCSI disk with its lun 0)', () => {
    const w = new BinaryWriter();
    msg(w, 1, (m) => str(m, 1, 'old'));
    msg(w, 2, (spec) => {
      msg(spec, 1, (v) => (str(v, 1, 'disk'), msg(v, 2, (vs) => msg(vs, 3, (gce) => str(gce, 1, 'pd-1')))));
      msg(spec, 1, (v) => (str(v, 1, 'lun'), msg(v, 2, (vs) => msg(vs, 8, (iscsi) => (str(iscsi, 1, '10.0.0.1:3260'), str(iscsi, 2, 'iqn.2001-04.com.example:x'), iscsi.uint32(3 << 3).int32(0))))));
    });
    const pod = decodeProtobufObject(envelope('v1', 'Pod', w.finish())) as { spec: { volumes: unknown[] } };
    expect(pod.spec.volumes).toEqual([
      { name: 'disk', gcePersistentDisk: { pdName: 'pd-1' } },
      { name: 'lun', iscsi: { targetPortal: '10.0.0.1:3260', iqn: 'iqn.2001-04.com.example:x', lun: 0 } },
    ]);
  });
});
