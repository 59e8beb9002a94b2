// The RuntimeClass admission plugin, as Kubernetes' (plugin/pkg/admission/runtimeclass): a new
// pod naming a RuntimeClass must name one that exists; the class's overhead becomes the pod's
// spec.overhead (a pod that already carries a different one is refused), its scheduling
// nodeSelector is merged into the pod's (a conflicting value is refused) and its tolerations are
// added. A pod without a class that has an overhead of its own is refused: only the plugin sets it.
import { quantityToMilli, isValidQuantity } from '../api/quantity.js';
import { mergeTolerations } from '../api/tolerations.js';
import type { Pod, RuntimeClass } from '../api/types.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import * as errors from './errors.js';

/** What the plugin reads: one RuntimeClass by name (undefined when there is none). */
export type RuntimeClassGetter = (name: string) => Promise<RuntimeClass | undefined>;

/** Kubernetes' Semantic.DeepEqual of two resource lists: same names, equal quantities (1000m = 1). */
function sameResources(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  // (a nil list and an empty one differ in Go; a pod overhead of {} does not survive JSON anyway)
  if (!a || !b) return !a && !b;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => b[k] !== undefined && (isValidQuantity(a[k]!) && isValidQuantity(b[k]!) ? quantityToMilli(a[k]!) === quantityToMilli(b[k]!) : a[k] === b[k]));
}

const emptyToUndefined = (m: Record<string, string> | undefined) => (m && Object.keys(m).length ? m : undefined);

export function runtimeClassAdmission(get: RuntimeClassGetter): AdmissionPlugin {
  /** The pod and its class; a class that does not exist refuses the pod. */
  const prepare = async (req: AdmissionRequest): Promise<{ pod: Pod; rc?: RuntimeClass } | undefined> => {
    if (req.operation !== 'CREATE' || req.subresource) return undefined;
    const pod = req.obj as Pod;
    const name = pod.spec?.runtimeClassName;
    if (!name) return { pod };
    const rc = await get(name);
    if (!rc) throw refuse(req, `pod rejected: RuntimeClass "${name}" not found`);
    return { pod, rc };
  };
  return {
    name: 'RuntimeClass',
    resources: ['pods'],
    reads: ['runtimeclasses'],
    async admit(req) {
      const p = await prepare(req);
      if (!p?.rc) return;
      const spec = (p.pod.spec ??= {});
      const overhead = emptyToUndefined(p.rc.overhead?.podFixed);
      if (p.rc.overhead) {
        if (spec.overhead && !sameResources(overhead, emptyToUndefined(spec.overhead))) throw refuse(req, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
        if (overhead) spec.overhead = { ...overhead };
      }
      const sched = p.rc.scheduling;
      if (!sched) return;
      const selector = spec.nodeSelector ? { ...spec.nodeSelector } : {};
      for (const [k, v] of Object.entries(sched.nodeSelector ?? {})) {
        if (selector[k] !== undefined && selector[k] !== v) throw refuse(req, `conflict: runtimeClass.scheduling.nodeSelector[${k}] = ${v}; pod.spec.nodeSelector[${k}] = ${selector[k]}`);
        selector[k] = v;
      }
      if (Object.keys(selector).length) spec.nodeSelector = selector;
      const tolerations = mergeTolerations(spec.tolerations ?? [], structuredClone(sched.tolerations ?? []));
      if (tolerations.length) spec.tolerations = tolerations;
    },
    async validate(req) {
      const p = await prepare(req);
      if (!p) return;
      const podOverhead = emptyToUndefined(p.pod.spec?.overhead);
      const rcOverhead = p.rc?.overhead ? emptyToUndefined(p.rc.overhead.podFixed) : undefined;
      if (p.rc?.overhead) {
        if (!sameResources(rcOverhead, podOverhead)) throw refuse(req, "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
      } else if (podOverhead) {
        throw refuse(req, 'pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead');
      }
    },
  };
}

function refuse(req: AdmissionRequest, why: string) {
  return errors.admissionForbidden(req.resource.group, req.resource.name, req.name, why);
}
