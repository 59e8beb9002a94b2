// Ephemeral containers (pkg/apis/core/validation: validateEphemeralContainers): the usual
// container rules, names unique across every container of the pod, a target that names a
// container or init container, and none of the fields that make a container part of the
// workload (ports, probes, lifecycle, resources).
import { forbidden, notFound, type FieldError } from './field-error.js';
import type { EphemeralContainer } from './types.js';
import { validateContainer } from './validation-container.js';

const FORBIDDEN_DETAIL = 'cannot be set for an Ephemeral Container';

/** Kubernetes' allowedEphemeralContainerFields, as the fields it does not allow. */
const NOT_ALLOWED = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const;

/** Go's zero value: absent, null, false, 0, "", or an empty list or struct ({} decodes to a zero struct). */
function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v).every(isZero);
  return false;
}

/**
 * Validates spec.ephemeralContainers. `names` holds the names of the pod's containers and init
 * containers (ephemeral names are added as they are seen); `volumes` the pod's volume names.
 */
export function validateEphemeralContainers(list: EphemeralContainer[], path: string, volumes: Set<string>, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const targets = new Set(names);
  list.forEach((ec, i) => {
    const p = `${path}[${i}]`;
    const { targetContainerName, ...common } = ec;
    // The forbidden fields are reported once, as forbidden, rather than also checked as values.
    const checked = { ...common };
    for (const k of NOT_ALLOWED) delete checked[k];
    errs.push(...validateContainer(checked, p, { volumes, init: false }, names));
    if (targetContainerName && !targets.has(targetContainerName)) errs.push(notFound(`${p}.targetContainerName`, targetContainerName));
    for (const k of NOT_ALLOWED) if (!isZero(common[k])) errs.push(forbidden(`${p}.${k}`, FORBIDDEN_DETAIL));
    // Subpaths are bind mounts that outlive the container: disallowed entirely.
    (ec.volumeMounts ?? []).forEach((vm, j) => {
      if (vm.subPath) errs.push(forbidden(`${p}.volumeMounts[${j}].subPath`, FORBIDDEN_DETAIL));
      if (vm.subPathExpr) errs.push(forbidden(`${p}.volumeMounts[${j}].subPathExpr`, FORBIDDEN_DETAIL));
    });
  });
  return errs;
}
