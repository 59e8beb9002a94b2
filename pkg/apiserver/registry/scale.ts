// The scale subresource of ReplicaSets, Deployments, StatefulSets and ReplicationControllers: autoscaling/v1 Scale, read from and
// written to spec.replicas (what `kubectl scale` GETs, PUTs and PATCHes).
import { invalid, type FieldError } from '../../api/field-error.js';
import { decodeStrict } from '../../api/schema-validate.js';
import { asLabelSelector, formatLabelSelector, labelSelectorFromObject } from '../../api/selectors.js';
import type { KubeObject, LabelSelector } from '../../api/types.js';
import * as errors from '../errors.js';
import { applyPatchBody, type PatchType } from './operations.js';
import { updateTracker } from './field-manager.js';
import type { RequestContext, Store } from './store.js';
import type { ScaleSubresource } from '../../api/validation-crd.js';

type Replicated = { spec?: { replicas?: number; selector?: LabelSelector | Record<string, string> }; status?: { replicas?: number } };

/** Where a custom resource keeps its replicas and selector: its CRD's subresources.scale. */
type ScalePaths = ScaleSubresource;

const segments = (path: string) => path.replace(/^\./, '').split('.');

function readPath(obj: unknown, path: string): unknown {
  let v = obj;
  for (const s of segments(path)) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[s] : undefined;
  return v;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const segs = segments(path);
  let v = obj;
  for (const s of segs.slice(0, -1)) {
    if (typeof v[s] !== 'object' || v[s] === null) v[s] = {};
    v = v[s] as Record<string, unknown>;
  }
  v[segs[segs.length - 1]!] = value;
}

/** The Scale of a ReplicaSet, Deployment, StatefulSet or ReplicationController (whose map selector reads as `a=b,c=d`), or of a custom resource at its CRD's `paths`. */
export function scaleOf(obj: KubeObject, paths?: ScalePaths): KubeObject {
  const o = obj as KubeObject & Replicated;
  const m = obj.metadata ?? {};
  let selector = '';
  let replicas: unknown = o.spec?.replicas;
  let statusReplicas: unknown = o.status?.replicas;
  if (paths) {
    replicas = readPath(obj, paths.specReplicasPath);
    statusReplicas = readPath(obj, paths.statusReplicasPath);
    const sel = paths.labelSelectorPath ? readPath(obj, paths.labelSelectorPath) : undefined;
    selector = typeof sel === 'string' ? sel : '';
  } else {
    try {
      selector = formatLabelSelector(labelSelectorFromObject(asLabelSelector(o.spec?.selector)));
    } catch {
      // a stored selector is valid; nothing to report
    }
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status: { replicas: typeof statusReplicas === 'number' ? statusReplicas : 0, ...(selector ? { selector } : paths ? {} : { selector }) },
  };
}

function validateScale(scale: KubeObject): FieldError[] {
  const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) return [invalid('spec.replicas', replicas, 'must be an integer')];
  return replicas < 0 ? [invalid('spec.replicas', replicas, 'must be greater than or equal to 0')] : [];
}

/**
 * Writes spec.replicas from the Scale `change` makes of the current one; a resourceVersion in
 * that Scale must be the object's. Returns the new Scale.
 */
async function writeScale(store: Store, namespace: string | undefined, name: string, ctx: RequestContext, change: (scale: KubeObject) => KubeObject): Promise<KubeObject> {
  const paths = store.resource.scalePaths;
  // (admitted as 1.32 admits an update of the scale subresource: UPDATE of RESOURCE/scale with the
  // Scales, new and old, kind autoscaling/v1 Scale; not as an update of the object itself)
  const inner: RequestContext = { ...ctx, withoutAdmission: true };
  const out = await store.guaranteedUpdate(namespace, name, inner, undefined, async (current) => {
    const old = scaleOf(current, paths);
    const next = change(scaleOf(current, paths));
    const review = { operation: 'UPDATE' as const, subresource: 'scale', name, namespace, obj: next, old, kind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, ctx };
    await store.admitSubresource('admit', review);
    const decoded = decodeStrict('Scale', next);
    // (an unknown field is refused under Strict and, under Warn (the default), reported in a
    // Warning header as any decoded body's is; once, however often the update is retried)
    if (ctx.fieldValidation === 'Warn') {
      for (const e of decoded) if (e.type === 'FieldValueUnknown' && !ctx.warnings.includes(`unknown field "${e.field}"`)) ctx.warnings.push(`unknown field "${e.field}"`);
    }
    const errs = decoded.filter((e) => e.type !== 'FieldValueUnknown' || ctx.fieldValidation === 'Strict');
    // (a body that does not decode is refused as such, 400 'Scale in version "v1" cannot be
    // handled as a Scale: json: cannot unmarshal ...', before ValidateScale could see it)
    if (!errs.length) errs.push(...validateScale(next));
    if (errs.length) throw errors.invalid('Scale', 'autoscaling', name, errs);
    const rv = next.metadata?.resourceVersion;
    if (rv && rv !== current.metadata?.resourceVersion) throw store.conflict(name);
    const replicas = (next.spec as { replicas?: number } | undefined)?.replicas ?? 0;
    const before = store.resource.custom ? structuredClone(current) : undefined;
    if (paths) writePath(current as Record<string, unknown>, paths.specReplicasPath, replicas);
    else ((current as Replicated).spec ??= {}).replicas = replicas;
    // A custom resource scaled is validated as any update of it is (its schema and CEL rules).
    if (before) {
      const invalid = store.resource.validateUpdate(current, before);
      if (invalid.length) throw errors.invalid(store.resource.kind, store.resource.group, name, invalid, store.resource.version);
    }
    await store.admitSubresource('validate', review);
    return current;
  }, updateTracker(store.resource, ctx, 'scale'));
  return scaleOf(out, paths);
}

/** PUT .../scale with a Scale body. */
export function replaceScale(store: Store, namespace: string | undefined, name: string, body: KubeObject, ctx: RequestContext): Promise<KubeObject> {
  if ((body.kind && body.kind !== 'Scale') || (body.apiVersion && body.apiVersion !== 'autoscaling/v1')) {
    throw errors.badRequest(`the body of a scale update must be an autoscaling/v1 Scale, not ${body.apiVersion ?? ''} ${body.kind ?? ''}`.trim());
  }
  if (body.metadata?.name && body.metadata.name !== name) throw errors.badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
  return writeScale(store, namespace, name, ctx, (current) => ({ ...body, metadata: { ...current.metadata, resourceVersion: body.metadata?.resourceVersion } }));
}

/** PATCH .../scale: the patch applies to the Scale (merge, JSON or strategic merge). */
export function patchScale(store: Store, namespace: string | undefined, name: string, type: PatchType, patchBody: unknown, ctx: RequestContext): Promise<KubeObject> {
  if (type === 'apply') throw errors.unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
  return writeScale(store, namespace, name, ctx, (current) => {
    const next = applyPatchBody(current, type, patchBody, 'Scale', ctx.fieldValidation);
    // A resourceVersion the patch does not state is not a precondition.
    const pinned = !Array.isArray(patchBody) ? (patchBody as KubeObject | null)?.metadata?.resourceVersion : undefined;
    if (next.metadata) next.metadata.resourceVersion = pinned;
    return next;
  });
}

/** GET .../scale. */
export async function getScale(store: Store, namespace: string | undefined, name: string): Promise<KubeObject> {
  return scaleOf(await store.get(namespace, name), store.resource.scalePaths);
}
