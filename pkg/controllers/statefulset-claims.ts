// A StatefulSet's claims (stateful_set_utils.go): each ordinal's pod gets one claim per
// volumeClaimTemplate, `<template>-<set>-<ordinal>`, labelled with the template's labels and the
// set's matchLabels, mounted as the volume of the template's name. Who owns a claim follows the
// set's persistentVolumeClaimRetentionPolicy: Retain/Retain — nobody, the claims outlive the set;
// whenDeleted Delete — the set; whenScaled Delete — the pod, once its ordinal is scaled away (the
// garbage collector then deletes the claim with its owner).
import type { KubeObject, OwnerReference, PersistentVolumeClaim, Pod, StatefulSet } from '../api/types.js';

export type PVC = PersistentVolumeClaim & KubeObject;
type STS = StatefulSet & KubeObject;

export const claimName = (template: string, set: string, ordinal: number) => `${template}-${set}-${ordinal}`;

/** The claims of `ordinal`, by template name, as the controller creates them (owners set apart). */
export function claimsForOrdinal(set: STS, ordinal: number): Map<string, PVC> {
  const out = new Map<string, PVC>();
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const tpl = t.metadata?.name ?? '';
    const claim: PVC = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName(tpl, set.metadata!.name!, ordinal),
        namespace: set.metadata!.namespace,
        labels: { ...t.metadata?.labels, ...set.spec?.selector?.matchLabels },
        ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      },
      spec: structuredClone(t.spec ?? {}),
    };
    out.set(tpl, claim);
  }
  return out;
}

/** The pod's volumes with one persistentVolumeClaim volume per template (updateStorage): templates first, replacing volumes of the same name. */
export function withClaimVolumes(set: STS, pod: Pod, ordinal: number): void {
  const claims = claimsForOrdinal(set, ordinal);
  if (!claims.size) return;
  const spec = (pod.spec ??= {});
  const volumes = [...claims].map(([name, c]) => ({ name, persistentVolumeClaim: { claimName: c.metadata!.name! } }));
  spec.volumes = [...volumes, ...(spec.volumes ?? []).filter((v) => !claims.has(v.name ?? ''))];
}

const policyOf = (set: STS) => ({ whenDeleted: set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted || 'Retain', whenScaled: set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled || 'Retain' });

/** The ordinal is one the set keeps (podInOrdinalRange). */
function inOrdinalRange(set: STS, ordinal: number): boolean {
  const start = set.spec?.ordinals?.start ?? 0;
  return ordinal >= start && ordinal < start + (set.spec?.replicas ?? 1);
}

interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

const ownerOfSet = (set: STS): Owner => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: set.metadata!.name!, uid: set.metadata!.uid! });
const ownerOfPod = (pod: Pod): Owner => ({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata!.name!, uid: pod.metadata!.uid! });
const matchesRef = (r: OwnerReference, o: Owner) => r.apiVersion === o.apiVersion && r.kind === o.kind && r.name === o.name;
const controllerRef = (o: Owner): OwnerReference => ({ ...o, controller: true, blockOwnerDeletion: true });

/**
 * The owner references of the claim of `ordinal` (whose pod is `pod`, once it exists) under the
 * set's retention policy (updateClaimOwnerRefForSetAndPod), or undefined when they are right
 * already or must not be touched: a reference to an earlier set or pod of the same name (another
 * uid) is left for the garbage collector, and a claim another controller owns keeps that owner
 * (ours are only scrubbed). A pod scaled away owns its claim only once it exists.
 */
export function claimOwnerRefs(claim: PVC, set: STS, ordinal: number, pod: Pod | undefined): OwnerReference[] | undefined {
  const refs = claim.metadata?.ownerReferences ?? [];
  const setOwner = ownerOfSet(set);
  const podOwner = pod?.metadata?.uid ? ownerOfPod(pod) : undefined;
  const stale = refs.some((r) => (matchesRef(r, setOwner) && r.uid !== setOwner.uid) || (podOwner && matchesRef(r, podOwner) && r.uid !== podOwner.uid));
  if (stale) return undefined;
  const ours = (r: OwnerReference) => matchesRef(r, setOwner) || (!!podOwner && matchesRef(r, podOwner));
  const { whenDeleted, whenScaled } = policyOf(set);
  const other = refs.filter((r) => !ours(r));
  const next = [...other];
  const unexpected = !(whenDeleted === 'Retain' && whenScaled === 'Retain') && other.some((r) => r.controller);
  if (!unexpected) {
    const scaledDown = !inOrdinalRange(set, ordinal);
    if (whenScaled === 'Delete' && scaledDown) {
      if (podOwner) next.push(controllerRef(podOwner));
    } else if (whenDeleted === 'Delete') next.push(controllerRef(setOwner));
  }
  const key = (rs: OwnerReference[]) => JSON.stringify(rs.map((r) => [r.uid, !!r.controller]).sort());
  return key(next) === key(refs) ? undefined : next;
}
