// Controller references (ownerReferences with controller: true) and how controllers claim
// objects as client-go's ControllerRefManager does: adopt orphans their selector matches,
// release the ones it no longer matches, never touch what another controller owns.
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { KubeObject, LabelSelector, OwnerReference } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { isNotFound } from '../client/rest-client.js';

/** The selector matches the object's labels; an invalid selector matches nothing. */
export function selectorMatches(selector: LabelSelector | undefined, o: KubeObject): boolean {
  try {
    return matchesLabelSelector(labelSelectorFromObject(selector), o.metadata?.labels ?? {});
  } catch {
    return false;
  }
}

export const controllerOf = (o: KubeObject): OwnerReference | undefined => o.metadata?.ownerReferences?.find((r) => r.controller === true);

/** The ownerReference a controller puts on what it creates: controller and blocking its owner's foreground deletion. */
export function controllerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata!.name!, uid: owner.metadata!.uid!, controller: true, blockOwnerDeletion: true };
}

/**
 * Adds or drops one owner reference with a merge patch pinned to the object's resourceVersion (a
 * 409 means: look again); with `finalizers`, the object's finalizers too (the Job's tracking one).
 */
async function patchOwners(client: ApiClient, ref: ResourceRef, obj: KubeObject, owners: OwnerReference[], finalizers?: string[]): Promise<void> {
  const m = obj.metadata!;
  const fin = finalizers === undefined ? {} : { finalizers: finalizers.length ? finalizers : null };
  await client.patch(ref, m.namespace, m.name!, { metadata: { resourceVersion: m.resourceVersion, ownerReferences: owners.length ? owners : null, ...fin } }, 'merge');
}

export interface ClaimSpec {
  owner: KubeObject;
  apiVersion: string;
  kind: string;
  matches(o: KubeObject): boolean;
  ref: ResourceRef;
  /** A finalizer adoption adds and release removes (NewPodControllerRefManager's finalizers: the Job's batch.kubernetes.io/job-tracking). */
  finalizer?: string;
}

/**
 * The objects `owner` controls after adopting matching orphans and releasing its non-matching
 * ones. An owner being deleted adopts nothing. Objects that vanished meanwhile are skipped.
 */
export async function claimObjects(client: ApiClient, candidates: KubeObject[], spec: ClaimSpec): Promise<KubeObject[]> {
  const uid = spec.owner.metadata!.uid!;
  const deleting = !!spec.owner.metadata?.deletionTimestamp;
  const claimed: KubeObject[] = [];
  const fin = spec.finalizer;
  const finalizers = (o: KubeObject) => o.metadata?.finalizers ?? [];
  const has = (o: KubeObject) => fin !== undefined && finalizers(o).includes(fin);
  for (const o of candidates) {
    const ctl = controllerOf(o);
    const owners = o.metadata?.ownerReferences ?? [];
    try {
      if (ctl) {
        if (ctl.uid !== uid) continue;
        if (spec.matches(o)) claimed.push(o);
        // (released even while it is being deleted, as ClaimObject: only the owner's deletion stops it)
        else if (!deleting) await patchOwners(client, spec.ref, o, owners.filter((r) => r.uid !== uid), fin && has(o) ? finalizers(o).filter((f) => f !== fin) : undefined);
        continue;
      }
      if (deleting || o.metadata?.deletionTimestamp || !spec.matches(o)) continue;
      const added = fin && !has(o) ? [...finalizers(o), fin] : undefined;
      await patchOwners(client, spec.ref, o, [...owners, controllerRefTo(spec.owner, spec.apiVersion, spec.kind)], added);
      // (the adopted object as the patch left it, for the rest of the sync)
      claimed.push(added ? { ...o, metadata: { ...o.metadata, finalizers: added } } : o);
    } catch (e) {
      // Gone meanwhile: nothing to claim. A 409 (changed under us) fails the sync, which is retried.
      if (isNotFound(e)) continue;
      throw e;
    }
  }
  return claimed;
}
