// Immutable fields compared as 1.32 compares them (ValidateImmutableField and the strategies'
// apiequality.Semantic.DeepEqual over decoded values): a client's key order or a null member is no
// change, so a legal update is not refused. A ControllerRevision's data is the exception: Go keeps
// it as raw bytes (runtime.RawExtension), so its text does count.
import { describe, expect, it } from 'vitest';
import { validateAgainstSchema, type JSONSchemaProps } from './crd-schema.js';
import { defaultDaemonSet } from './defaults-sets.js';
import { defaultJob, generateJobSelector } from './defaults-batch.js';
import { formatFieldError } from './field-error.js';
import type { ControllerRevision, DaemonSet, Job, PersistentVolume } from './types.js';
import { validateJobUpdate } from './validation-batch.js';
import { validateControllerRevisionUpdate, validateDaemonSetUpdate } from './validation-sets.js';
import { validatePersistentVolumeUpdate } from './validation-storage.js';
import { podTemplateWarnings } from './pod-warnings.js';
import type { KubeObject } from './types.js';
import type { CustomResourceDefinition } from './validation-crd.js';
import { customResourcesOf } from '../apiserver/registry/custom-resources.js';

const messages = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);
/** The same object with every object's keys in reverse order. */
const reversed = <T>(v: T): T =>
  Array.isArray(v) ? (v.map(reversed) as T) : v && typeof v === 'object' ? (Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) as T) : v;

describe('DaemonSet selector', () => {
  const ds = (selector: unknown) =>
    defaultDaemonSet({
      metadata: { name: 'x', namespace: 'default', resourceVersion: '1' },
      spec: { selector, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    } as DaemonSet);
  const selector = { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] };

  it('is unchanged by a client\'s key order and a null member', () => {
    expect(validateDaemonSetUpdate(ds(reversed(selector)), ds(selector))).toEqual([]);
    expect(validateDaemonSetUpdate(ds({ ...selector, matchExpressions: [{ ...selector.matchExpressions[0], values: ['x'] }], extra: null }), ds(selector))).toEqual([]);
  });

  it('still refuses a real change', () => {
    expect(messages(validateDaemonSetUpdate(ds({ ...selector, matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['y'] }] }), ds(selector)))[0]).toMatch(/^spec\.selector: Invalid value: .*: field is immutable$/);
  });
});

describe('Job template', () => {
  const job = (template: Record<string, unknown>): Job => {
    const j: Job = { metadata: { name: 'pi', namespace: 'default', uid: 'u-1', resourceVersion: '1' }, spec: { template } as never };
    defaultJob(j);
    generateJobSelector(j);
    return j;
  };
  const template = { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'busybox', command: ['true'] }] } };

  it('is unchanged by a null member, a template creationTimestamp left out, and a client\'s key order', () => {
    const old = job(structuredClone(template));
    expect(old.spec!.template!.metadata).toHaveProperty('creationTimestamp', null);
    const next = structuredClone(old);
    delete (next.spec!.template!.metadata as { creationTimestamp?: null }).creationTimestamp;
    next.spec!.template = reversed({ ...next.spec!.template!, spec: { ...next.spec!.template!.spec, nodeSelector: null } } as never);
    expect(validateJobUpdate(next, old)).toEqual([]);
  });

  it('still refuses a changed command', () => {
    const old = job(structuredClone(template));
    const next = structuredClone(old);
    (next.spec!.template!.spec!.containers![0] as { command: string[] }).command = ['false'];
    expect(messages(validateJobUpdate(next, old)).map((m) => m.split(':')[0])).toEqual(['spec.template']);
  });

  it('warns again only of a template that changed', () => {
    const t = { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 80, hostIP: '10.0.0.1' }] }] } };
    expect(podTemplateWarnings(t as never, 'spec.template')).not.toEqual([]);
    expect(podTemplateWarnings(reversed(t) as never, 'spec.template', t as never)).toEqual([]);
  });
});

describe('PersistentVolume node affinity', () => {
  it('is unchanged by a client\'s key order', () => {
    const pv = (nodeAffinity: unknown): PersistentVolume => ({
      metadata: { name: 'pv', resourceVersion: '1' },
      spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/pv' }, persistentVolumeReclaimPolicy: 'Retain', nodeAffinity } as never,
    });
    const affinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } };
    expect(validatePersistentVolumeUpdate(pv(reversed(affinity)), pv(affinity))).toEqual([]);
    const moved = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } };
    expect(messages(validatePersistentVolumeUpdate(pv(moved), pv(affinity))).map((m) => m.split(':')[0])).toEqual(['nodeAffinity']);
  });
});

describe('ControllerRevision data', () => {
  it('is compared as its text, as Go compares the RawExtension\'s bytes: a new key order is a change', () => {
    const cr = (data: Record<string, unknown>): ControllerRevision => ({ metadata: { name: 'r', namespace: 'default', resourceVersion: '1' }, data, revision: 1 });
    const data = { spec: { template: { a: 1, b: 2 } } };
    expect(validateControllerRevisionUpdate(cr(structuredClone(data)), cr(data))).toEqual([]);
    expect(messages(validateControllerRevisionUpdate(cr(reversed(data)), cr(data)))[0]).toMatch(/^data: Invalid value: .*: field is immutable$/);
  });
});

describe('custom resource ratcheting', () => {
  it('takes an unchanged object value in another key order as unchanged (unstructured maps have no order)', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: { spec: { type: 'object', properties: { limits: { type: 'object', maxProperties: 1, additionalProperties: { type: 'integer' } } } } },
    };
    const old = { spec: { limits: { cpu: 1, memory: 2 } } };
    expect(validateAgainstSchema(reversed(old), schema, '', true, old)).toEqual([]);
    expect(validateAgainstSchema({ spec: { limits: { cpu: 1, memory: 3 } } }, schema, '', true, old).map((e) => e.field)).toEqual(['spec.limits']);
  });

  it('finds two items of a uniqueItems list equal whatever their key order', () => {
    const schema: JSONSchemaProps = { type: 'array', uniqueItems: true, items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
    expect(validateAgainstSchema([{ a: 1, b: 2 }, { b: 2, a: 1 }], schema, 'spec.items', false).map((e) => e.type)).toEqual(['FieldValueDuplicate']);
  });
});

describe('custom resource generation', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.ex.com' },
    spec: {
      group: 'ex.com',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
    },
  } as unknown as CustomResourceDefinition;
  const changed = customResourcesOf(crd)[0]!.generationChanged!;
  const w = (spec: unknown): KubeObject => ({ apiVersion: 'ex.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'default' }, spec });

  it('stays for the same spec in another key order, as Semantic.DeepEqual of the unstructured content', () => {
    expect(changed(w({ a: 1, b: { c: 2, d: 3 } }), w({ b: { d: 3, c: 2 }, a: 1 }))).toBe(false);
  });

  it('moves for a changed value, and for a null member (an unstructured map holds it)', () => {
    expect(changed(w({ a: 1 }), w({ a: 2 }))).toBe(true);
    expect(changed(w({ a: 1, b: null }), w({ a: 1 }))).toBe(true);
  });
});
