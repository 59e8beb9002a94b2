import { describe, expect, it } from 'vitest';
import { capUpdateManagers, compareScoped, conflictMessage, createdFieldsV1Scoped, planApply, recordApply, recordUpdate, type Scope } from './field-ownership.js';
import { describeCustomResource } from './crd-field-types.js';
import { defaultPod } from './defaults.js';
import { FieldSet, pathString } from './fieldpath.js';
import { decodeManagedFields, encodeManagedFields, isResetManagedFields, ManagedFieldsError, type Managers } from './managed-fields.js';
import type { KubeObject, Pod } from './types.js';

const main: Scope = { typeName: 'Pod', apiVersion: 'v1', subresource: '' };
const status: Scope = { ...main, subresource: 'status' };
const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:00:01Z';

const pod = (labels: Record<string, string>, image = 'busybox', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '5', labels },
  spec: { containers: [{ name: 'app', image }] },
  ...extra,
});

const owned = (ms: Managers, manager: string) => [...ms.values()].filter((m) => m.manager === manager).flatMap((m) => m.set.paths().map(pathString));

/** Runs an apply the way the registry does: plan, then record against the planned object. */
function apply(ms: Managers, live: KubeObject | undefined, config: KubeObject, manager: string, force = false, now = T1) {
  const plan = planApply(main, ms, live, config, manager);
  return { ...recordApply(main, ms, live, plan.merged, manager, plan.set, force, now), obj: plan.merged };
}

describe('recordUpdate', () => {
  it('on create owns every field set, except server metadata and status', () => {
    const ms = recordUpdate(main, new Map(), undefined, pod({ app: 'a' }, 'busybox', { status: { phase: 'Pending' } }), 'kubectl-create', T0);
    expect(owned(ms, 'kubectl-create')).toEqual([
      '.metadata.labels',
      '.metadata.labels.app',
      // (not .spec.containers itself: 1.32's zero PodSpec holds containers: null; the container's
      // resources: {} is Go's struct by value, there whether sent or not)
      '.spec.containers[name="app"]',
      '.spec.containers[name="app"].image',
      '.spec.containers[name="app"].name',
      '.spec.containers[name="app"].resources',
    ]);
    const [e] = encodeManagedFields(ms);
    expect(e).toEqual({ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: expect.any(Object) });
  });

  it('takes changed fields from other managers and leaves the time alone when nothing changed', () => {
    let ms = recordUpdate(main, new Map(), undefined, pod({ app: 'a', tier: 't' }), 'creator', T0);
    ms = recordUpdate(main, ms, pod({ app: 'a', tier: 't' }), pod({ app: 'b', tier: 't' }), 'editor', T1);
    expect(owned(ms, 'editor')).toEqual(['.metadata.labels.app']);
    expect(owned(ms, 'creator')).not.toContain('.metadata.labels.app');
    expect(owned(ms, 'creator')).toContain('.metadata.labels.tier');
    const again = recordUpdate(main, ms, pod({ app: 'b', tier: 't' }), pod({ app: 'b', tier: 't' }), 'editor', '2030-01-01T00:00:00Z');
    expect(encodeManagedFields(again)).toEqual(encodeManagedFields(ms));
  });

  it('on the status subresource owns only status, in its own entry', () => {
    const old = pod({ app: 'a' }, 'busybox', { status: { phase: 'Pending' } });
    const ms = recordUpdate(status, new Map(), old, { ...old, status: { phase: 'Running', podIP: '10.0.0.1' } }, 'tsk-nodeagent', T1);
    const [e] = encodeManagedFields(ms);
    expect(e).toMatchObject({ manager: 'tsk-nodeagent', subresource: 'status', fieldsV1: { 'f:status': { 'f:phase': {}, 'f:podIP': {} } } });
  });

  it('on a Deployment\'s status owns the annotations it changes too, as its status strategy resets only spec and labels', () => {
    const deploy: Scope = { typeName: 'Deployment', apiVersion: 'apps/v1', subresource: 'status', statusMetadata: ['annotations', 'finalizers', 'ownerReferences'] };
    const old: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { app: 'd' }, annotations: { note: 'x' } }, spec: { replicas: 1 } };
    const next: KubeObject = { ...old, metadata: { ...old.metadata, annotations: { note: 'x', 'deployment.kubernetes.io/revision': '1' } }, status: { replicas: 1 } };
    const [e] = encodeManagedFields(recordUpdate(deploy, new Map(), old, next, 'kube-controller-manager', T1));
    expect(e).toMatchObject({ subresource: 'status', fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:replicas': {} } } });
  });

  it('through /scale records no time, as scalehandler.ToParent leaves a new scale manager\'s time nil', () => {
    const scale: Scope = { typeName: 'Deployment', apiVersion: 'apps/v1', subresource: 'scale' };
    const d = (replicas: number): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas } });
    const ms = recordUpdate(scale, new Map(), d(1), d(3), 'kubectl', T1);
    const [e] = encodeManagedFields(ms);
    expect(e).toEqual({ manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', subresource: 'scale', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
  });
});

describe('fields Go always writes, as 1.32 compares the typed objects', () => {
  const cond = (extra: Record<string, unknown> = {}) => ({ type: 'Ready', status: 'True', lastTransitionTime: T0, ...extra });
  const withStatus = (st: Record<string, unknown>) => pod({ app: 'a' }, 'busybox', { status: st });
  // (as tskube stores a status now: Go's zero values filled in)
  const stored = withStatus({ phase: 'Running', conditions: [cond({ lastProbeTime: null })] });

  it('a status write that leaves a zero-filled field out does not remove it: its owner keeps it', () => {
    let ms = recordUpdate(status, new Map(), withStatus({ phase: 'Pending' }), stored, 'kubelet', T0);
    expect(owned(ms, 'kubelet')).toContain('.status.conditions[type="Ready"].lastProbeTime');
    // another writer PUTs the status without lastProbeTime (a client that omits Go's null)
    const c = compareScoped(stored, withStatus({ phase: 'Succeeded', conditions: [cond()] }), status);
    expect(c.removed.paths().map(pathString)).toEqual([]);
    ms = recordUpdate(status, ms, stored, withStatus({ phase: 'Succeeded', conditions: [cond()] }), 'other', T1);
    expect(owned(ms, 'kubelet')).toContain('.status.conditions[type="Ready"].lastProbeTime');
    expect(owned(ms, 'other')).toEqual(['.status.phase']);
  });

  it('an object stored without the zero fields (an older tskube) compares equal to the same with them', () => {
    const older = withStatus({ phase: 'Running', conditions: [cond()], containerStatuses: [{ name: 'app', state: {}, lastState: {} }] });
    const now = withStatus({ phase: 'Running', conditions: [cond({ lastProbeTime: null })], containerStatuses: [{ name: 'app', state: {}, lastState: {}, ready: false, restartCount: 0, image: '', imageID: '' }] });
    for (const [l, r] of [[older, now], [now, older]] as const) {
      const c = compareScoped(l, r, status);
      expect([c.added, c.modified, c.removed].map((s) => s.paths().map(pathString))).toEqual([[], [], []]);
    }
    let ms = recordUpdate(status, new Map(), withStatus({}), older, 'kubelet', T0);
    const before = encodeManagedFields(ms);
    ms = recordUpdate(status, ms, older, now, 'tidier', T1);
    expect(encodeManagedFields(ms)).toEqual(before);
  });

  it('an added condition without lastProbeTime owns it (Go writes it null), as one sent with the null does', () => {
    const a = recordUpdate(status, new Map(), withStatus({ phase: 'Pending' }), withStatus({ phase: 'Pending', conditions: [cond()] }), 'kubelet', T0);
    const b = recordUpdate(status, new Map(), withStatus({ phase: 'Pending' }), withStatus({ phase: 'Pending', conditions: [cond({ lastProbeTime: null })] }), 'kubelet', T0);
    expect(owned(a, 'kubelet')).toContain('.status.conditions[type="Ready"].lastProbeTime');
    expect(encodeManagedFields(a)).toEqual(encodeManagedFields(b));
  });

  it('a null list or struct Go writes is there already: filling it owns its items, not the list itself', () => {
    // (a Deployment's selector: null and template.spec.containers: null in the zero object)
    const scope: Scope = { typeName: 'Deployment', apiVersion: 'apps/v1', subresource: '' };
    const d = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'i', resources: {} }] } }, strategy: {} } } as KubeObject;
    const paths = (() => {
      const c = compareScoped(undefined, d, scope);
      return c.added.union(c.modified).paths().map(pathString);
    })();
    expect(paths).toEqual(['.spec.selector', '.spec.template.spec.containers[name="c"]', '.spec.template.spec.containers[name="c"].image', '.spec.template.spec.containers[name="c"].name', '.spec.template.spec.containers[name="c"].resources']);
  });
});

describe('a custom resource, which has no Go struct', () => {
  it('is created against nothing but its apiVersion and kind: its spec is added itself, as on 1.32 (the crdHandler\'s Unstructured)', () => {
    const typeName = describeCustomResource('stable.example.com', 'v1', 'CronTab', { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, replicas: { type: 'integer' } } } } });
    const scope: Scope = { typeName, apiVersion: 'stable.example.com/v1', subresource: '' };
    const ct = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c', labels: { a: 'b' } }, spec: { cronSpec: '* * * * */5', replicas: 0 } } as KubeObject;
    const want = { 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } }, 'f:spec': { '.': {}, 'f:cronSpec': {}, 'f:replicas': {} } };
    expect(createdFieldsV1Scoped(ct, scope)).toEqual(want);
    const c = compareScoped(undefined, ct, scope);
    expect(c.added.union(c.modified).toFieldsV1()).toEqual(want);
  });
});

describe('apply', () => {
  it('owns exactly the applied fields and removes the ones it stops applying', () => {
    const first = apply(new Map(), undefined, pod({ app: 'a', tier: 't' }), 'kubectl');
    expect(first.conflicts).toEqual([]);
    expect(owned(first.managers, 'kubectl')).toEqual(['.metadata.labels.app', '.metadata.labels.tier', '.spec.containers[name="app"]', '.spec.containers[name="app"].image', '.spec.containers[name="app"].name']);
    const second = apply(first.managers, first.obj, pod({ app: 'a' }), 'kubectl');
    expect(second.obj.metadata?.labels).toEqual({ app: 'a' });
    expect(owned(second.managers, 'kubectl')).not.toContain('.metadata.labels.tier');
  });

  it('keeps a dropped field another manager owns', () => {
    const a = apply(new Map(), undefined, pod({ app: 'a', tier: 't' }), 'one');
    const b = apply(a.managers, a.obj, pod({ tier: 't' }), 'two');
    expect(b.conflicts).toEqual([]);
    const c = apply(b.managers, b.obj, pod({ app: 'a' }), 'one');
    expect(c.obj.metadata?.labels).toEqual({ app: 'a', tier: 't' });
    expect(owned(c.managers, 'two')).toContain('.metadata.labels.tier');
  });

  it('conflicts on a field another manager owns with a different value; same value is shared; force moves it', () => {
    const a = apply(new Map(), undefined, pod({ app: 'a' }), 'one');
    const same = apply(a.managers, a.obj, pod({ app: 'a' }), 'two');
    expect(same.conflicts).toEqual([]);
    expect(owned(same.managers, 'one')).toContain('.metadata.labels.app');
    expect(owned(same.managers, 'two')).toContain('.metadata.labels.app');

    const clash = apply(a.managers, a.obj, pod({ app: 'b' }, 'other'), 'two');
    expect(clash.conflicts.map((c) => `${c.manager.manager} ${pathString(c.path)}`)).toEqual(['one .metadata.labels.app', 'one .spec.containers[name="app"].image']);
    expect(conflictMessage(clash.conflicts)).toBe('Apply failed with 2 conflicts: conflicts with "one":\n- .metadata.labels.app\n- .spec.containers[name="app"].image');
    expect(conflictMessage(clash.conflicts.slice(0, 1))).toBe('Apply failed with 1 conflict: conflict with "one": .metadata.labels.app');

    const forced = apply(a.managers, a.obj, pod({ app: 'b' }, 'other'), 'two', true);
    expect(forced.obj.metadata?.labels).toEqual({ app: 'b' });
    expect(owned(forced.managers, 'one')).not.toContain('.metadata.labels.app');
    expect(owned(forced.managers, 'two')).toContain('.metadata.labels.app');
  });

  it('conflicts with an Update manager named "using v1"', () => {
    const ms = recordUpdate(main, new Map(), undefined, pod({ app: 'a' }), 'kubectl-client-side-apply', T0);
    const clash = apply(ms, pod({ app: 'a' }), pod({ app: 'b' }), 'kubectl');
    expect(conflictMessage(clash.conflicts.slice(0, 1))).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .metadata.labels.app');
  });
});

describe('managedFields entries', () => {
  it('decode what encode wrote, Apply entries first', () => {
    const a = apply(new Map(), undefined, pod({ app: 'a' }), 'kubectl');
    const ms = recordUpdate(main, a.managers, a.obj, pod({ app: 'a', x: 'y' }), 'editor', T0);
    const entries = encodeManagedFields(ms);
    expect(entries.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply', 'editor/Update']);
    expect(encodeManagedFields(decodeManagedFields(entries))).toEqual(entries);
  });

  it('reject garbage naming the field', () => {
    const bad = [{ manager: 'm', operation: 'Patch', fieldsType: 'FieldsV1', fieldsV1: {} }, { manager: 'n', operation: 'Update', fieldsType: 'FieldsV2', fieldsV1: { 'q:x': {} } }];
    try {
      decodeManagedFields(bad);
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(ManagedFieldsError);
      expect((e as ManagedFieldsError).errors.map((x) => x.field)).toEqual(['metadata.managedFields[0].operation', 'metadata.managedFields[1].fieldsType', 'metadata.managedFields[1].fieldsV1']);
    }
  });

  it('treat [] and [{}] as a reset', () => {
    expect(isResetManagedFields([{}])).toBe(true);
    expect(isResetManagedFields([])).toBe(true);
    expect(isResetManagedFields(undefined)).toBe(false);
    expect(isResetManagedFields([{ manager: 'x' }])).toBe(false);
  });

  it('cap Update entries, merging the oldest into ancient-changes', () => {
    const ms: Managers = new Map();
    for (let i = 0; i < 12; i++) {
      const set = FieldSet.fromPaths([['f:metadata', 'f:labels', `f:l${i}`]]);
      ms.set(String(i), { manager: `m${i}`, operation: 'Update', apiVersion: 'v1', time: `2024-01-01T00:00:${String(i).padStart(2, '0')}Z`, set });
    }
    const capped = capUpdateManagers(ms);
    expect(capped.size).toBe(10);
    const bucket = [...capped.values()].find((m) => m.manager === 'ancient-changes')!;
    expect(bucket.set.paths().map(pathString)).toEqual(['.metadata.labels.l0', '.metadata.labels.l1', '.metadata.labels.l2']);
    expect(bucket.time).toBe('2024-01-01T00:00:02Z');
  });
});

describe('createdFieldsV1Scoped (the create fast path)', () => {
  const defaulted = (p: KubeObject) => {
    const o = structuredClone(p) as Pod;
    defaultPod(o);
    return o as KubeObject;
  };
  const pods: KubeObject[] = [
    pod({ app: 'a' }),
    pod({}, 'busybox', { status: { phase: 'Pending' } }),
    pod({ app: 'a', tier: 'web' }, 'nginx', {
      spec: {
        containers: [
          { name: 'app', image: 'nginx', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }, { containerPort: 80 }], env: [{ name: 'A', value: 'b' }, { name: 'B', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: {} }, volumeMounts: [{ name: 'data', mountPath: '/data' }] },
          { name: 'side', image: 'busybox', command: ['sh', '-c', 'sleep 1'], args: [] },
        ],
        initContainers: [{ name: 'init', image: 'busybox' }],
        volumes: [{ name: 'data', emptyDir: {} }, { name: 'host', hostPath: { path: '/tmp', type: '' } }],
        tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
        nodeSelector: {},
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
        restartPolicy: 'Never',
        nodeName: null,
      },
    }),
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', finalizers: ['a/b', 'c/d', 'a/b'], ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: 'u1' }], annotations: { x: '' }, labels: undefined } as never, spec: { containers: [{ name: 'a', image: 'i', ports: [{ name: 'noport' }] }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: {}, spec: {} },
    { apiVersion: 'v1', kind: 'Pod', metadata: 'odd' as never, spec: 'odd' as never, extra: { a: 1 } } as never,
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: { notAList: true } as never, hostNetwork: false, securityContext: { a: undefined } as never } },
  ];
  const scopes: Scope[] = [main, status, { typeName: 'Node', apiVersion: 'v1', subresource: '' }, { typeName: 'Event', apiVersion: 'v1', subresource: '' }];
  const slow = (o: KubeObject, scope: Scope) => {
    const c = compareScoped(undefined, o, scope);
    return c.added.union(c.modified).toFieldsV1();
  };

  it('gives exactly what comparing against nothing gives, key order included, for every shape tried', () => {
    for (const scope of scopes) {
      for (const p of [...pods, ...pods.filter((p) => typeof p.spec === 'object' && p.spec !== null && Array.isArray((p.spec as { containers?: unknown }).containers)).map(defaulted)]) {
        expect(JSON.stringify(createdFieldsV1Scoped(p, scope)), JSON.stringify(p)).toBe(JSON.stringify(slow(p, scope)));
      }
    }
  });

  it('owns labels, containers by name and ports by containerPort and protocol, with "." on members that have children', () => {
    const f = createdFieldsV1Scoped(pods[2]!, main) as Record<string, Record<string, Record<string, unknown>>>;
    expect(f['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {}, 'f:tier': {} } });
    const app = f['f:spec']!['f:containers']!['k:{"name":"app"}'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(app['f:ports']!)).toEqual(['.', 'k:{"containerPort":53,"protocol":"UDP"}', 'k:{"containerPort":80,"protocol":"TCP"}']);
  });
});
