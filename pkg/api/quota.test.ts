import { describe, expect, it } from 'vitest';
import { formatFieldError, type FieldError } from './field-error.js';
import type { PersistentVolumeClaim, ResourceQuota } from './types.js';
import { usageOf, validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from './quota.js';

const Mi = 1024 * 1024 * 1000;
const claim = (storage: string | undefined, extra: { storageClassName?: string; annotations?: Record<string, string>; allocated?: string } = {}): PersistentVolumeClaim =>
  ({
    metadata: { name: 'data', annotations: extra.annotations },
    spec: { accessModes: ['ReadWriteOnce'], resources: storage ? { requests: { storage } } : {}, ...(extra.storageClassName !== undefined ? { storageClassName: extra.storageClassName } : {}) },
    ...(extra.allocated ? { status: { allocatedResources: { storage: extra.allocated } } } : {}),
  }) as PersistentVolumeClaim;
const asObject = (u: Map<string, number>) => Object.fromEntries(u);

describe('ResourceQuota usage of a PersistentVolumeClaim (pvcEvaluator.Usage)', () => {
  it('charges the claim and its storage request, to its StorageClass too', () => {
    expect(asObject(usageOf('persistentvolumeclaims', '', claim('600Mi', { storageClassName: 'local-path' })))).toEqual({
      persistentvolumeclaims: 1000,
      'count/persistentvolumeclaims': 1000,
      'local-path.storageclass.storage.k8s.io/persistentvolumeclaims': 1000,
      'requests.storage': 600 * Mi,
      'local-path.storageclass.storage.k8s.io/requests.storage': 600 * Mi,
    });
  });

  it('takes the class from the beta annotation first, and charges none for a claim without a class', () => {
    const annotated = usageOf('persistentvolumeclaims', '', claim('1Gi', { storageClassName: 'fast', annotations: { 'volume.beta.kubernetes.io/storage-class': 'gold' } }));
    expect(annotated.get('gold.storageclass.storage.k8s.io/requests.storage')).toBe(1024 * Mi);
    expect(annotated.has('fast.storageclass.storage.k8s.io/requests.storage')).toBe(false);
    const classless = asObject(usageOf('persistentvolumeclaims', '', claim('1Gi', { storageClassName: '' })));
    expect(Object.keys(classless).sort()).toEqual(['count/persistentvolumeclaims', 'persistentvolumeclaims', 'requests.storage']);
  });

  it('rounds the request up to whole bytes, counts a larger allocation, and no storage without a request', () => {
    expect(usageOf('persistentvolumeclaims', '', claim('1500m')).get('requests.storage')).toBe(2000);
    expect(usageOf('persistentvolumeclaims', '', claim('1Gi', { allocated: '2Gi' })).get('requests.storage')).toBe(2048 * Mi);
    expect(usageOf('persistentvolumeclaims', '', claim('2Gi', { allocated: '1Gi' })).get('requests.storage')).toBe(2048 * Mi);
    expect(usageOf('persistentvolumeclaims', '', claim(undefined, { allocated: '1Gi' })).has('requests.storage')).toBe(false);
  });
});

describe('ValidateResourceQuota, as 1.32 words it', () => {
  const rq = (spec: ResourceQuota['spec']): ResourceQuota => ({ metadata: { name: 'q', namespace: 'ns' }, spec });
  const messages = (errs: FieldError[]) => errs.map(formatFieldError);

  it('refuses fractions of the resources counted in whole numbers, printing the Quantity as Go does', () => {
    expect(messages(validateResourceQuota(rq({ hard: { pods: '1500m', 'count/pods': '1.5', 'local-path.storageclass.storage.k8s.io/requests.storage': '100m', 'requests.cpu': '1500m', 'requests.nvidia.com/gpu': '500m' } })))).toEqual([
      'spec.hard[pods]: Invalid value: resource.Quantity{i:resource.int64Amount{value:1500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"1500m", Format:"DecimalSI"}: must be an integer',
      'spec.hard[count/pods]: Invalid value: resource.Quantity{i:resource.int64Amount{value:15, scale:-1}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"", Format:"DecimalSI"}: must be an integer',
      'spec.hard[local-path.storageclass.storage.k8s.io/requests.storage]: Invalid value: resource.Quantity{i:resource.int64Amount{value:100, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"100m", Format:"DecimalSI"}: must be an integer',
    ]);
    expect(validateResourceQuota(rq({ hard: { pods: '2k', 'services.nodeports': '1e3', 'requests.storage': '1Gi' } }))).toEqual([]);
  });

  it('reports scope selector expressions at the unindexed matchExpressions path', () => {
    const errs = validateResourceQuota(
      rq({
        hard: { 'requests.cpu': '1' },
        scopeSelector: {
          matchExpressions: [
            { scopeName: 'Terminating', operator: 'In', values: ['x'] },
            { scopeName: 'Foo', operator: 'Exists' },
            { scopeName: 'PriorityClass', operator: 'Gt', values: ['1'] },
            { scopeName: 'PriorityClass', operator: 'Exists', values: ['high'] },
            { scopeName: 'PriorityClass', operator: 'NotIn' },
          ],
        },
      }),
    );
    expect(messages(errs)).toEqual([
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "In": must be \'Exists\' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, ResourceQuotaScopeNotBestEffort or ResourceQuotaScopeCrossNamespacePodAffinity',
      'spec.scopeSelector.matchExpressions.scopeName: Invalid value: "Foo": unsupported scope',
      'spec.scopeSelector.matchExpressions.operator: Invalid value: "Gt": not a valid selector operator',
      'spec.scopeSelector.matchExpressions.values: Invalid value: []string{"high"}: must be no value when `operator` is \'Exist\' or \'DoesNotExist\' for scope selector',
      "spec.scopeSelector.matchExpressions.values: Required value: must be at least one value when `operator` is 'In' or 'NotIn' for scope selector",
    ]);
  });

  it('refuses a selector scope that cannot count a resource, and conflicting selector scopes', () => {
    const sel = { matchExpressions: [{ scopeName: 'BestEffort', operator: 'Exists' }, { scopeName: 'NotBestEffort', operator: 'Exists' }] };
    expect(messages(validateResourceQuota(rq({ hard: { 'requests.cpu': '1' }, scopeSelector: sel })))).toEqual([
      'spec.scopeSelector.matchExpressions: Invalid value: core.ScopeSelector{MatchExpressions:[]core.ScopedResourceSelectorRequirement{core.ScopedResourceSelectorRequirement{ScopeName:"BestEffort", Operator:"Exists", Values:[]string(nil)}, core.ScopedResourceSelectorRequirement{ScopeName:"NotBestEffort", Operator:"Exists", Values:[]string(nil)}}}: unsupported scope applied to resource',
      'spec.scopeSelector.matchExpressions: Invalid value: []core.ResourceQuotaScope(nil): conflicting scopes',
    ]);
  });

  it('keeps spec.scopes as they were (as a set) on update; the scope selector may change', () => {
    const old = rq({ hard: { pods: '1' }, scopes: ['NotTerminating', 'NotBestEffort'] });
    expect(messages(validateResourceQuotaUpdate({ ...old, spec: { hard: { pods: '2' }, scopes: ['NotBestEffort', 'NotTerminating'] } }, old))).toEqual([]);
    expect(messages(validateResourceQuotaUpdate({ ...old, spec: { hard: { pods: '2' }, scopes: ['NotTerminating'] } }, old))).toEqual(['spec.scopes: Invalid value: []core.ResourceQuotaScope{"NotTerminating"}: field is immutable']);
    expect(messages(validateResourceQuotaUpdate({ ...old, spec: { hard: { pods: '2' } } }, old))).toEqual(['spec.scopes: Invalid value: []core.ResourceQuotaScope(nil): field is immutable']);
    const selected = rq({ hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] } });
    expect(validateResourceQuotaUpdate({ ...selected, spec: { hard: { pods: '1' }, scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'Exists' }] } } }, selected)).toEqual([]);
  });
});

describe('validateResourceQuotaStatusUpdate', () => {
  const q = (status: ResourceQuota['status']): ResourceQuota => ({ metadata: { name: 'q', namespace: 'ns', resourceVersion: '5' }, spec: { hard: { pods: '2' } }, status });
  it('wants the resourceVersion the request gave, before the lists are checked', () => {
    const messages = (errs: FieldError[]) => errs.map(formatFieldError);
    expect(validateResourceQuotaStatusUpdate(q({ used: { pods: '1' } }), q({}), '5')).toEqual([]);
    expect(messages(validateResourceQuotaStatusUpdate(q({ used: { pods: '1' } }), q({}), undefined))).toEqual(['resourceVersion: Required value']);
    expect(messages(validateResourceQuotaStatusUpdate(q({ used: { 'bad name!': '1' } }), q({}), undefined))[0]).toBe('resourceVersion: Required value');
  });
});
