// Serving a resource in a second version over the storage of another (VersionView in
// resources.ts): what comes in is decoded strictly as the view's version, defaulted and
// converted to the stored one before the storage strategy sees it; what goes out is converted
// back. A patch applies to the view's form of the current object, as kube-apiserver applies
// patches in the version of the request.
import type { KubeObject } from '../../api/types.js';
import * as errors from '../errors.js';
import { RawObject } from '../raw-object.js';
import { applyPatchBody, checkPatchedName, checkPatchedResourceVersion, patchStrictDecodingError, type PatchType } from './operations.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { checkKindOf, decodeAs, type RequestContext, type Store, type Subresource } from './store.js';

/** Objects as the request's version shows them (the stored ones for a resource that is no view). */
export function viewOut(r: ResourceInfo, obj: KubeObject): KubeObject {
  return r.view ? r.view.fromStorage(obj) : obj;
}

export function viewOutRaw(r: ResourceInfo, raw: RawObject): RawObject {
  return r.view ? RawObject.fromObject(r.view.fromStorage(raw.obj), raw.rev) : raw;
}

/** A request body in the stored version: checked and decoded as the view's version, defaulted, converted. */
export function viewIn(r: ResourceInfo, body: KubeObject, ctx: RequestContext): KubeObject {
  const view = r.view;
  if (!view) return body;
  checkKindOf(r, body);
  decodeAs(r, body, ctx);
  view.defaults(body);
  return view.toStorage(body);
}

/** PATCH through a view: merge, JSON and strategic merge patches apply to the view's form. */
export async function patchView(store: Store, r: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, patchBody: unknown, ctx: RequestContext, subresource?: Subresource): Promise<KubeObject> {
  const view = r.view!;
  // (server-side apply through a view that converts its configurations is handled before this)
  if (type === 'apply') {
    const accepted = errors.ALL_PATCH_MEDIA.filter((m) => m !== 'application/apply-patch+yaml');
    throw errors.unsupportedMediaType(accepted, `application/apply-patch+yaml (server-side apply of ${r.group}/${r.version} ${r.name} is not supported; apply the ${apiVersionOf(view.storage)} form)`);
  }
  const obj = await store.guaranteedUpdate(namespace, name, ctx, subresource, (current) => {
    const shown = view.fromStorage(current);
    const patched = applyPatchBody(shown, type, patchBody, r.typeName, ctx.fieldValidation);
    checkPatchedName(patched, namespace, name);
    checkPatchedResourceVersion(store, patched, current, name);
    try {
      return viewIn(r, patched, ctx);
    } catch (e) {
      throw patchStrictDecodingError(e, shown, type, patchBody, r.custom ? undefined : r.typeName) ?? e;
    }
  });
  return view.fromStorage(obj);
}
