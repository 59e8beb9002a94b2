import { describe, expect, it } from 'vitest';
import { defaultDaemonSet, defaultStatefulSet } from './defaults-sets.js';
import { formatFieldError } from './field-error.js';
import type { DaemonSet, StatefulSet } from './types.js';
import { validateControllerRevision, validateControllerRevisionUpdate, validateDaemonSet, validateDaemonSetUpdate, validateStatefulSet, validateStatefulSetUpdate } from './validation-sets.js';

const messages = (errs: Parameters<typeof formatFieldError>[0][]) => errs.map(formatFieldError);
const template = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } };
const ds = (spec: Record<string, unknown> = {}) => defaultDaemonSet({ metadata: { name: 'x', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'x' } }, template: structuredClone(template), ...spec } } as DaemonSet);
const sts = (spec: Record<string, unknown> = {}) => defaultStatefulSet({ metadata: { name: 'x', namespace: 'default' }, spec: { serviceName: 'x', selector: { matchLabels: { app: 'x' } }, template: structuredClone(template), ...spec } } as StatefulSet);

describe('DaemonSet and StatefulSet defaults', () => {
  it('are Kubernetes\' (RollingUpdate 1/0 and 10 revisions; OrderedReady, partition 0, Retain/Retain, 1 replica)', () => {
    expect(ds().spec).toMatchObject({ revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } });
    expect(ds({ updateStrategy: { type: 'OnDelete' } }).spec!.updateStrategy).toEqual({ type: 'OnDelete' });
    expect(ds({ updateStrategy: { rollingUpdate: { maxUnavailable: '10%' } } }).spec!.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', maxSurge: 0 } });
    expect(sts().spec).toMatchObject({ replicas: 1, podManagementPolicy: 'OrderedReady', revisionHistoryLimit: 10, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } });
    expect(sts().spec!.template!.spec).toMatchObject({ restartPolicy: 'Always', dnsPolicy: 'ClusterFirst' });
    expect(sts({ updateStrategy: { type: 'OnDelete' } }).spec!.updateStrategy).toEqual({ type: 'OnDelete' });
  });
});

describe('DaemonSet validation', () => {
  it('accepts the defaults and refuses a missing or mismatched selector, zero limits and an unknown strategy', () => {
    expect(validateDaemonSet(ds())).toEqual([]);
    expect(messages(validateDaemonSet(ds({ selector: undefined })))).toContain('spec.selector: Required value');
    expect(messages(validateDaemonSet(ds({ selector: { matchLabels: { app: 'y' } } })))).toContain('spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`');
    expect(messages(validateDaemonSet(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } })))).toEqual(['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
    expect(validateDaemonSet(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '20%' } } }))).toEqual([]);
    expect(messages(validateDaemonSet(ds({ updateStrategy: { type: 'Nope' } })))).toEqual(['spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Nope", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"']);
    // A rollingUpdate left from before is kept with OnDelete (kubectl patch of the type alone).
    expect(validateDaemonSet(ds({ updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } } }))).toEqual([]);
  });
  it('takes exactly one of maxSurge and maxUnavailable non-zero, as ValidateRollingUpdateDaemonSet: maxSurge alone meets the defaulted maxUnavailable 1', () => {
    const ru = (rollingUpdate: Record<string, unknown>) => messages(validateDaemonSet(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate } })));
    expect(ru({ maxSurge: 1 })).toEqual(['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']);
    expect(ru({ maxSurge: '10%', maxUnavailable: '10%' })).toEqual(['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero']);
    expect(ru({ maxSurge: '0%', maxUnavailable: '0%' })).toEqual(['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
    // every check runs: a bad percentage (worth 0 there) does not hide the others
    expect(ru({ maxSurge: '150%', maxUnavailable: 'x' })).toEqual([
      "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:\"x\"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
    ]);
    expect(ru({ maxSurge: 1, maxUnavailable: 0 })).toEqual([]);
  });
  it('names its own kind when the template has an activeDeadlineSeconds (a StatefulSet too)', () => {
    const withDeadline = () => ({ ...structuredClone(template), spec: { ...template.spec, activeDeadlineSeconds: 10 } });
    expect(messages(validateDaemonSet(ds({ template: withDeadline() })))).toEqual(['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported']);
    expect(messages(validateStatefulSet(sts({ template: withDeadline() })))).toEqual(['spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in StatefulSet is not Supported']);
  });
  it('keeps the selector immutable', () => {
    const old = ds();
    const next = ds({ selector: { matchLabels: { app: 'x', tier: 't' } }, template: { ...template, metadata: { labels: { app: 'x', tier: 't' } } } });
    next.metadata = { ...old.metadata, resourceVersion: '1' };
    old.metadata!.resourceVersion = '1';
    expect(messages(validateDaemonSetUpdate(next, old))).toEqual(['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"x", "tier":"t"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable']);
  });
});

describe('StatefulSet validation', () => {
  it('checks policy, strategy, names and volumeClaimTemplates', () => {
    expect(validateStatefulSet(sts())).toEqual([]);
    expect(messages(validateStatefulSet(sts({ podManagementPolicy: 'Any' })))).toEqual([`spec.podManagementPolicy: Invalid value: "Any": must be 'OrderedReady' or 'Parallel'`]);
    expect(messages(validateStatefulSet(sts({ selector: {} })))).toContain('spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is not valid for statefulset.');
    expect(messages(validateStatefulSet(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } })))).toEqual(['spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: must be greater than or equal to 0']);
    expect(messages(validateStatefulSet(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } } })))).toEqual(['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: must be greater than 0']);
    expect(messages(validateStatefulSet(sts({ volumeClaimTemplates: [{ metadata: { name: 'data' } }] })))).toEqual(['spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required', 'spec.volumeClaimTemplates[0].spec.resources[storage]: Required value']);
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    expect(validateStatefulSet(sts({ volumeClaimTemplates: [claim] }))).toEqual([]);
    expect(messages(validateStatefulSet(sts({ volumeClaimTemplates: [claim, { ...claim, metadata: { name: 'Data_1' } }, claim] })))).toEqual([
      'spec.volumeClaimTemplates[1].metadata.name: Invalid value: "Data_1": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
      'spec.volumeClaimTemplates[2].metadata.name: Duplicate value: "data"',
    ]);
    // The template's containers may mount the claims' volumes: they are the pods' volumes.
    const mounting = sts({ volumeClaimTemplates: [claim] });
    mounting.spec!.template!.spec!.containers![0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    expect(validateStatefulSet(mounting)).toEqual([]);
    mounting.spec!.volumeClaimTemplates = [];
    expect(messages(validateStatefulSet(mounting))).toEqual(['spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"']);
    expect(messages(validateStatefulSet(sts({ ordinals: { start: -1 } })))).toEqual(['spec.ordinals.start: Invalid value: -1: must be greater than or equal to 0']);
    const dotted = sts();
    dotted.metadata!.name = 'a.b';
    expect(messages(validateStatefulSet(dotted))[0]).toMatch(/^metadata.name: Invalid value: "a.b": must not contain dots$/);
  });
  it('lets an update change replicas, template, strategy, ordinals, retention and minReadySeconds only', () => {
    const old = sts();
    old.metadata!.resourceVersion = '1';
    const ok = structuredClone(old);
    Object.assign(ok.spec!, { replicas: 5, minReadySeconds: 3, ordinals: { start: 2 }, updateStrategy: { type: 'OnDelete' }, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' } });
    ok.spec!.template!.metadata!.annotations = { v: '2' };
    expect(validateStatefulSetUpdate(ok, old)).toEqual([]);
    const bad = structuredClone(old);
    bad.spec!.serviceName = 'other';
    expect(messages(validateStatefulSetUpdate(bad, old))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });
  it('compares the rest of the spec as Go does: a client\'s key order and nulls change nothing', () => {
    const claim = { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
    const old = sts({ volumeClaimTemplates: [structuredClone(claim)] });
    old.metadata!.resourceVersion = '1';
    // (client-go writes a claim template in struct order, its zero creationTimestamp as null)
    const fromGo = structuredClone(old);
    const c = fromGo.spec!.volumeClaimTemplates![0]!;
    fromGo.spec!.volumeClaimTemplates = [{ kind: c.kind, apiVersion: c.apiVersion, metadata: { name: 'data', creationTimestamp: null as never }, spec: { volumeMode: c.spec!.volumeMode, resources: c.spec!.resources, accessModes: c.spec!.accessModes }, status: c.status }];
    expect(validateStatefulSetUpdate(fromGo, old)).toEqual([]);
    const changed = structuredClone(fromGo);
    changed.spec!.volumeClaimTemplates![0]!.spec!.accessModes = ['ReadWriteMany'];
    expect(validateStatefulSetUpdate(changed, old)).toHaveLength(1);
  });
});

describe('ControllerRevision validation', () => {
  it('keeps data immutable', () => {
    const old = { metadata: { name: 'r', namespace: 'default', resourceVersion: '1' }, data: { a: 1 }, revision: 1 };
    expect(validateControllerRevisionUpdate({ ...old, revision: 2 }, old)).toEqual([]);
    expect(messages(validateControllerRevisionUpdate({ ...old, data: { a: 2 } }, old))).toEqual(['data: Invalid value: {"a":2}: field is immutable']);
  });

  it('requires data, before the revision is checked', () => {
    expect(messages(validateControllerRevision({ metadata: { name: 'r', namespace: 'default' }, revision: -1 }))).toEqual(['data: Required value: data is mandatory', 'revision: Invalid value: -1: must be greater than or equal to 0']);
  });
});
