// A pod from a controller's pod template (GetPodFromTemplate): the template's labels,
// annotations, finalizers and spec, generateName `<owner>-`, and a controller reference.
import type { KubeObject, Pod, PodTemplateSpec } from '../api/types.js';
import { controllerRefTo } from './controller-ref.js';

export function podFromTemplate(owner: KubeObject, template: PodTemplateSpec | undefined, apiVersion: string, kind: string, generateName = `${owner.metadata!.name}-`): Pod & KubeObject {
  const t = template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata!.namespace,
      labels: { ...(t.metadata?.labels ?? {}) },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ...(t.metadata?.finalizers?.length ? { finalizers: [...t.metadata.finalizers] } : {}),
      ownerReferences: [controllerRefTo(owner, apiVersion, kind)],
    },
    spec: structuredClone(t.spec ?? {}),
  } as Pod & KubeObject;
}
