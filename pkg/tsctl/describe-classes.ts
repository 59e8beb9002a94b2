// tsctl describe for StorageClasses, PriorityClasses, IngressClasses and EndpointSlices, as
// kubectl 1.32's describers write them (describeStorageClass, describePriorityClass,
// describeIngressClassV1, describeEndpointSliceV1); in tab-ended cells for ./tabwriter.ts.
import type { KubeObject } from '../api/types.js';
import { tabbedField } from './describe-deployment.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { formatLabels } from './describe-statefulset.js';

export type StorageClass = KubeObject & { provisioner?: string; parameters?: Record<string, string>; allowVolumeExpansion?: boolean; mountOptions?: string[]; reclaimPolicy?: string; volumeBindingMode?: string; allowedTopologies?: { matchLabelExpressions?: { key: string; values?: string[] }[] }[] };
export type PriorityClass = KubeObject & { value?: number; globalDefault?: boolean; preemptionPolicy?: string; description?: string };
export type IngressClass = KubeObject & { spec?: { controller?: string; parameters?: { apiGroup?: string; kind?: string; name?: string } } };
export type EndpointSlice = KubeObject & {
  addressType?: string;
  ports?: { name?: string; port?: number; protocol?: string }[];
  endpoints?: { addresses?: string[]; conditions?: { ready?: boolean }; hostname?: string; targetRef?: { kind?: string; name?: string }; nodeName?: string; zone?: string }[];
};

const isDefault = (a: Record<string, string> | undefined) => a?.['storageclass.kubernetes.io/is-default-class'] === 'true' || a?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

/** The lines of describe storageclass up to its events (its annotations as k=v on one line, as kubectl). */
export function describeStorageClass(sc: StorageClass): string[] {
  const meta = sc.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `IsDefaultClass:\t${isDefault(meta.annotations) ? 'Yes' : 'No'}`, `Annotations:\t${formatLabels(meta.annotations)}`, `Provisioner:\t${sc.provisioner ?? ''}`, `Parameters:\t${formatLabels(sc.parameters)}`];
  out.push(`AllowVolumeExpansion:\t${sc.allowVolumeExpansion === undefined ? '<unset>' : sc.allowVolumeExpansion ? 'True' : 'False'}`);
  if (sc.mountOptions?.length) out.push('MountOptions:', ...sc.mountOptions.map((o) => `  ${o}`));
  else out.push('MountOptions:\t<none>');
  if (sc.reclaimPolicy) out.push(`ReclaimPolicy:\t${sc.reclaimPolicy}`);
  if (sc.volumeBindingMode) out.push(`VolumeBindingMode:\t${sc.volumeBindingMode}`);
  if (sc.allowedTopologies) {
    if (!sc.allowedTopologies.length) out.push('AllowedTopologies:\t<none>');
    else {
      out.push('AllowedTopologies:\t');
      sc.allowedTopologies.forEach((t, i) => {
        const reqs = t.matchLabelExpressions ?? [];
        if (!reqs.length) out.push(`  Term ${i}:\t<none>`);
        reqs.forEach((r, j) => out.push(`  ${j ? '' : `Term ${i}:`}\t${r.key} in${r.values?.length ? ` [${r.values.join(', ')}]` : ''}`));
      });
    }
  }
  return out;
}

/** The lines of describe priorityclass up to its events. */
export function describePriorityClass(pc: PriorityClass): string[] {
  const meta = pc.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Value:\t${pc.value ?? 0}`, `GlobalDefault:\t${pc.globalDefault ?? false}`];
  if (pc.preemptionPolicy) out.push(`PreemptionPolicy:\t${pc.preemptionPolicy}`);
  out.push(`Description:\t${pc.description ?? ''}`, ...tabbedField(annotationLines('Annotations', meta.annotations)));
  return out;
}

/** The lines of describe ingressclass up to its events. */
export function describeIngressClass(ic: IngressClass): string[] {
  const meta = ic.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)), `Controller:\t${ic.spec?.controller ?? ''}`];
  const p = ic.spec?.parameters;
  if (p) {
    out.push('Parameters:');
    if (p.apiGroup !== undefined) out.push(`  APIGroup:\t${p.apiGroup}`);
    out.push(`  Kind:\t${p.kind ?? ''}`, `  Name:\t${p.name ?? ''}`);
  }
  return out;
}

/** The lines of describe endpointslice up to its events ("Ports: <unset>" and "Endpoints: <none>" untabbed, as kubectl). */
export function describeEndpointSlice(eps: EndpointSlice): string[] {
  const meta = eps.metadata ?? {};
  const out = [`Name:\t${meta.name ?? ''}`, `Namespace:\t${meta.namespace ?? ''}`, ...tabbedField(labelLines('Labels', meta.labels)), ...tabbedField(annotationLines('Annotations', meta.annotations)), `AddressType:\t${eps.addressType ?? ''}`];
  if (!eps.ports?.length) out.push('Ports: <unset>');
  else out.push('Ports:', '  Name\tPort\tProtocol', '  ----\t----\t--------', ...eps.ports.map((p) => `  ${p.name || '<unset>'}\t${p.port ?? '<unset>'}\t${p.protocol ?? ''}`));
  if (!eps.endpoints?.length) out.push('Endpoints: <none>');
  else {
    out.push('Endpoints:');
    for (const e of eps.endpoints) {
      out.push(`  - Addresses:\t${(e.addresses ?? []).join(', ') || '<none>'}`, '    Conditions:', `      Ready:\t${e.conditions?.ready === undefined ? '<unset>' : e.conditions.ready}`);
      out.push(`    Hostname:\t${e.hostname ?? '<unset>'}`);
      if (e.targetRef) out.push(`    TargetRef:\t${e.targetRef.kind ?? ''}/${e.targetRef.name ?? ''}`);
      out.push(`    NodeName:\t${e.nodeName ?? '<unset>'}`, `    Zone:\t${e.zone ?? '<unset>'}`);
    }
  }
  return out;
}
