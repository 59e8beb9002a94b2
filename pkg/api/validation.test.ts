import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { defaultNamespace, defaultNode } from './defaults.js';
import { validateBinding, validateEvent, validateLease, validateNamespace, validateNamespaceFinalize, validateNode, validateNodeUpdate, validateObjectMeta, validateObjectMetaUpdate } from './validation.js';
import { validateGenericObjectMeta } from './validation-meta.js';

const fields = (errs: { field: string }[]) => errs.map((e) => e.field);

describe('validateObjectMeta', () => {
  it('requires a namespace for namespaced kinds and forbids it otherwise', () => {
    expect(fields(validateObjectMeta({ name: 'a' }, true))).toEqual(['metadata.namespace']);
    expect(validateObjectMeta({ name: 'a', namespace: 'x' }, false)[0]).toMatchObject({ type: 'FieldValueForbidden', field: 'metadata.namespace' });
  });
  it('accepts generateName and validates it as a prefix', () => {
    expect(validateObjectMeta({ generateName: 'web-', namespace: 'd' }, true)).toEqual([]);
    expect(fields(validateObjectMeta({ generateName: 'Web-', namespace: 'd' }, true))).toEqual(['metadata.generateName']);
  });
  it('checks labels, finalizers and annotations', () => {
    expect(validateObjectMeta({ name: 'a', labels: { 'example.com/app': 'v1.2_x' }, annotations: { 'Example.com/Note': 'anything at all' } }, false)).toEqual([]);
    expect(fields(validateObjectMeta({ name: 'a', labels: { 'a/b/c': 'x' }, finalizers: ['example.com/a b'] }, false))).toEqual(['metadata.labels', 'metadata.finalizers']);
    expect(fields(validateObjectMeta({ name: 'a', labels: { k: 'x'.repeat(64) } }, false))).toEqual(['metadata.labels']);
  });
  it("reports an owner reference's missing fields at the list's path, not at an index (validateOwnerReference is handed the list's path)", () => {
    const refs = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ok', uid: '1' }, { apiVersion: '', kind: '', name: '', uid: '' }, { apiVersion: 'a/b/c', kind: 'K', name: 'n', uid: '2' }];
    expect(validateObjectMeta({ name: 'a', namespace: 'd', ownerReferences: refs }, true).map(formatFieldError)).toEqual([
      'metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty',
      'metadata.ownerReferences.kind: Invalid value: "": kind must not be empty',
      'metadata.ownerReferences.name: Invalid value: "": name must not be empty',
      'metadata.ownerReferences.uid: Invalid value: "": uid must not be empty',
      // (an apiVersion that does not parse has no version)
      'metadata.ownerReferences.apiVersion: Invalid value: "a/b/c": version must not be empty',
    ]);
  });
  it('refuses a core v1 Event as an owner, printing the reference as Go does (BannedOwners)', () => {
    const event = { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u1', controller: true };
    expect(validateObjectMeta({ name: 'a', namespace: 'd', ownerReferences: [event] }, true).map(formatFieldError)).toEqual([
      'metadata.ownerReferences: Invalid value: v1.OwnerReference{APIVersion:"v1", Kind:"Event", Name:"e", UID:"u1", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}: /v1, Kind=Event is disallowed from being an owner',
    ]);
    // Only the core group's: an events.k8s.io Event may own.
    expect(validateObjectMeta({ name: 'a', namespace: 'd', ownerReferences: [{ ...event, apiVersion: 'events.k8s.io/v1' }] }, true)).toEqual([]);
  });
  it('reports a finalizer that is not a qualified name at the list, as ValidateFinalizers does, and takes duplicates', () => {
    expect(validateObjectMeta({ name: 'a', finalizers: ['example.com/ok', 'example.com/a b', 'example.com/ok'] }, false).map(formatFieldError)).toEqual([
      'metadata.finalizers: Invalid value: "example.com/a b": name part must consist of alphanumeric characters, \'-\', \'_\' or \'.\', and must start and end with an alphanumeric character (e.g. \'MyName\',  or \'my.name\',  or \'123-abc\', regex used for validation is \'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\')',
    ]);
  });
  it('refuses orphan with foregroundDeletion, printing the list as Go does', () => {
    expect(validateObjectMeta({ name: 'a', finalizers: ['orphan', 'foregroundDeletion'] }, false).map(formatFieldError)).toEqual([
      'metadata.finalizers: Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set',
    ]);
  });
  it('requires an unqualified finalizer of a core-validated kind to be a standard one, after the generic checks; the generic checks alone do not', () => {
    const finalizers = ['nodomain', 'kubernetes', 'orphan', 'example.com/x', 'Bad!'];
    const unqualified = (i: number, f: string) => `metadata.finalizers[${i}]: Invalid value: "${f}": name is neither a standard finalizer name nor is it fully qualified`;
    const generic = validateGenericObjectMeta({ name: 'a', finalizers }, false).map(formatFieldError);
    expect(generic).toEqual([expect.stringMatching(/^metadata\.finalizers: Invalid value: "Bad!": name part must consist of /)]);
    expect(validateObjectMeta({ name: 'a', finalizers }, false).map(formatFieldError)).toEqual([...generic, unqualified(0, 'nodomain'), unqualified(4, 'Bad!')]);
    expect(validateObjectMetaUpdate({ name: 'a', finalizers: ['nodomain'] }, { name: 'a' }, false).map(formatFieldError)).toEqual([unqualified(0, 'nodomain')]);
  });
  it('names the first controller beside each further one', () => {
    const ref = (name: string, controller?: boolean) => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid: name, ...(controller === undefined ? {} : { controller }) });
    const refs = [ref('a', true), ref('x', false), ref('b', true), ref('c', true)];
    const all =
      '[]v1.OwnerReference{v1.OwnerReference{APIVersion:"v1", Kind:"ConfigMap", Name:"a", UID:"a", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:"v1", Kind:"ConfigMap", Name:"x", UID:"x", Controller:(*bool)(false), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:"v1", Kind:"ConfigMap", Name:"b", UID:"b", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}, v1.OwnerReference{APIVersion:"v1", Kind:"ConfigMap", Name:"c", UID:"c", Controller:(*bool)(true), BlockOwnerDeletion:(*bool)(nil)}}';
    expect(validateObjectMeta({ name: 'o', namespace: 'd', ownerReferences: refs }, true).map(formatFieldError)).toEqual([
      `metadata.ownerReferences: Invalid value: ${all}: Only one reference can have Controller set to true. Found "true" in references for ConfigMap/a and ConfigMap/b`,
      `metadata.ownerReferences: Invalid value: ${all}: Only one reference can have Controller set to true. Found "true" in references for ConfigMap/a and ConfigMap/c`,
    ]);
  });
});

describe('validateNode', () => {
  it('accepts a registered node', () => {
    const n = defaultNode({
      metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
      spec: { podCIDR: '10.244.1.0/24', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] },
      status: {
        capacity: { cpu: '2', memory: '4012Mi', pods: '110' },
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'node-1' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      },
    });
    expect(validateNode(n)).toEqual([]);
  });
  it('rejects bad CIDRs, taints, addresses and capacities', () => {
    const errs = validateNode({
      metadata: { name: 'n' },
      spec: { podCIDR: '10.244.1.0/33', taints: [{ key: 'a', effect: 'Never' }, { effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }, { key: 'b', effect: 'NoExecute' }] },
      status: { capacity: { cpu: 'two' }, addresses: [{ type: 'Office', address: 'x' }] },
    });
    // (an empty taint key fails IsQualifiedName twice: empty, and not matching the name regex)
    expect(fields(errs)).toEqual(['spec.podCIDR', 'spec.taints[0].effect', 'spec.taints[1].key', 'spec.taints[1].key', 'spec.taints[3]', 'status.capacity[cpu]', 'status.addresses[0].type']);
  });
  it("checks a taint's value as a label value and tells a repeated key and effect as Go does", () => {
    const errs = validateNode({ metadata: { name: 'n' }, spec: { taints: [{ key: 'a', value: 'bad value!', effect: 'NoSchedule' }, { key: 'b', value: '1', effect: 'NoSchedule' }, { key: 'b', value: '2', effect: 'NoSchedule' }] } });
    expect(errs.map(formatFieldError)).toEqual([
      expect.stringMatching(/^spec\.taints\[0\]\.value: Invalid value: "bad value!": a valid label must be an empty string or consist of/),
      'spec.taints[2]: Duplicate value: core.Taint{Key:"b", Value:"2", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair',
    ]);
  });
  it('keeps a podCIDR and providerID once set (ValidateNodeUpdate)', () => {
    const old = { metadata: { name: 'n' }, spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'], providerID: 'lab://n' } };
    expect(validateNodeUpdate(structuredClone(old), old)).toEqual([]);
    expect(validateNodeUpdate({ ...old, spec: { podCIDR: '10.99.0.0/24', podCIDRs: ['10.99.0.0/24'], providerID: 'other' } }, old).map(formatFieldError)).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
      'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
    ]);
    expect(validateNodeUpdate({ metadata: { name: 'n' }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } }, { metadata: { name: 'n' }, spec: {} })).toEqual([]);
  });
});

describe('validateNamespace', () => {
  it('uses RFC 1123 label names', () => {
    expect(validateNamespace(defaultNamespace({ metadata: { name: 'kube-system' } }))).toEqual([]);
    expect(validateNamespace({ metadata: { name: 'my.team' } })[0]).toMatchObject({ field: 'metadata.name', type: 'FieldValueInvalid' });
    expect(validateNamespace({ metadata: { name: 'a', namespace: 'b' } })[0]).toMatchObject({ field: 'metadata.namespace', type: 'FieldValueForbidden' });
    expect(fields(validateNamespace({ metadata: { name: 'a' }, status: { phase: 'Gone' } }))).toEqual(['status.phase']);
  });
  it('requires spec.finalizers to be qualified or standard, reported at the list; /finalize reports them at their index', () => {
    const ns = { metadata: { name: 'a' }, spec: { finalizers: ['kubernetes', 'nodomain', 'example.com/x'] } };
    const msg = 'Invalid value: "nodomain": name is neither a standard finalizer name nor is it fully qualified';
    expect(validateNamespace(ns).map(formatFieldError)).toEqual([`spec.finalizers: ${msg}`]);
    expect(validateNamespaceFinalize(ns).map(formatFieldError)).toEqual([`spec.finalizers[1]: ${msg}`]);
  });
});

describe('validateEvent, validateLease, validateBinding', () => {
  it('checks events', () => {
    const ev = { metadata: { name: 'p.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' }, reason: 'Started', type: 'Normal', count: 1 };
    expect(validateEvent(ev)).toEqual([]);
    // (core/v1 takes any type and count: only the legacy rules)
    expect(fields(validateEvent({ ...ev, involvedObject: { ...ev.involvedObject, namespace: 'other' }, type: 'Bad', count: -1 }))).toEqual(['involvedObject.namespace']);
  });
  it('checks leases', () => {
    expect(validateLease({ metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } })).toEqual([]);
    // (coordination validation takes apimachinery's lax ObjectMeta checks: an unqualified finalizer passes)
    expect(validateLease({ metadata: { name: 'l', namespace: 'kube-system', finalizers: ['nodomain'] } })).toEqual([]);
    expect(fields(validateLease({ metadata: { name: 'l', namespace: 'kube-system' }, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } }))).toEqual(['spec.leaseDurationSeconds', 'spec.leaseTransitions']);
  });
  it('checks bindings', () => {
    expect(validateBinding({ metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-1' } })).toEqual([]);
    expect(validateBinding({ metadata: { name: 'p' }, target: { kind: 'Pod' } }).map((e) => [e.field, e.type])).toEqual([
      ['target.kind', 'FieldValueNotSupported'],
      ['target.name', 'FieldValueRequired'],
    ]);
  });
});
