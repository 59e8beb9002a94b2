// Mirror pods: the API objects a node agent keeps for the static pods it runs from manifest
// files, marked by the annotation kubernetes.io/config.mirror (its value the static pod's config
// hash). Kubernetes' pod validation (ValidatePodSpecificAnnotations and
// ValidatePodSpecificAnnotationUpdates): a mirror pod must be bound to a node, and the annotation
// can be neither added nor changed nor removed by an update.
import { invalid, type FieldError } from './field-error.js';
import { fixedAnnotationUpdates } from './fixed-annotations.js';
import type { Pod } from './types.js';

export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export const isMirrorPod = (p: Pod | undefined): boolean => p?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] !== undefined;

/** On create: the mirror annotation needs spec.nodeName. */
export function validateMirrorPodCreate(pod: Pod): FieldError[] {
  const value = pod.metadata?.annotations?.[MIRROR_POD_ANNOTATION];
  if (value === undefined || pod.spec?.nodeName) return [];
  return [invalid(`metadata.annotations[${MIRROR_POD_ANNOTATION}]`, value, 'must set spec.nodeName if mirror pod annotation is set')];
}

/** On update: annotations starting with the mirror key may not be added, changed or removed. */
export const validateMirrorPodAnnotationUpdate = (pod: Pod, old: Pod): FieldError[] => fixedAnnotationUpdates(pod, old, MIRROR_POD_ANNOTATION, 'mirror pod annotation');
