// Decoding a request body as kube-apiserver does before anything else sees it: ObjectMeta's maps
// and lists are omitempty, so an empty one given is gone, for built-in kinds (json.Unmarshal into
// the Go struct) and for custom resources alike (apiextensions-apiserver's
// unstructuredSchemaCoercer writes their metadata back through metav1.ObjectMeta).
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../api/types.js';
import type { CustomResourceDefinition } from '../../api/validation-crd.js';
import { customResourcesOf } from './custom-resources.js';
import type { RequestContext } from './request-types.js';
import { findResource } from './resources.js';
import { decodeAs } from './store.js';

const ctx = (): RequestContext => ({ user: { name: 'admin', groups: [] }, dryRun: false, fieldValidation: 'Strict', warnings: [] });

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.ex.com' },
  spec: {
    group: 'ex.com',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
  },
} as unknown as CustomResourceDefinition;

const empties = { annotations: {}, labels: {}, finalizers: [], ownerReferences: [] };

describe('decodeAs', () => {
  it('drops a custom resource\'s empty labels, annotations, finalizers and ownerReferences', () => {
    const widgets = customResourcesOf(crd)[0]!;
    const obj: KubeObject = { apiVersion: 'ex.com/v1', kind: 'Widget', metadata: { name: 'w', ...empties }, spec: { size: 3 } };
    decodeAs(widgets, obj, ctx());
    expect(obj.metadata).toEqual({ name: 'w' });
    expect(obj.spec).toEqual({ size: 3 });
  });

  it('keeps what is not empty, and managedFields: [] (a request to reset ownership)', () => {
    const widgets = customResourcesOf(crd)[0]!;
    const obj: KubeObject = { apiVersion: 'ex.com/v1', kind: 'Widget', metadata: { name: 'w', labels: { a: 'b' }, annotations: {}, finalizers: ['ex.com/keep'], managedFields: [] } };
    decodeAs(widgets, obj, ctx());
    expect(obj.metadata).toEqual({ name: 'w', labels: { a: 'b' }, finalizers: ['ex.com/keep'], managedFields: [] });
  });

  it('does the same for a built-in kind', () => {
    const cms = findResource('', 'v1', 'configmaps')!;
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', ...empties }, data: { a: 'b' } };
    decodeAs(cms, obj, ctx());
    expect(obj.metadata).toEqual({ name: 'c' });
  });

  it('drops the empty strings, the zero generation and the nulls a generated manifest carries', () => {
    const cms = findResource('', 'v1', 'configmaps')!;
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generateName: '', namespace: '', selfLink: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: null, deletionGracePeriodSeconds: null, labels: null } } as unknown as KubeObject;
    decodeAs(cms, obj, ctx());
    expect(obj.metadata).toEqual({ name: 'c' });
  });

  it('leaves a value of the wrong type for the decoder to refuse, and a deletionGracePeriodSeconds of 0', () => {
    const cms = findResource('', 'v1', 'configmaps')!;
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', generation: '', deletionGracePeriodSeconds: 0 } } as unknown as KubeObject;
    expect(() => decodeAs(cms, obj, ctx())).toThrow(/generation/);
    const ok = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', deletionGracePeriodSeconds: 0 } } as unknown as KubeObject;
    decodeAs(cms, ok, ctx());
    expect(ok.metadata).toEqual({ name: 'c', deletionGracePeriodSeconds: 0 });
  });
});
