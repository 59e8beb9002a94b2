// The AppArmor version skew of a new pod, as 1.32's pod strategy applies it on create
// (applyAppArmorVersionSkew, KEP-24): the securityContext.appArmorProfile fields that replaced
// the deprecated `container.apparmor.security.beta.kubernetes.io/<container>` annotations are
// kept in step with them, container by container. A container with a profile (its own or the
// pod's) and no annotation gets the annotation; one with an annotation and no profile of its own
// gets the profile, unless it is the pod's already. So a pod written with either is stored with
// both, and PodSecurity sees (and names) the container an `unconfined` annotation applies to.
import type { FieldError } from './field-error.js';
import { fixedAnnotationUpdates } from './fixed-annotations.js';
import type { AppArmorProfile, Container, Pod } from './types.js';

export const APPARMOR_ANNOTATION_PREFIX = 'container.apparmor.security.beta.kubernetes.io/';

/** The annotation value of a profile (appArmorAnnotationForField); '' for Localhost without a profile name or an unknown type. */
function annotationForField(p: AppArmorProfile): string {
  if (p.type === 'Unconfined') return 'unconfined';
  if (p.type === 'RuntimeDefault') return 'runtime/default';
  if (p.type === 'Localhost' && p.localhostProfile != null) return `localhost/${p.localhostProfile}`;
  return '';
}

/**
 * The profile of an annotation value (apparmorFieldForAnnotation), or undefined for one it cannot
 * be made from, or that ValidateAppArmorProfileField would refuse (a padded or too long name).
 */
function fieldForAnnotation(v: string): AppArmorProfile | undefined {
  if (v === 'unconfined') return { type: 'Unconfined' };
  if (v === 'runtime/default') return { type: 'RuntimeDefault' };
  if (!v.startsWith('localhost/')) return undefined;
  const name = v.slice('localhost/'.length);
  if (name === '' || name.trim() !== name || Buffer.byteLength(name) > 4095) return undefined;
  return { type: 'Localhost', localhostProfile: name };
}

const sameProfile = (a: AppArmorProfile, b: AppArmorProfile | undefined | null) => !!b && a.type === b.type && (a.localhostProfile ?? undefined) === (b.localhostProfile ?? undefined);

/**
 * Syncs a new pod's AppArmor annotations and fields (windows pods are left alone) and returns the
 * warnings 1.32 gives there: an annotation used without a field of its own is deprecated.
 */
export function applyAppArmorVersionSkew(pod: Pod): string[] {
  const spec = pod.spec;
  if (!spec || spec.os?.name === 'windows') return [];
  const podProfile = spec.securityContext?.appArmorProfile ?? undefined;
  const warnings: string[] = [];
  const visit = (c: Container) => {
    const key = APPARMOR_ANNOTATION_PREFIX + (c.name ?? '');
    const annotations = pod.metadata?.annotations;
    const annotation = annotations?.[key];
    const own = c.securityContext?.appArmorProfile ?? undefined;
    if (annotation === undefined) {
      const value = own ? annotationForField(own) : podProfile ? annotationForField(podProfile) : '';
      if (value) ((pod.metadata ??= {}).annotations ??= {})[key] = value;
      return;
    }
    if (own) return;
    const field = fieldForAnnotation(annotation);
    // (an annotation no valid field can be made from is warned of as well)
    let warn = !field;
    if (field && !sameProfile(field, podProfile)) {
      (c.securityContext ??= {}).appArmorProfile = field;
      warn = true;
    }
    if (warn) warnings.push(`metadata.annotations[${key}]: deprecated since v1.30; use the "appArmorProfile" field instead`);
  };
  // (VisitContainers: init containers, containers, then ephemeral containers)
  for (const c of spec.initContainers ?? []) visit(c);
  for (const c of spec.containers ?? []) visit(c);
  for (const c of spec.ephemeralContainers ?? []) visit(c as Container);
  return warnings;
}

/**
 * The AppArmor half of ValidatePodSpecificAnnotationUpdates: a pod's AppArmor annotations are
 * fixed at creation (their profiles are what its containers were started with), so an update may
 * neither add one nor change or take one away (kubectl replace of a manifest without the
 * annotation the pod strategy added is refused too).
 */
export const validateAppArmorAnnotationUpdate = (pod: Pod, old: Pod): FieldError[] => fixedAnnotationUpdates(pod, old, APPARMOR_ANNOTATION_PREFIX, 'AppArmor annotations');
