// The registry strategies' WarningsOnCreate and WarningsOnUpdate: what a write that passed
// validation is warned of (a `Warning` header kubectl prints), by kind as 1.32's strategies do.
import { claimSpecWarnings, nodeSelectorTermWarnings, podCreateWarnings, podTemplateWarnings } from '../../api/pod-warnings.js';
import { isDNS1123Label, isQualifiedName } from '../../api/names.js';
import type { KubeObject, PodTemplateSpec } from '../../api/types.js';
import { isUnqualifiedFinalizer } from '../../api/validation-meta.js';
import { semanticFieldEqual } from '../../api/semantic-equal.js';
import { storageOf, type ResourceInfo } from './resources.js';

type Obj = KubeObject & { spec?: Record<string, unknown> };
const get = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), o);
const template = (o: unknown, ...path: string[]) => get(o, ...path) as PodTemplateSpec | undefined;

/** Workloads whose name prefixes their pods' names and hostnames. */
function nameWarning(obj: Obj): string[] {
  const msgs = isDNS1123Label(obj.metadata?.name ?? '');
  return msgs.length ? [`metadata.name: this is used in Pod names and hostnames, which can result in surprising behavior; a DNS label is recommended: [${msgs.join(' ')}]`] : [];
}

const INDEXED_SOFT_LIMIT = 'In Indexed Jobs with a number of completions higher than 10^5 and a parallelism higher than 10^4, Kubernetes might not be able to track completedIndexes when a big number of indexes fail';

/** WarningsForJobSpec at `path` (spec, or a CronJob's spec.jobTemplate.spec). */
function jobSpecWarnings(spec: unknown, path: string, old?: unknown): string[] {
  const s = (spec ?? {}) as { completionMode?: string; completions?: number; parallelism?: number };
  const w = s.completionMode === 'Indexed' && (s.completions ?? 0) > 100_000 && (s.parallelism ?? 0) > 10_000 ? [`${path}: ${INDEXED_SOFT_LIMIT}`] : [];
  return [...w, ...podTemplateWarnings(template(spec, 'template'), `${path}.template`, old === undefined ? undefined : template(old, 'template'))];
}

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

function claimWarnings(o: Obj): string[] {
  const w = o.metadata?.annotations && BETA_STORAGE_CLASS in o.metadata.annotations ? [`metadata.annotations[${BETA_STORAGE_CLASS}]: deprecated since v1.8; use "storageClassName" attribute instead`] : [];
  return [...w, ...claimSpecWarnings((o.spec ?? {}) as never, 'spec')];
}

/** The volume plugins gone from 1.32's kubelet, in the order GetWarningsForPersistentVolume checks them (and its spellings). */
const REMOVED_PV_SOURCES: [field: string, named: string, message: string][] = [
  ['cephfs', 'cephfs', 'deprecated in v1.28, non-functional in v1.31+'],
  ['photonPersistentDisk', 'photonPersistentDisk', 'deprecated in v1.11, non-functional in v1.16+'],
  ['scaleIO', 'scaleIO', 'deprecated in v1.16, non-functional in v1.22+'],
  ['storageos', 'storageOS', 'deprecated in v1.22, non-functional in v1.25+'],
  ['glusterfs', 'glusterfs', 'deprecated in v1.25, non-functional in v1.26+'],
  ['rbd', 'rbd', 'deprecated in v1.28, non-functional in v1.31+'],
];

/** GetWarningsForPersistentVolume: the beta class annotation, Recycle, deprecated node labels, removed plugins. */
function persistentVolumeWarnings(o: Obj): string[] {
  const w = o.metadata?.annotations && BETA_STORAGE_CLASS in o.metadata.annotations ? [`metadata.annotations[${BETA_STORAGE_CLASS}]: deprecated since v1.8; use "storageClassName" attribute instead`] : [];
  const spec = (o.spec ?? {}) as Record<string, any>;
  if (spec.persistentVolumeReclaimPolicy === 'Recycle') w.push('spec.persistentVolumeReclaimPolicy: The Recycle reclaim policy is deprecated. Instead, the recommended approach is to use dynamic provisioning.');
  ((spec.nodeAffinity?.required?.nodeSelectorTerms ?? []) as never[]).forEach((t, i) => w.push(...nodeSelectorTermWarnings(t, `spec.nodeAffinity.required.nodeSelectorTerms[${i}]`)));
  for (const [field, named, message] of REMOVED_PV_SOURCES) if (spec[field] != null) w.push(`spec.${named}: ${message}`);
  return w;
}

/** A custom resource's finalizers added by this write (generateWarningsFromObj, validateKubeFinalizerName). */
function finalizerWarnings(obj: Obj, old?: Obj): string[] {
  const before = new Set(old?.metadata?.finalizers ?? []);
  const added = [...new Set(obj.metadata?.finalizers ?? [])].filter((f) => !before.has(f)).sort();
  return added.flatMap((f) => {
    const w = isQualifiedName(f).map((m) => `metadata.finalizers: ${JSON.stringify(f)}: ${m}`);
    if (isUnqualifiedFinalizer(f)) {
      w.push(`metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name${f.includes('.') ? ' including a path (/)' : ''} to avoid accidental conflicts with other finalizer writers`);
    }
    return w;
  });
}

/** WarningsOnCreate of the resource's strategy. */
export function warningsOnCreate(r: ResourceInfo, obj: Obj): string[] {
  if (r.custom) return finalizerWarnings(obj);
  const s = storageOf(r);
  switch (`${s.group}/${s.name}`) {
    case '/pods':
      return podCreateWarnings(obj as never);
    case '/podtemplates':
      return podTemplateWarnings(template(obj, 'template'), 'template');
    case '/replicationcontrollers':
    case 'apps/deployments':
    case 'apps/replicasets':
      return [...nameWarning(obj), ...podTemplateWarnings(template(obj, 'spec', 'template'), 'spec.template')];
    case 'apps/daemonsets':
      return podTemplateWarnings(template(obj, 'spec', 'template'), 'spec.template');
    case 'apps/statefulsets':
      return [
        ...podTemplateWarnings(template(obj, 'spec', 'template'), 'spec.template'),
        ...((get(obj, 'spec', 'volumeClaimTemplates') ?? []) as Obj[]).flatMap((c, i) => claimSpecWarnings((c.spec ?? {}) as never, `spec.volumeClaimTemplates[${i}]`)),
      ];
    case 'batch/jobs':
      return [...nameWarning(obj), ...jobSpecWarnings(obj.spec, 'spec')];
    case 'batch/cronjobs':
      return [...nameWarning(obj), ...jobSpecWarnings(get(obj, 'spec', 'jobTemplate', 'spec'), 'spec.jobTemplate.spec')];
    case '/persistentvolumeclaims':
      return claimWarnings(obj);
    case '/persistentvolumes':
      return persistentVolumeWarnings(obj);
    default:
      return [];
  }
}

/** Whether the generation stayed: a spec of a `typeName` the same to apiequality.Semantic.DeepEqual. */
const sameSpec = (typeName: string, a: Obj, b: Obj) => semanticFieldEqual(typeName, 'spec', a.spec, b.spec);

/** WarningsOnUpdate: workloads warn again only of a changed template; pods are not warned of on update. */
export function warningsOnUpdate(r: ResourceInfo, obj: Obj, old: Obj): string[] {
  if (r.custom) return finalizerWarnings(obj, old);
  const s = storageOf(r);
  switch (`${s.group}/${s.name}`) {
    case '/podtemplates':
      return podTemplateWarnings(template(obj, 'template'), 'template', template(old, 'template') ?? {});
    case '/replicationcontrollers':
    case 'apps/deployments':
    case 'apps/replicasets':
    case 'apps/daemonsets':
    case 'apps/statefulsets':
      return podTemplateWarnings(template(obj, 'spec', 'template'), 'spec.template', template(old, 'spec', 'template') ?? {});
    // (a Job's and a CronJob's only when the generation moved: the spec changed)
    case 'batch/jobs':
      return sameSpec('Job', obj, old) ? [] : jobSpecWarnings(obj.spec, 'spec', old.spec ?? {});
    case 'batch/cronjobs':
      return sameSpec('CronJob', obj, old) ? [] : jobSpecWarnings(get(obj, 'spec', 'jobTemplate', 'spec'), 'spec.jobTemplate.spec', get(old, 'spec', 'jobTemplate', 'spec') ?? {});
    case '/persistentvolumeclaims':
      return claimWarnings(obj);
    case '/persistentvolumes':
      return persistentVolumeWarnings(obj);
    default:
      return [];
  }
}
