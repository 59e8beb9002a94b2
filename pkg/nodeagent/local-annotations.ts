// The annotations the kubelet's pod config puts on its own copy of a pod from the API, before
// anything on the node reads it: kubernetes.io/config.source (where the pod came from, "api")
// and kubernetes.io/config.seen (when this kubelet first saw it). They never reach the API, but
// the downward API reads that copy, so a container's metadata.annotations file lists them.
import type { Pod } from '../api/types.js';
import { ANN_CONFIG_SEEN, ANN_CONFIG_SOURCE } from './static-pod-manifest.js';

/** Go's time.RFC3339Nano of a UTC instant: the fraction without its trailing zeros (none at all when whole). */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.?0+Z$/, 'Z');
}

/**
 * `pod` as the kubelet holds it: source "api" and first seen at `seen`. A static pod's manifest
 * reader has set both already (source "file"), and such a pod is left as it is.
 */
export function withLocalAnnotations(pod: Pod, seen: string): Pod {
  const ann = pod.metadata?.annotations ?? {};
  if (ann[ANN_CONFIG_SOURCE] === 'file') return pod;
  return { ...pod, metadata: { ...pod.metadata, annotations: { ...ann, [ANN_CONFIG_SEEN]: seen, [ANN_CONFIG_SOURCE]: 'api' } } };
}
