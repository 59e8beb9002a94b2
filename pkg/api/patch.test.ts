import { describe, expect, it } from 'vitest';
import { PatchError, applyJsonPatch, applyMergePatch, applyStrategicMergePatch } from './patch.js';
import { PATCH_META } from './patch-meta.js';
import { fieldsOfMessage } from './schema.js';
import type { KubeObject } from './types.js';

const live = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' }, finalizers: ['a/x', 'b/y'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'nginx:1.27',
        args: ['-g', 'daemon off;'],
        ports: [{ containerPort: 80, protocol: 'TCP' }],
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        volumeMounts: [{ name: 'v', mountPath: '/data' }],
      },
      { name: 'sidecar', image: 'busybox' },
    ],
    volumes: [{ name: 'v', emptyDir: {} }],
    tolerations: [{ key: 'x', operator: 'Exists' }],
    nodeName: 'node-1',
  },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] },
});

const smp = (patch: unknown, obj = live()) => applyStrategicMergePatch(obj, patch, 'Pod') as any;

describe('strategic merge patch, as kubectl apply sends it', () => {
  it('changes a label and the last-applied annotation', () => {
    const out = smp({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' }, labels: { app: 'web2' } } });
    expect(out.metadata.labels).toEqual({ app: 'web2', tier: 'front' });
    expect(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBe('{}');
  });

  it('removes a label with null', () => {
    expect(smp({ metadata: { labels: { tier: null } } }).metadata.labels).toEqual({ app: 'web' });
  });

  it('changes one image and keeps everything else of that container', () => {
    const out = smp({ spec: { '$setElementOrder/containers': [{ name: 'app' }, { name: 'sidecar' }], containers: [{ image: 'nginx:1.28', name: 'app' }] } });
    expect(out.spec.containers).toHaveLength(2);
    expect(out.spec.containers[0]).toMatchObject({ name: 'app', image: 'nginx:1.28', args: ['-g', 'daemon off;'], ports: [{ containerPort: 80, protocol: 'TCP' }] });
    expect(out.spec.containers[1]).toEqual({ name: 'sidecar', image: 'busybox' });
    expect(out.spec.nodeName).toBe('node-1');
  });

  it('adds a container in the order given by $setElementOrder', () => {
    const out = smp({
      spec: {
        '$setElementOrder/containers': [{ name: 'app' }, { name: 'logger' }, { name: 'sidecar' }],
        containers: [{ name: 'logger', image: 'fluent-bit:3' }],
      },
    });
    expect(out.spec.containers.map((c: any) => c.name)).toEqual(['app', 'logger', 'sidecar']);
  });

  it('removes a container with $patch: delete', () => {
    const out = smp({ spec: { '$setElementOrder/containers': [{ name: 'app' }], containers: [{ $patch: 'delete', name: 'sidecar' }] } });
    expect(out.spec.containers.map((c: any) => c.name)).toEqual(['app']);
  });

  it('merges env by name, ports by containerPort and deletes one env var', () => {
    const out = smp({
      spec: {
        containers: [
          {
            name: 'app',
            '$setElementOrder/env': [{ name: 'A' }, { name: 'C' }],
            env: [{ name: 'A', value: 'one' }, { name: 'C', value: '3' }, { $patch: 'delete', name: 'B' }],
            ports: [{ containerPort: 443, protocol: 'TCP' }],
          },
        ],
      },
    });
    const app = out.spec.containers[0];
    expect(app.env).toEqual([{ name: 'A', value: 'one' }, { name: 'C', value: '3' }]);
    expect(app.ports.map((p: any) => p.containerPort)).toEqual([80, 443]);
  });

  it('replaces atomic lists (args, tolerations)', () => {
    const out = smp({ spec: { containers: [{ name: 'app', args: ['-v'] }], tolerations: [{ key: 'y', operator: 'Exists' }] } });
    expect(out.spec.containers[0].args).toEqual(['-v']);
    expect(out.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('merges status conditions by type', () => {
    const out = smp({ status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }] } });
    expect(out.status.conditions).toEqual([
      { type: 'Ready', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
      { type: 'Initialized', status: 'True' },
    ]);
  });

  it('honours $retainKeys when a volume changes its source', () => {
    const out = smp({ spec: { volumes: [{ $retainKeys: ['hostPath', 'name'], name: 'v', hostPath: { path: '/srv' } }] } });
    expect(out.spec.volumes).toEqual([{ name: 'v', hostPath: { path: '/srv' } }]);
  });

  it("clears a Deployment strategy's rollingUpdate with $retainKeys, as kubectl sends it for Recreate", () => {
    const d: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } };
    expect((applyStrategicMergePatch(d, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, 'Deployment') as any).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it("replaces a PodDisruptionBudget's selector whole (patchStrategy replace) and merges workload conditions by type", () => {
    const pdb: KubeObject = { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } };
    expect((applyStrategicMergePatch(pdb, { spec: { selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } } }, 'PodDisruptionBudget') as any).spec).toEqual({ minAvailable: 1, selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } });
    const d: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, status: { conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True' }] } };
    expect((applyStrategicMergePatch(d, { status: { conditions: [{ type: 'Available', status: 'False' }] } }, 'Deployment') as any).status.conditions).toEqual([
      { type: 'Available', status: 'False' },
      { type: 'Progressing', status: 'True' },
    ]);
  });

  it('names only fields of the schema in its patch metadata', () => {
    for (const [type, fields] of Object.entries(PATCH_META)) for (const f of Object.keys(fields)) expect(fieldsOfMessage(type).has(f), `${type}.${f}`).toBe(true);
  });

  it('deletes from a primitive list and unions merge-strategy primitive lists', () => {
    expect(smp({ metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] } }).metadata.finalizers).toEqual(['b/y']);
    expect(smp({ metadata: { finalizers: ['c/z', 'a/x'] } }).metadata.finalizers).toEqual(['a/x', 'b/y', 'c/z']);
  });

  it('supports $patch: replace on maps and lists', () => {
    expect(smp({ metadata: { labels: { $patch: 'replace', only: 'this' } } }).metadata.labels).toEqual({ only: 'this' });
    const out = smp({ spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 'x' }] } });
    expect(out.spec.containers).toEqual([{ name: 'solo', image: 'x' }]);
  });

  it('does not leave directives in newly added items', () => {
    const out = smp({ spec: { containers: [{ name: 'new', image: 'x', '$setElementOrder/env': [{ name: 'E' }], env: [{ name: 'E', value: '1' }] }] } });
    expect(out.spec.containers[2]).toEqual({ name: 'new', image: 'x', env: [{ name: 'E', value: '1' }] });
  });

  it('rejects list items without the merge key and unknown directives', () => {
    expect(() => smp({ spec: { containers: [{ image: 'x' }] } })).toThrow(/does not contain declared merge key: name/);
    expect(() => smp({ metadata: { $bogus: 1 } })).toThrow(PatchError);
    expect(() => smp('x')).toThrow(PatchError);
  });

  it('does not modify its input', () => {
    const obj = live();
    const before = JSON.stringify(obj);
    smp({ spec: { containers: [{ name: 'app', image: 'y' }] } }, obj);
    expect(JSON.stringify(obj)).toBe(before);
  });
});

describe('JSON merge patch (RFC 7386)', () => {
  it('merges objects, deletes with null and replaces lists', () => {
    const out = applyMergePatch(live(), { metadata: { labels: { tier: null, new: 'x' } }, spec: { containers: [{ name: 'only', image: 'i' }] } }) as any;
    expect(out.metadata.labels).toEqual({ app: 'web', new: 'x' });
    expect(out.spec.containers).toEqual([{ name: 'only', image: 'i' }]);
    expect(out.spec.nodeName).toBe('node-1');
  });
  it('rejects non-object patches', () => {
    expect(() => applyMergePatch(live(), [1])).toThrow(PatchError);
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies add, replace, remove, move, copy and test', () => {
    const out = applyJsonPatch(live(), [
      { op: 'test', path: '/metadata/labels/app', value: 'web' },
      { op: 'replace', path: '/spec/containers/0/image', value: 'nginx:1.28' },
      { op: 'add', path: '/metadata/labels/env', value: 'prod' },
      { op: 'remove', path: '/metadata/labels/tier' },
      { op: 'add', path: '/spec/tolerations/-', value: { key: 'z', operator: 'Exists' } },
      { op: 'copy', from: '/metadata/labels/env', path: '/metadata/labels/env2' },
      { op: 'move', from: '/metadata/labels/env2', path: '/metadata/labels/env3' },
      { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': 'x' } },
      { op: 'test', path: '/metadata/annotations/a~0b~1c', value: 'x' },
    ]) as any;
    expect(out.spec.containers[0].image).toBe('nginx:1.28');
    expect(out.metadata.labels).toEqual({ app: 'web', env: 'prod', env3: 'prod' });
    expect(out.spec.tolerations).toHaveLength(2);
  });

  it('names the failing operation', () => {
    expect(() => applyJsonPatch(live(), [{ op: 'add', path: '/metadata/labels/x', value: 'y' }, { op: 'test', path: '/metadata/labels/app', value: 'db' }])).toThrow(
      /operation 1 \(test \/metadata\/labels\/app\): test failed/,
    );
    expect(() => applyJsonPatch(live(), [{ op: 'remove', path: '/spec/nope' }])).toThrow(/operation 0 \(remove \/spec\/nope\): path not found/);
    expect(() => applyJsonPatch(live(), [{ op: 'replace', path: '/spec/containers/5/image', value: 'x' }])).toThrow(/out of bounds/);
    expect(() => applyJsonPatch(live(), [{ op: 'frobnicate', path: '/a' }])).toThrow(/unsupported operation/);
    expect(() => applyJsonPatch(live(), [{ op: 'add', path: '/a' }])).toThrow(/missing "value"/);
  });

  it('is atomic: a failing op leaves the input untouched', () => {
    const obj = live();
    const before = JSON.stringify(obj);
    expect(() => applyJsonPatch(obj, [{ op: 'remove', path: '/metadata/labels' }, { op: 'test', path: '/x', value: 1 }])).toThrow();
    expect(JSON.stringify(obj)).toBe(before);
  });
});
