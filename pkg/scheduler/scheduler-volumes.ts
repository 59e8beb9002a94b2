// What the volume plugins read and write through the scheduler: claims, volumes and classes from
// its informers, the pods using a claim from its cache, and the writes of volume binding
// (kube-scheduler's bindAPIUpdate: a volume's claimRef, a claim's selected node).
import { ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, podClaimNames } from '../api/persistent-volumes.js';
import type { KubeObject, PersistentVolume, PersistentVolumeClaim, Pod, StorageClass } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import type { Informer } from '../client/informer.js';
import { PersistentVolumeClaims, PersistentVolumes } from '../client/rest-client.js';
import type { NodeInfo } from './node-info.js';
import type { VolumeLister, VolumeWriter } from './plugins/volume-binding.js';

export interface VolumeSources {
  claims: Informer<PersistentVolumeClaim & KubeObject>;
  volumes: Informer<PersistentVolume & KubeObject>;
  classes: Informer<StorageClass & KubeObject>;
  pods: Informer<Pod & KubeObject>;
  /** The scheduler's nodes, with the pods bound or assumed there. */
  nodes: ReadonlyMap<string, NodeInfo>;
}

export function volumeLister(s: VolumeSources): VolumeLister {
  return {
    claim: (ns, name) => s.claims.get(`${ns}/${name}`),
    volumes: () => s.volumes.list(),
    volume: (name) => s.volumes.get(name),
    storageClass: (name) => (name ? s.classes.get(name) : undefined),
    pod: (ns, name) => s.pods.get(`${ns}/${name}`),
    podsUsingClaim: (ns, name) => {
      const out: Pod[] = [];
      for (const n of s.nodes.values()) for (const { pod } of n.pods.values()) if (pod.metadata?.namespace === ns && podClaimNames(pod).includes(name)) out.push(pod);
      return out;
    },
  };
}

export function volumeWriter(client: ApiClient): VolumeWriter {
  return {
    bindVolume: async (pv, claim) => {
      const next = structuredClone(pv);
      next.spec!.claimRef = { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: claim.metadata!.namespace, name: claim.metadata!.name, uid: claim.metadata!.uid, resourceVersion: claim.metadata!.resourceVersion };
      (next.metadata!.annotations ??= {})[ANN_BOUND_BY_CONTROLLER] = 'yes';
      await client.update(PersistentVolumes, undefined, pv.metadata!.name!, next);
    },
    selectNode: async (claim, node) => {
      const out = await client.patch<PersistentVolumeClaim>(PersistentVolumeClaims, claim.metadata!.namespace, claim.metadata!.name!, { metadata: { annotations: { [ANN_SELECTED_NODE]: node } } }, 'merge');
      return out.metadata?.resourceVersion;
    },
  };
}
