// The Priority admission plugin, as Kubernetes': a new pod's priorityClassName (or the
// globalDefault class, or none) gives its spec.priority and spec.preemptionPolicy, which the
// client may not set otherwise; an update keeps them. PriorityClasses: at most one globalDefault,
// and the system classes cannot be deleted.
import type { Pod, PriorityClass } from '../api/types.js';
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation-scheduling.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import * as errors from './errors.js';

/** What the plugin reads: the PriorityClasses as the apiserver holds them. */
export interface PriorityClassLister {
  /** One class by name (undefined when there is none). */
  get(name: string): Promise<PriorityClass | undefined>;
  /** Every class (from memory: asked at each pod create without a class). */
  list(): PriorityClass[];
}

const GROUP = 'scheduling.k8s.io';

/** The globalDefault class; if a race made two, the one of lowest value, as Kubernetes picks. */
function defaultClass(classes: PriorityClass[]): PriorityClass | undefined {
  let d: PriorityClass | undefined;
  for (const pc of classes) if (pc.globalDefault && (!d || (pc.value ?? 0) < (d.value ?? 0))) d = pc;
  return d;
}

export function priorityAdmission(classes: PriorityClassLister): AdmissionPlugin {
  return {
    name: 'Priority',
    resources: ['pods', 'priorityclasses'],
    reads: ['priorityclasses'],
    async admit(req) {
      if (req.resource.name !== 'pods' || req.subresource) return;
      const spec = ((req.obj as Pod).spec ??= {});
      if (req.operation === 'UPDATE') {
        // Set at create; validation refuses any change, so a body without them keeps the old ones.
        const old = (req.old as Pod | undefined)?.spec;
        if (spec.priority === undefined && old?.priority !== undefined) spec.priority = old.priority;
        if (!spec.preemptionPolicy && old?.preemptionPolicy) spec.preemptionPolicy = old.preemptionPolicy;
        return;
      }
      if (req.operation !== 'CREATE') return;
      let value = 0;
      let policy: string | undefined = 'PreemptLowerPriority';
      if (!spec.priorityClassName) {
        const d = defaultClass(classes.list());
        if (d) {
          spec.priorityClassName = d.metadata!.name!;
          value = d.value ?? 0;
          policy = d.preemptionPolicy;
        }
      } else {
        const pc = await classes.get(spec.priorityClassName);
        if (!pc) throw refuse(req, `no PriorityClass with name ${spec.priorityClassName} was found`);
        value = pc.value ?? 0;
        policy = pc.preemptionPolicy;
      }
      if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
        throw refuse(req, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
      }
      spec.priority = value;
      if (policy) {
        if (spec.preemptionPolicy && spec.preemptionPolicy !== policy) {
          throw refuse(req, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
        }
        spec.preemptionPolicy = policy;
      }
    },
    validate(req) {
      if (req.resource.name !== 'priorityclasses' || req.subresource) return;
      if (req.operation === 'DELETE') {
        if (SYSTEM_PRIORITY_CLASSES.some((s) => s.metadata!.name === req.name)) throw errors.admissionForbidden(GROUP, 'priorityclasses', req.name, 'this is a system priority class and cannot be deleted');
        return;
      }
      const pc = req.obj as PriorityClass;
      if (!pc.globalDefault) return;
      const d = defaultClass(classes.list().filter((c) => c.metadata?.name !== pc.metadata?.name));
      if (d) throw errors.admissionForbidden(GROUP, 'priorityclasses', req.name, `PriorityClass ${d.metadata!.name} is already marked as default. Only one default can exist`);
    },
  };
}

function refuse(req: AdmissionRequest, why: string) {
  return errors.admissionForbidden(req.resource.group, req.resource.name, req.name, why);
}
