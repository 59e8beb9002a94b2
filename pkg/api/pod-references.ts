// The ConfigMaps and Secrets a pod refers to: volumes (plain and projected), env, envFrom (of
// init, app and ephemeral containers, as Kubernetes' AllContainers) and imagePullSecrets. The node agent fetches them; the apiserver's node authorizer lets a node
// read only these.
import type { Container, Pod } from './types.js';

export type ReferencedKind = 'configmaps' | 'secrets';

export interface ObjectReference {
  kind: ReferencedKind;
  name: string;
}

export function podReferences(pod: Pod): ObjectReference[] {
  const seen = new Map<string, ObjectReference>();
  const add = (kind: ReferencedKind, name: string | undefined) => name && seen.set(`${kind}/${name}`, { kind, name });
  const spec = pod.spec ?? {};
  for (const r of spec.imagePullSecrets ?? []) add('secrets', r.name);
  for (const v of spec.volumes ?? []) {
    add('configmaps', v.configMap?.name);
    add('secrets', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configmaps', s.configMap?.name);
      add('secrets', s.secret?.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])] as Container[]) {
    for (const e of c.envFrom ?? []) {
      add('configmaps', e.configMapRef?.name);
      add('secrets', e.secretRef?.name);
    }
    for (const e of c.env ?? []) {
      add('configmaps', e.valueFrom?.configMapKeyRef?.name);
      add('secrets', e.valueFrom?.secretKeyRef?.name);
    }
  }
  return [...seen.values()];
}
