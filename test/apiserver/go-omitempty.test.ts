// What kubectl get -o yaml shows of a built-in object as 1.32 shows it: the apiserver decodes a
// body into the Go struct and encodes it with its json tags, so a null or empty omitempty field
// the manifest gave (nodeSelector: null, env: [], a template's annotations: {} and name: "") is
// gone, in what create, update and every kind of patch store, while what Go always writes stays
// (a template's creationTimestamp: null, a pointer's {} or 0), and an empty list without omitempty
// is served null, as protobuf storage gives it back nil (a Role's rules: []). Strict field
// validation still refuses an unknown field by name.
import { describe, expect, it } from 'vitest';
import { hasKubectl, kubectlControlPlane } from '../helpers/kubectl.js';

const k = kubectlControlPlane();

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nulls
  labels: {}
  annotations: null
spec:
  replicas: 0
  selector:
    matchLabels:
      app: nulls
    matchExpressions: []
  template:
    metadata:
      name: ""
      annotations: {}
      labels:
        app: nulls
    spec:
      nodeSelector: null
      tolerations: null
      volumes: []
      securityContext: {}
      serviceAccountName: ""
      containers:
      - name: c
        image: busybox
        env: null
        envFrom: []
        args: []
        ports:
        - containerPort: 80
          hostPort: 0
          name: ""
        stdin: false
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: nulls
  annotations: {}
data: {}
binaryData: null
`;

type Obj = Record<string, any>;
const getJson = async (kind: string, name: string): Promise<Obj> => JSON.parse(await k.kubectl('get', kind, name, '-o', 'json')) as Obj;

describe.skipIf(!hasKubectl)('built-in objects as their Go types leave them', () => {
  it('kubectl create -f of a manifest with nulls and empties stores and shows what 1.32 shows', async () => {
    await k.kubectlIn(manifest, 'create', '-f', '-');
    const yaml = await k.kubectl('get', 'deployment', 'nulls', '-o', 'yaml');
    for (const gone of ['nodeSelector', 'tolerations', 'volumes:', 'env:', 'envFrom', 'args:', 'hostPort', 'matchExpressions', 'annotations', 'stdin', 'serviceAccountName', 'name: ""', 'labels: {}']) expect(yaml).not.toContain(gone);
    const d = await getJson('deployment', 'nulls');
    expect(d.metadata.labels).toBeUndefined();
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'nulls' } });
    expect(d.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'nulls' } });
    expect(d.spec.template.spec.securityContext).toEqual({});
    const c = d.spec.template.spec.containers[0];
    expect(c.ports).toEqual([{ containerPort: 80, protocol: 'TCP' }]);
    expect(Object.keys(c).sort()).toEqual(['image', 'imagePullPolicy', 'name', 'ports', 'resources', 'terminationMessagePath', 'terminationMessagePolicy']);
    expect(c.resources).toEqual({});
    const cm = await getJson('configmap', 'nulls');
    expect(Object.keys(cm).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(cm.metadata.annotations).toBeUndefined();
  });

  it('kubectl patch (strategic, merge, json), replace and apply --server-side store the same', async () => {
    await k.kubectl('patch', 'deployment', 'nulls', '-p', '{"spec":{"template":{"spec":{"nodeSelector":{},"containers":[{"name":"c","env":[],"workingDir":""}]}}}}');
    await k.kubectl('patch', 'deployment', 'nulls', '--type=merge', '-p', '{"spec":{"template":{"spec":{"tolerations":[],"hostAliases":null,"affinity":null}}}}');
    await k.kubectl('patch', 'deployment', 'nulls', '--type=json', '-p', '[{"op":"add","path":"/spec/template/spec/imagePullSecrets","value":[]},{"op":"add","path":"/spec/template/metadata/annotations","value":{}}]');
    let d = await getJson('deployment', 'nulls');
    expect(d.spec.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'nulls' } });
    for (const gone of ['nodeSelector', 'tolerations', 'hostAliases', 'affinity', 'imagePullSecrets']) expect(d.spec.template.spec).not.toHaveProperty(gone);
    expect(d.spec.template.spec.containers[0]).not.toHaveProperty('env');
    expect(d.spec.template.spec.containers[0]).not.toHaveProperty('workingDir');
    // (none of these changed the template: no new generation)
    expect(d.metadata.generation).toBe(1);

    d.spec.template.spec.dnsConfig = null;
    d.spec.template.spec.containers[0].volumeMounts = [];
    await k.kubectlIn(JSON.stringify(d), 'replace', '-f', '-');
    d = await getJson('deployment', 'nulls');
    expect(d.spec.template.spec).not.toHaveProperty('dnsConfig');
    expect(d.spec.template.spec.containers[0]).not.toHaveProperty('volumeMounts');

    const applied = `apiVersion: v1
kind: ConfigMap
metadata:
  name: applied
  labels: {}
data:
  a: b
binaryData: {}
`;
    await k.kubectlIn(applied, 'apply', '--server-side', '-f', '-');
    const cm = await getJson('configmap', 'applied');
    expect(cm.data).toEqual({ a: 'b' });
    expect(cm).not.toHaveProperty('binaryData');
    expect(cm.metadata).not.toHaveProperty('labels');
  });

  it('serves an empty list without omitempty as null, as protobuf storage gives it back nil', async () => {
    const manifests = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: empty
rules: []
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: empty
addressType: IPv4
endpoints: []
ports: []
`;
    await k.kubectlIn(manifests, 'create', '-f', '-');
    expect(await k.kubectl('get', 'role', 'empty', '-o', 'yaml')).toMatch(/^rules: null$/m);
    const slice = await getJson('endpointslice', 'empty');
    expect(slice.endpoints).toBeNull();
    expect(slice.ports).toBeNull();
  });

  it('writes a struct by value the manifest left out as Go does: resources: {}, strategy, loadBalancer: {}, podSelector: {}, source: {}', async () => {
    const plain = `apiVersion: v1
kind: Pod
metadata:
  name: plain
spec:
  containers:
  - name: c
    image: busybox
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain
spec:
  selector:
    matchLabels:
      app: plain
  template:
    metadata:
      labels:
        app: plain
    spec:
      containers:
      - name: c
        image: busybox
---
apiVersion: v1
kind: Service
metadata:
  name: plain
spec:
  ports:
  - port: 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: plain
spec:
  policyTypes: [Ingress]
---
apiVersion: v1
kind: Event
metadata:
  name: plain
involvedObject:
  kind: Pod
  name: plain
reason: Test
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: plain
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
`;
    await k.kubectlIn(plain, 'create', '-f', '-');
    expect(await k.kubectl('get', 'pod', 'plain', '-o', 'yaml')).toMatch(/^    resources: \{\}$/m);
    const pod = await getJson('pod', 'plain');
    expect(pod.spec.containers[0].resources).toEqual({});
    const d = await getJson('deployment', 'plain');
    expect(d.spec.template.spec.containers[0].resources).toEqual({});
    // (defaulting still sees the strategy as unset: 1.32's RollingUpdate 25%/25%)
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.status).toEqual({});
    const svc = await getJson('service', 'plain');
    expect(svc.status).toEqual({ loadBalancer: {} });
    expect((await getJson('networkpolicy', 'plain')).spec.podSelector).toEqual({});
    const ev = await getJson('event', 'plain');
    expect(ev.source).toEqual({});
    expect((await getJson('rolebinding', 'plain')).subjects).toBeUndefined();

    // An update that leaves resources out (or gives Go's {}) is no change to the pod's spec.
    delete pod.spec.containers[0].resources;
    await k.kubectlIn(JSON.stringify(pod), 'replace', '-f', '-');
    pod.spec.containers[0].resources = {};
    pod.metadata.labels = { a: 'b' };
    delete pod.metadata.resourceVersion;
    await k.kubectlIn(JSON.stringify(pod), 'replace', '-f', '-');
    expect((await getJson('pod', 'plain')).spec.containers[0].resources).toEqual({});
    delete d.spec.strategy;
    delete d.metadata.resourceVersion;
    await k.kubectlIn(JSON.stringify(d), 'replace', '-f', '-');
    expect((await getJson('deployment', 'plain')).metadata.generation).toBe(1);
  });

  it('writes the fields without omitempty a write left out at their zero value: a status\'s restartCount: 0, ready: false, lastProbeTime: null', async () => {
    const manifests = `apiVersion: v1
kind: Pod
metadata:
  name: zeros
spec:
  containers:
  - name: c
    image: busybox
    env:
    - name: CPU
      valueFrom:
        resourceFieldRef:
          resource: limits.cpu
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: zeros
addressType: IPv4
endpoints:
- addresses: [10.0.0.9]
`;
    await k.kubectlIn(manifests, 'create', '-f', '-');
    const status = { conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } } }] };
    await k.kubectl('patch', 'pod', 'zeros', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status }));
    const pod = await getJson('pod', 'zeros');
    expect(pod.spec.containers[0].env[0].valueFrom.resourceFieldRef).toEqual({ resource: 'limits.cpu', divisor: '0' });
    expect(pod.status.conditions).toEqual([{ type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: null }]);
    expect(pod.status.containerStatuses).toEqual([{ name: 'c', state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: '', imageID: '' }]);
    const slice = await getJson('endpointslice', 'zeros');
    expect(slice.ports).toBeNull();
    expect(slice.endpoints).toEqual([{ addresses: ['10.0.0.9'], conditions: {} }]);
  });

  it('writes a time stamp back in UTC at its type\'s precision, whatever zone or fraction it was sent with', async () => {
    const manifests = `apiVersion: v1
kind: Event
metadata:
  name: zoned
involvedObject:
  kind: Pod
  name: zoned
reason: Test
firstTimestamp: "2026-12-03T19:00:00+01:00"
lastTimestamp: "2026-12-03T18:00:05.999Z"
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: zoned
spec:
  holderIdentity: h
  renewTime: "2026-12-03T12:30:00.123456-05:30"
`;
    await k.kubectlIn(manifests, 'create', '-f', '-');
    const ev = await getJson('event', 'zoned');
    expect([ev.firstTimestamp, ev.lastTimestamp]).toEqual(['2026-12-03T18:00:00Z', '2026-12-03T18:00:05Z']);
    expect((await getJson('lease', 'zoned')).spec.renewTime).toBe('2026-12-03T18:00:00.123456Z');
    // (the same instant written another way is no change)
    const rv = ev.metadata.resourceVersion;
    await k.kubectl('patch', 'event', 'zoned', '--type=merge', '-p', JSON.stringify({ firstTimestamp: '2026-12-03T17:00:00-01:00' }));
    expect((await getJson('event', 'zoned')).metadata.resourceVersion).toBe(rv);
  });

  it('serves a pointer to Go\'s zero time as null until the next write, as 1.32 stores and writes it', async () => {
    await k.kubectlIn('apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: zero-renew\nspec:\n  holderIdentity: h\n  renewTime: "0001-01-01T00:00:00.000000Z"\n', 'create', '-f', '-');
    // (LeaseSpec.RenewTime is a *MicroTime with omitempty: set, so written, and a zero time's MarshalJSON is null)
    const lease = await getJson('lease', 'zero-renew');
    expect(lease.spec).toEqual({ holderIdentity: 'h', renewTime: null });
    // the next write decodes that null to no pointer
    await k.kubectl('patch', 'lease', 'zero-renew', '--type=merge', '-p', JSON.stringify({ spec: { holderIdentity: 'i' } }));
    expect((await getJson('lease', 'zero-renew')).spec).toEqual({ holderIdentity: 'i' });
  });

  it('still refuses an unknown field by name', async () => {
    const r = await k.run(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\ndata: null\nbogus: null\n');
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown field "bogus"');
  });
});
