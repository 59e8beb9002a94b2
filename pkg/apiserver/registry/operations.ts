// Verb logic shared by the REST and gRPC frontends: patching (merge, JSON, strategic, apply),
// pod binding, namespace termination, and delete options.
import type { Binding, KubeObject } from '../../api/types.js';
import { decodeStrict } from '../../api/schema-validate.js';
import { validateBinding } from '../../api/validation.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, goValue } from '../../api/patch.js';
import { goStrings, invalid as fieldInvalid, type FieldError } from '../../api/field-error.js';
import { messageSchema } from '../../api/schema.js';
import { childType, LEAF, nullIsField, structType, type FieldType } from '../../api/field-types.js';
import { jsonPatchedDocument, mergePatchedDocument } from './patched-document.js';
import * as errors from '../errors.js';
import { ApiError, isNotFound } from '../errors.js';
import { applyOperation, checkApplyTyping, gvkString } from './field-manager.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { clone, Store, type DeleteOptions, type DeleteResult, type RequestContext, type Subresource } from './store.js';
import { FOREGROUND_FINALIZER, ORPHAN_FINALIZER, type FieldValidation } from './request-types.js';
import { rfc3339Now } from '../../util/time.js';

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

export const patchTypeOfMedia: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};


/**
 * The subresource a GET, PUT or PATCH writes (status, ephemeralcontainers), undefined for the
 * main resource; 405 for a subresource that does not take the verb.
 */
export function writableSubresource(r: ResourceInfo, subresource: string | undefined, verb: string): Subresource | undefined {
  if (!subresource) return undefined;
  if (subresource in r.writable) return subresource as Subresource;
  throw errors.methodNotSupported(`${r.name}/${subresource}`, verb);
}

/** PATCH: applies the patch to the current object (again on each retry) and stores the result. */
export async function patchObject(store: Store, namespace: string | undefined, name: string, type: PatchType, patchBody: unknown, ctx: RequestContext, subresource?: Subresource): Promise<{ obj: KubeObject; created: boolean }> {
  if (type === 'apply') return serverSideApply(store, namespace, name, patchBody, ctx, subresource);
  const apply = (current: KubeObject): KubeObject => {
    const obj = applyPatchBody(current, type, patchBody, store.resource.typeName, ctx.fieldValidation);
    checkPatchedName(obj, namespace, name);
    checkPatchedResourceVersion(store, obj, current, name);
    try {
      store.decode(obj, ctx);
    } catch (e) {
      throw patchStrictDecodingError(e, current, type, patchBody, store.resource.custom ? undefined : store.resource.typeName) ?? e;
    }
    return obj;
  };
  return { obj: await store.guaranteedUpdate(namespace, name, ctx, subresource, apply), created: false };
}

/**
 * Unknown fields a patch's result brings under fieldValidation=Strict, as patch.go refuses them:
 * the decoder's strict decoding error, not a 400 about the object but a 422 naming the patch
 * (' "" is invalid: patch: Invalid value: "...": strict decoding error: unknown field "spec.foo"'),
 * quoting the patched document for a merge or JSON patch (jsonPatcher.applyPatchToCurrentObject)
 * and the patch map as %+v prints it for a strategic merge patch (applyPatchToObject); a custom
 * resource (no `typeName`) is an unstructured map there. Undefined for any other error.
 */
export function patchStrictDecodingError(e: unknown, current: KubeObject, type: Exclude<PatchType, 'apply'>, patchBody: unknown, typeName: string | undefined): ApiError | undefined {
  if (!(e instanceof ApiError) || e.code !== 400 || (typeName && !messageSchema(typeName))) return undefined;
  const causes = e.details?.causes ?? [];
  const at = e.message.indexOf('strict decoding error: ');
  if (!causes.length || at < 0 || causes.some((c) => c.reason !== 'FieldValueUnknown')) return undefined;
  const doc =
    type === 'merge' ? mergePatchedDocument(current, typeName, (patchBody ?? {}) as Record<string, never>) : type === 'json' ? jsonPatchedDocument(current, typeName, (patchBody ?? []) as never[]) : goValue(patchBody ?? {});
  return errors.invalid('', '', '', [fieldInvalid('patch', doc, e.message.slice(at))]);
}

/**
 * The patched object's resourceVersion is the update's precondition, as the registry's Update
 * takes it: a patch that sets one (`metadata.resourceVersion` in a merge patch, a JSON patch's
 * replace of /metadata/resourceVersion) other than the current object's is a 409 Conflict; one
 * that leaves it as it is, or drops it, writes unconditionally.
 */
export function checkPatchedResourceVersion(store: Store, patched: KubeObject, current: KubeObject, name: string): void {
  const rv = patched.metadata?.resourceVersion;
  if (rv && rv !== current.metadata?.resourceVersion) throw store.conflict(name);
}

/**
 * A patch may not rename or move its object (the apiserver's checkName): a patched name other
 * than the URL's, or a namespace other than the URL's, is a 400 rather than a change dropped
 * while kubectl reported the object patched.
 */
export function checkPatchedName(obj: KubeObject, namespace: string | undefined, name: string): void {
  const meta = obj.metadata;
  const objName = typeof meta?.name === 'string' ? meta.name : '';
  if (objName !== name) throw errors.badRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  const objNamespace = typeof meta?.namespace === 'string' ? meta.namespace : '';
  if (namespace && objNamespace && objNamespace !== namespace) {
    throw errors.badRequest(`the namespace of the object (${objNamespace}) does not match the namespace on the URL (${namespace})`);
  }
}

/**
 * A merge, JSON or strategic merge patch applied to `current` (a `typeName`), failing as
 * patch.go's: a merge or strategic merge patch that is not an object is the 400 of its decoding
 * into a map ('error decoding patch: json: cannot unmarshal string into Go value of type
 * map[string]interface {}' for a merge patch, the same without the prefix for a strategic one),
 * a null merge patch the library's 500 "Invalid JSON Patch"; a JSON patch that
 * is not a list is the decoder's 400, one that cannot be applied a bare 422 (NewGenericServerResponse
 * keeps no reason); a strategic merge patch that cannot be applied is the merge library's error
 * itself, which the apiserver serves as a 500.
 */
export function applyPatchBody(current: KubeObject, type: Exclude<PatchType, 'apply'>, patchBody: unknown, typeName: string, fieldValidation: FieldValidation = 'Warn'): KubeObject {
  let next: unknown;
  const goType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);
  // A JSON patch is decoded strictly into patch.go's own []jsonPatchOp first, and a merge or
  // strategic merge patch into a map, unless field validation is Ignore, when only the patch
  // library reads it.
  const strict = fieldValidation !== 'Ignore';
  const notMap = (v: unknown) => `json: cannot unmarshal ${goType(v)} into Go value of type map[string]interface {}`;
  if (type === 'merge' && patchBody !== null && (typeof patchBody !== 'object' || Array.isArray(patchBody))) {
    // (applyJSPatch's kjson.UnmarshalStrict into a map, in Warn, kubectl's default, and Strict)
    if (strict) throw errors.badRequest(`error decoding patch: ${notMap(patchBody)}`);
    // (in Ignore only jsonpatch.MergePatch reads it: a scalar is its errBadJSONPatch, a plain
    // error served as a 500; a list it returns as the patched document, which fails decoding)
    if (!Array.isArray(patchBody)) throw new ApiError(500, '', 'Invalid JSON Patch');
    throw errors.badRequest('Invalid JSON Patch');
  }
  // A null merge patch decodes into an empty map, then jsonpatch.MergePatch refuses it with its
  // errBadJSONPatch, a plain error the apiserver serves as a 500.
  if (type === 'merge' && patchBody === null) throw new ApiError(500, '', 'Invalid JSON Patch');
  // strategicPatchObject decodes the patch into a map (kjson.UnmarshalStrict in Warn and Strict,
  // UnmarshalCaseSensitivePreserveInts in Ignore, the same words) as a 400; a null one is the
  // empty map, a patch that changes nothing.
  if (type === 'strategic' && patchBody !== null && (typeof patchBody !== 'object' || Array.isArray(patchBody))) throw errors.badRequest(notMap(patchBody));
  if (type === 'strategic' && patchBody === null) patchBody = {};
  const decodeError = (v: unknown, one: boolean) =>
    errors.badRequest(strict ? `error decoding patch: json: cannot unmarshal ${goType(v)} into Go value of type ${one ? 'handlers.jsonPatchOp' : '[]handlers.jsonPatchOp'}` : `json: cannot unmarshal ${goType(v)} into Go value of type ${one ? 'jsonpatch.Operation' : 'jsonpatch.Patch'}`);
  if (type === 'json' && !Array.isArray(patchBody) && patchBody !== null) throw decodeError(patchBody, false);
  const notOp = type === 'json' && Array.isArray(patchBody) ? patchBody.find((op) => op === null || typeof op !== 'object' || Array.isArray(op)) : undefined;
  if (notOp !== undefined && notOp !== null) throw decodeError(notOp, true);
  try {
    switch (type) {
      case 'merge':
        next = applyMergePatch(current, patchBody);
        break;
      case 'json':
        next = applyJsonPatch(current, (patchBody ?? []) as unknown[]);
        break;
      case 'strategic':
        next = applyStrategicMergePatch(current, patchBody, typeName);
        break;
    }
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (type === 'json') throw new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
    if (type === 'strategic') throw new ApiError(500, '', (e as Error).message);
    throw new ApiError(422, 'Invalid', `the patch could not be applied: ${(e as Error).message}`);
  }
  if (!next || typeof next !== 'object' || Array.isArray(next)) throw errors.badRequest('the patch did not produce an object');
  if (type === 'strategic' && messageSchema(typeName)) {
    // applyPatchToObject turns the patched map into the object with the unstructured converter,
    // not the JSON decoder: a value of the wrong type is its error, in a 422 naming the patch
    // ('patch: Invalid value: "map[spec:map[containers:x]]": cannot restore slice from string').
    const typeErr = decodeStrict(typeName, clone(next)).find((e) => e.type === 'FieldValueTypeInvalid');
    const why = typeErr && converterError(typeErr);
    if (why) throw errors.invalid('', '', '', [fieldInvalid('patch', goValue(patchBody), why)]);
  }
  if (type !== 'strategic' && messageSchema(typeName)) {
    // A merge or JSON patch's result is decoded into the object by the JSON decoder
    // (jsonPatcher.applyPatchToCurrentObject's DecodeInto): a value of the wrong type is its
    // error, not a strict decoding one, in a 422 naming the patched document as JSON.
    const typeErr = decodeStrict(typeName, clone(next)).find((e) => e.type === 'FieldValueTypeInvalid');
    if (typeErr && /^json: /.test(typeErr.detail)) {
      const doc = type === 'merge' ? mergePatchedDocument(current, typeName, patchBody as Record<string, never>) : jsonPatchedDocument(current, typeName, (patchBody ?? []) as never[]);
      throw errors.invalid('', '', '', [fieldInvalid('patch', doc, typeErr.detail)]);
    }
  }
  return next as KubeObject;
}

/** A JSON value's kind as reflect names it in the converter's errors (ints kept as int64). */
function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  if (v !== null && typeof v === 'object') return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return typeof v === 'boolean' ? 'bool' : 'string';
}

/**
 * runtime.DefaultUnstructuredConverter's fromUnstructured error for a value of the wrong type
 * (the decoder's error tells the Go type wanted): sliceFromUnstructured's 'cannot restore slice
 * from string', mapFromUnstructured's 'cannot restore map from ...', structFromUnstructured's
 * 'cannot restore struct from: ...', a number into a string 'cannot convert int64 to string',
 * and a kind Go cannot convert at all 'unrecognized type: int32'. Undefined for types with their
 * own unmarshalling (quantities, int-or-strings, times) and named scalar types, whose words are
 * not these.
 */
function converterError(e: FieldError): string | undefined {
  const want = /of type (\S+)$/.exec(e.detail)?.[1]?.replace(/^\*/, '');
  if (!want) return undefined;
  const got = goKind(e.badValue);
  if (want.startsWith('[]')) return want === '[]byte' ? undefined : `cannot restore slice from ${got}`;
  if (want.startsWith('map[')) return `cannot restore map from ${got}`;
  if (['string', 'int32', 'int64', 'bool', 'float64'].includes(want)) {
    if (want === 'string' && (got === 'int64' || got === 'float64')) return `cannot convert ${got} to string`;
    if ((want === 'int32' || want === 'int64') && got === 'float64') return `cannot convert float64 to ${want}`;
    return `unrecognized type: ${want}`;
  }
  const struct = /^v\d\w*\.(\w+)$/.exec(want)?.[1];
  if (struct && messageSchema(struct) && !['Time', 'MicroTime', 'Duration'].includes(struct)) return `cannot restore struct from: ${got}`;
  return undefined;
}

/**
 * Drops nulls: an applied configuration states only the fields its manager wants set. A null
 * where Go holds a zero time (nullIsField: a template's `creationTimestamp: null`, as kubectl
 * create --dry-run -o yaml writes it) is a value it applies, and stays.
 */
function withoutNulls(v: unknown, t: FieldType): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== null).map((x) => withoutNulls(x, t.kind === 'keyed' ? t.item : LEAF));
  if (v && typeof v === 'object') {
    const kept: [string, unknown][] = [];
    for (const [k, x] of Object.entries(v)) {
      if (x !== null) kept.push([k, withoutNulls(x, childType(t, k))]);
      else if (nullIsField(t, k)) kept.push([k, null]);
    }
    return Object.fromEntries(kept);
  }
  return v;
}

/**
 * Server-side apply (application/apply-patch+yaml): creates the object when it is absent,
 * otherwise merges the configuration under field management (field-manager.ts).
 */
async function serverSideApply(store: Store, namespace: string | undefined, name: string, body: unknown, ctx: RequestContext, subresource?: Subresource): Promise<{ obj: KubeObject; created: boolean }> {
  const r = store.resource;
  if (!ctx.fieldManager) throw errors.badRequest('fieldManager: Required value: is required for apply patch');
  const config = withoutNulls(checkApplyConfig(r, body), structType(r.typeName)) as KubeObject;
  if ((body as KubeObject).metadata?.managedFields !== undefined) throw errors.badRequest('metadata.managedFields must be nil');
  const meta = (config.metadata ??= {});
  if (meta.name && meta.name !== name) throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  if (r.namespaced && meta.namespace && namespace && meta.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  meta.name = name;
  checkApplyTyping(r, config);
  store.decode(config, ctx);
  const op = applyOperation(r, ctx, subresource, config);
  for (let attempt = 0; ; attempt++) {
    try {
      const obj = await store.guaranteedUpdate(namespace, name, ctx, subresource, (current) => {
        if (meta.resourceVersion && meta.resourceVersion !== current.metadata?.resourceVersion) throw store.conflict(name);
        return op.mutate(current);
      }, op.track);
      return { obj, created: false };
    } catch (e) {
      if (!isNotFound(e) || subresource || attempt > 0) throw e;
    }
    try {
      return { obj: await store.create(namespace, clone(config), ctx, op.createTracker), created: true };
    } catch (e) {
      // Created by someone else in between: apply to theirs.
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}

/**
 * An apply patch's body: an object of `r`'s kind in one of the versions `r` takes (400 otherwise,
 * in 1.32's words: the applyPatcher's decoding into a map, then the versionCheckManager).
 */
export function checkApplyConfig(r: ResourceInfo, body: unknown): KubeObject {
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    // (json.Unmarshal's UnmarshalTypeError, behind sigs.k8s.io/yaml's and the patcher's prefixes)
    const got = Array.isArray(body) ? 'array' : typeof body === 'boolean' ? 'bool' : typeof body;
    throw errors.badRequest(`error decoding YAML: error unmarshaling JSON: json: cannot unmarshal ${got} into Go value of type map[string]interface {}`);
  }
  const config = (body ?? {}) as KubeObject;
  const av = apiVersionOf(r);
  if ((config.apiVersion !== av && !r.apiVersions?.includes(config.apiVersion ?? '')) || config.kind !== r.kind) throw invalidApplyType(config);
  return config;
}

/**
 * 1.32's versionCheckManager refusing an apply configuration of another kind or version than the
 * request's: 'invalid object type: /v1, Kind=Secret', the configuration's GroupVersionKind as
 * unstructured reads it (empty altogether when its apiVersion has more than one slash).
 */
export function invalidApplyType(config: KubeObject): ApiError {
  return errors.badRequest(`invalid object type: ${gvkString(config)}`);
}

/**
 * POST pods/NAME/binding: sets spec.nodeName once and PodScheduled=True. The Binding is admitted
 * as pods/binding CREATE unless `admitAsSubresource` is false (the `bindings` resource, which 1.32
 * admits as a resource of its own).
 */
export async function bindPod(store: Store, namespace: string | undefined, name: string, binding: KubeObject, ctx: RequestContext, admitAsSubresource = true): Promise<void> {
  if (store.resource.name !== 'pods') throw errors.methodNotSupported(store.resource.name, 'bind');
  // (a target that is not an ObjectReference is a decoding error, as Go's decoder says it)
  const typeErrs = decodeStrict('Binding', binding).filter((e) => e.type === 'FieldValueTypeInvalid');
  if (typeErrs.length) throw errors.invalid('Binding', '', name, typeErrs);
  // (admission of the Binding, pods/binding CREATE, as the create handler runs it around
  // BindingREST: mutating first, validating once ValidatePodBinding passed, as createValidation)
  const review = { subresource: 'binding', name, namespace, obj: binding, kind: { group: '', version: 'v1', kind: 'Binding' }, ctx };
  if (admitAsSubresource) await store.admitSubresourceCreate('admit', review);
  // (BindingREST.Create: after mutating admission, before ValidatePodBinding)
  if ((binding.metadata?.name ?? '') !== name) throw errors.badRequest('name in URL does not match name in Binding object');
  const target = (binding as { target?: unknown }).target;
  // (ValidatePodBinding: a Node, named as a DNS subdomain)
  const errs = validateBinding(binding as Binding);
  if (errs.length) throw errors.invalid('Binding', '', name, errs);
  if (admitAsSubresource) await store.admitSubresourceCreate('validate', review);
  const nodeName = (target as { name: string }).name;
  const wantUid = binding.metadata?.uid;
  await store.guaranteedUpdate(namespace, name, ctx, 'internal', (pod) => {
    const spec = (pod.spec ??= {}) as { nodeName?: string };
    if (wantUid && wantUid !== pod.metadata?.uid) throw errors.conflict('', 'pods', name, 'Precondition failed: UID mismatch');
    if (pod.metadata?.deletionTimestamp) throw errors.conflict('', 'pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw errors.conflict('', 'pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    if ((pod.spec as { schedulingGates?: unknown[] }).schedulingGates?.length) throw errors.conflict('', 'pods', name, `pod ${name} has non-empty .spec.schedulingGates`);
    spec.nodeName = nodeName;
    const status = (pod.status ??= {}) as { conditions?: Record<string, unknown>[] };
    const conds = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339Now() });
    status.conditions = conds;
    return pod;
  });
}

/** The namespaces that may not be deleted (the NamespaceLifecycle plugin's immortal ones). */
export const protectedNamespaces = new Set(['default', 'kube-system', 'kube-public']);

/**
 * The namespaces the apiserver keeps in existence (the system namespaces controller): the immortal
 * ones, and kube-node-lease, which may be deleted and comes back within a minute.
 */
export const systemNamespaces = [...protectedNamespaces, 'kube-node-lease'];

/**
 * DELETE of a namespace: Terminating; the namespace finalizer empties it, then removes it. As
 * 1.32's namespace REST Delete: the preconditions are checked (uid and resourceVersion, 409 in
 * its words), a dry run writes nothing, only deletionTimestamp is set (no
 * deletionGracePeriodSeconds), and a propagationPolicy of Orphan or Foreground puts the
 * garbage collector's finalizer on it (shouldHaveOrphanFinalizer, shouldHaveDeleteDependentsFinalizer).
 */
export async function terminateNamespace(store: Store, name: string, ctx: RequestContext, opts: DeleteOptions = {}): Promise<KubeObject> {
  if (protectedNamespaces.has(name)) {
    throw new ApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: 'namespaces' });
  }
  const pre = opts.preconditions;
  let terminating: KubeObject | undefined;
  const obj = await store.guaranteedUpdate(undefined, name, { ...ctx, dryRun: ctx.dryRun || !!opts.dryRun }, 'internal', (ns) => {
    const meta = ns.metadata!;
    if (pre?.uid && pre.uid !== meta.uid) throw errors.conflict('', 'namespaces', name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw errors.conflict('', 'namespaces', name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
    }
    // (a namespace already terminating is returned as it is)
    if (meta.deletionTimestamp) return (terminating = ns);
    meta.deletionTimestamp = rfc3339Now();
    ns.status = { ...(ns.status as object), phase: 'Terminating' };
    if (opts.propagationPolicy) {
      const keep = (meta.finalizers ?? []).filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
      if (opts.propagationPolicy === 'Orphan') keep.push(ORPHAN_FINALIZER);
      if (opts.propagationPolicy === 'Foreground') keep.push(FOREGROUND_FINALIZER);
      if (keep.length) meta.finalizers = keep;
      else delete meta.finalizers;
    }
    return ns;
  });
  return clone(terminating ?? obj);
}

/** DELETE of any object, namespaces included. */
export async function deleteObject(store: Store, namespace: string | undefined, name: string, opts: DeleteOptions, ctx: RequestContext): Promise<DeleteResult> {
  if (store.resource.name === 'namespaces') return { deleted: false, obj: await terminateNamespace(store, name, ctx, opts) };
  return store.delete(namespace, name, opts, ctx);
}

/**
 * DeleteOptions from a body (or the query's options, put in one by the REST handler), checked as
 * ValidateDeleteOptions checks them: every problem in one 422 on DeleteOptions.meta.k8s.io.
 */
export function deleteOptionsFrom(body: Record<string, unknown> | undefined): DeleteOptions {
  const opts: DeleteOptions = {};
  if (body && typeof body === 'object') {
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      if (typeof body.gracePeriodSeconds !== 'number' || !Number.isInteger(body.gracePeriodSeconds)) throw errors.badRequest('DeleteOptions.gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = body.gracePeriodSeconds;
    }
    if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
    const errs: FieldError[] = [];
    const policy = body.propagationPolicy;
    // (a pointer in DeleteOptions: null is nil, any string is set, "" too, and "" is refused)
    const hasPolicy = policy !== undefined && policy !== null;
    if (hasPolicy && typeof body.orphanDependents === 'boolean') errs.push(fieldInvalid('propagationPolicy', policy, 'orphanDependents and deletionPropagation cannot be both set'));
    if (hasPolicy && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
      errs.push({ type: 'FieldValueNotSupported', field: 'propagationPolicy', badValue: policy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' });
    }
    // (ValidateDryRun: "All" is the one value)
    const dryRun = Array.isArray(body.dryRun) ? (body.dryRun as unknown[]).map(String) : [];
    if (dryRun.some((v) => v !== 'All')) errs.push({ type: 'FieldValueNotSupported', field: 'dryRun', badValue: goStrings(dryRun), detail: 'supported values: "All"' });
    if (errs.length) throw errors.invalid('DeleteOptions', 'meta.k8s.io', '', errs);
    if (dryRun.length) opts.dryRun = true;
    if (hasPolicy) opts.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
    else if (typeof body.orphanDependents === 'boolean') {
      opts.propagationPolicy = body.orphanDependents ? 'Orphan' : 'Background';
      if (!body.orphanDependents) opts.cascadeRequested = true;
    }
  }
  // Kubernetes treats a negative grace period as "use the minimum".
  if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
  return opts;
}
