// Controller references (ownerReferences with controller: true) and how controllers claim
// objects as client-go's ControllerRefManager does: adopt orphans their selector matches,
// release the ones it no longer matches, never touch what another controller owns.
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import type { KubeObject, LabelSelector, OwnerReference } from '../api/types.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { StatusError } from '../client/rest-client.js';

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

/** Adds or drops one owner reference with a merge patch pinned to the object's resourceVersion (a 409 means: look again). */
async function patchOwners(client: ApiClient, ref: ResourceRef, obj: KubeObject, owners: OwnerReference[]): Promise<void> {
  const m = obj.metadata!;
  await client.patch(ref, m.namespace, m.name!, { metadata: { resourceVersion: m.resourceVersion, ownerReferences: owners.length ? owners : null } }, 'merge');
}

export interface ClaimSpec {
  owner: KubeObject;
  apiVersion: string;
  kind: string;
  matches(o: KubeObject): boolean;
  ref: ResourceRef;
}

/**
 * The objects `owner` controls after adopting matching orphans and releasing its non-matching
 * ones. An owner being deleted adopts nothing. Objects that vanished meanwhile are skipped.
 */
export async function claimObjects(client: ApiClient, candidates: KubeObject[], spec: ClaimSpec): Promise<KubeObject[]> {
  const uid = spec.owner.metadata!.uid!;
  const deleting = !!spec.owner.metadata?.deletionTimestamp;
  const claimed: KubeObject[] = [];
  for (const o of candidates) {
    const ctl = controllerOf(o);
    const owners = o.metadata?.ownerReferences ?? [];
    try {
      if (ctl) {
        if (ctl.uid !== uid) continue;
        if (spec.matches(o)) claimed.push(o);
        else if (!deleting && !o.metadata?.deletionTimestamp) await patchOwners(client, spec.ref, o, owners.filter((r) => r.uid !== uid));
        continue;
      }
      if (deleting || o.metadata?.deletionTimestamp || !spec.matches(o)) continue;
      await patchOwners(client, spec.ref, o, [...owners, controllerRefTo(spec.owner, spec.apiVersion, spec.kind)]);
      claimed.push(o);
    } catch (e) {
      // Gone meanwhile: nothing to claim. A 409 (changed under us) fails the sync, which is retried.
      if (e instanceof StatusError && e.code === 404) continue;
      throw e;
    }
  }
  return claimed;
}
