// Revision history of DaemonSets and StatefulSets (k8s.io/kubernetes/pkg/controller/history):
// one apps/v1 ControllerRevision per distinct pod template, named <owner>-<hash>, controlled by
// its owner and numbered in the order templates were used. Going back to an earlier template
// renumbers its revision to the newest, as `kubectl rollout undo` expects; revisions no pod
// uses any more are pruned beyond revisionHistoryLimit. `kubectl rollout history` reads them.
import type { ControllerRevision, KubeObject, LabelSelector, PodTemplateSpec } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { ControllerRevisions, isNotFound, StatusError } from '../client/rest-client.js';
import { claimObjects, controllerRefTo, selectorMatches } from './controller-ref.js';
import { computeHash, equalIgnoreHash } from './deployment-util.js';

export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';

export type CR = ControllerRevision & KubeObject;

/** What a DaemonSet or StatefulSet is to its history. */
export interface HistoryOwner {
  obj: KubeObject & { spec?: { selector?: LabelSelector; template?: PodTemplateSpec; revisionHistoryLimit?: number }; status?: { collisionCount?: number } };
  kind: 'DaemonSet' | 'StatefulSet';
}

export interface History {
  /** The owner's revisions, oldest first. */
  revisions: CR[];
  /** The revision of the owner's current template. */
  update: CR;
  /** Its hash (the DaemonSet's pod label value). */
  hash: string;
}

const revisionNumber = (cr: CR) => Number(cr.revision ?? 0);

/** The pod template a revision holds. */
export function templateOf(cr: CR): PodTemplateSpec {
  const t = structuredClone(((cr.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec?.template ?? {}) as PodTemplateSpec & { $patch?: string });
  delete t.$patch;
  return t;
}

/**
 * Claims the owner's revisions, makes sure one holds its current template (created, or an older
 * one renumbered to the newest) and returns them. `inUse` are hashes live pods still carry.
 */
export async function syncHistory(client: ApiClient, revisions: Informer<CR>, owner: HistoryOwner, inUse: (cr: CR) => boolean): Promise<History> {
  const o = owner.obj;
  const ns = o.metadata!.namespace!;
  const candidates = revisions.list().filter((r) => r.metadata?.namespace === ns);
  const claimed = (await claimObjects(client, candidates, { owner: o, apiVersion: 'apps/v1', kind: owner.kind, matches: (r) => selectorMatches(o.spec?.selector, r), ref: ControllerRevisions })) as CR[];
  claimed.sort((a, b) => revisionNumber(a) - revisionNumber(b));
  // (a StatefulSet's status always has a collisionCount, 0 until a collision: 0 hashes as none,
  // so that revisions keep their names whether or not the count was written yet)
  let hash = computeHash(o.spec?.template, o.status?.collisionCount || undefined);
  let name = `${o.metadata!.name}-${hash}`;
  const max = claimed.reduce((m, r) => Math.max(m, revisionNumber(r)), 0);
  let update = claimed.find((r) => r.metadata?.name === name);
  // A revision of the same template hashed from another spelling of it (stored before the
  // apiserver dropped Go's omitempty empties) is that template's revision still, as
  // history.FindEqualRevisions finds it by Semantic.DeepEqual: no new revision, no rollout.
  const same = update ? undefined : [...claimed].reverse().find((r) => r.metadata?.labels?.[CONTROLLER_REVISION_HASH] && equalIgnoreHash(templateOf(r), o.spec?.template));
  if (same) {
    update = same;
    hash = same.metadata!.labels![CONTROLLER_REVISION_HASH]!;
    name = same.metadata!.name!;
  }
  if (update && revisionNumber(update) < max) {
    update = await client.patch<CR>(ControllerRevisions, ns, name, { revision: max + 1 }, 'merge');
    claimed.splice(claimed.findIndex((r) => r.metadata?.name === name), 1, update);
    claimed.sort((a, b) => revisionNumber(a) - revisionNumber(b));
  } else if (!update) {
    update = await createRevision(client, owner, name, hash, max + 1);
    claimed.push(update);
  }
  await prune(client, owner, claimed, (r) => r === update || inUse(r));
  return { revisions: claimed, update, hash };
}

/**
 * The revision of the owner's current template (the DaemonSet controller's snapshot, the
 * StatefulSet controller's newRevision): the template's labels and the hash label, and the
 * owner's annotations at that moment — kubectl rollout history reads its CHANGE-CAUSE column
 * from a revision's kubernetes.io/change-cause.
 */
export function newRevision(owner: HistoryOwner, name: string, hash: string, revision: number): CR {
  const o = owner.obj;
  const template = o.spec?.template ?? {};
  const annotations = o.metadata?.annotations;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name,
      namespace: o.metadata!.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH]: hash },
      ...(annotations && Object.keys(annotations).length ? { annotations: { ...annotations } } : {}),
      ownerReferences: [controllerRefTo(o, 'apps/v1', owner.kind)],
    },
    data: { spec: { template: { ...structuredClone(template), $patch: 'replace' } } },
    revision,
  };
}

async function createRevision(client: ApiClient, owner: HistoryOwner, name: string, hash: string, revision: number): Promise<CR> {
  const o = owner.obj;
  const cr = newRevision(owner, name, hash, revision);
  try {
    return await client.create<CR>(ControllerRevisions, o.metadata!.namespace, cr);
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
    // Created by an earlier sync the informer has not shown yet; anything else is a collision.
    const existing = await client.get<CR>(ControllerRevisions, o.metadata!.namespace, name);
    if (existing.metadata?.ownerReferences?.some((r) => r.uid === o.metadata?.uid)) return existing;
    throw new Error(`${owner.kind} ${o.metadata!.namespace}/${o.metadata!.name}: ControllerRevision ${name} exists and belongs to another object`, { cause: e });
  }
}

/** Deletes the oldest revisions not `live` beyond revisionHistoryLimit. */
async function prune(client: ApiClient, owner: HistoryOwner, revisions: CR[], live: (r: CR) => boolean): Promise<void> {
  const limit = owner.obj.spec?.revisionHistoryLimit ?? 10;
  const old = revisions.filter((r) => !live(r));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await client.delete(ControllerRevisions, r.metadata!.namespace, r.metadata!.name!, { preconditions: { uid: r.metadata!.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    revisions.splice(revisions.indexOf(r), 1);
  }
}
