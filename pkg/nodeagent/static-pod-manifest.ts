// Static pod manifests, as the kubelet's file source reads them (pkg/kubelet/config/file.go,
// common.go): each file holds one Pod or a PodList (YAML or JSON; of a multi-document YAML file
// only the first document counts, as sigs.k8s.io/yaml reads it). Each pod is defaulted as the
// apiserver would, then named `<name>-<nodeName>`, put in namespace `default` unless it names
// one, bound to the node, given a UID that is a hash of its contents, the node and the file (so
// an unchanged file gives the same pod across agent restarts, an edited one a new pod), the
// kubelet's config annotations and a toleration of every NoExecute taint; then validated as a
// pod create.
import { createHash } from 'node:crypto';
import yaml from 'js-yaml';
import { defaultPod } from '../api/defaults.js';
import { formatFieldError, type FieldError } from '../api/field-error.js';
import { decodeStrict } from '../api/schema-validate.js';
import type { Pod } from '../api/types.js';
import { validatePodCreate } from '../api/validation-pod.js';

export const ANN_CONFIG_SOURCE = 'kubernetes.io/config.source';
export const ANN_CONFIG_HASH = 'kubernetes.io/config.hash';
export const ANN_CONFIG_SEEN = 'kubernetes.io/config.seen';
export { MIRROR_POD_ANNOTATION as ANN_CONFIG_MIRROR, isMirrorPod } from '../api/mirror-pods.js';

/** The kubelet reads at most this much of a manifest file (maxConfigLength). */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

/** A static pod read from a file: the pod the agent runs, and where it came from. */
export interface StaticPod {
  pod: Pod;
  /** The file's path. */
  source: string;
  /** The config hash (also the pod's UID and the value of the mirror pod's annotation). */
  hash: string;
  /** The hash of the file's pod: the same as `hash` unless the manifest sets metadata.uid, whose edits it tells apart. */
  contentHash: string;
}

export class ManifestError extends Error {}

const isFileSourced = (p: Pod | undefined) => p?.metadata?.annotations?.[ANN_CONFIG_SOURCE] === 'file';
/** Whether a pod the agent runs came from a manifest file. */
export const isStaticPod = isFileSourced;

/** The kubelet's generatePodName: the node's name, lowercased, after the pod's. */
export const staticPodName = (name: string, nodeName: string) => `${name}-${nodeName.toLowerCase()}`;

/** Keys sorted at every level: the hash does not depend on the order fields were written in. */
function canonicalJSON(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

const fieldErrors = (errs: FieldError[]) => errs.map(formatFieldError).join(', ');

/** The objects of a manifest file's text: one Pod, or the items of a PodList (a List of Pods too). */
export function decodeManifest(text: string): unknown[] {
  let doc: unknown;
  try {
    // (the first document only, as the kubelet's YAML-to-JSON conversion reads)
    doc = yaml.loadAll(text).find((d) => d !== null && d !== undefined);
  } catch (e) {
    throw new ManifestError(`cannot parse the file as YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestError('the file holds no object (want a Pod or a PodList)');
  const o = doc as { apiVersion?: unknown; kind?: unknown; items?: unknown };
  if (o.kind === 'PodList' || o.kind === 'List') {
    if (!Array.isArray(o.items)) throw new ManifestError(`items: Required value: a ${String(o.kind)} needs items`);
    return o.items;
  }
  return [doc];
}

/**
 * One pod of a manifest made into the static pod the agent runs (see the file comment). Throws
 * a ManifestError naming the field when the pod is not one the apiserver would accept.
 */
export function staticPodFrom(obj: unknown, source: string, nodeName: string, seen: () => string = () => new Date().toISOString()): StaticPod {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ManifestError('the item is not an object');
  const raw = structuredClone(obj) as Pod & { apiVersion?: string; kind?: string };
  if (raw.kind !== 'Pod') throw new ManifestError(`kind: Unsupported value: ${JSON.stringify(raw.kind ?? '')}: supported values: "Pod", "PodList"`);
  if (raw.apiVersion !== 'v1') throw new ManifestError(`apiVersion: Unsupported value: ${JSON.stringify(raw.apiVersion ?? '')}: supported values: "v1"`);
  // (unknown fields are ignored, as the kubelet's decoder does; mistyped ones are errors)
  const typeErrs = decodeStrict('Pod', raw).filter((e) => e.type !== 'FieldValueUnknown');
  if (typeErrs.length) throw new ManifestError(fieldErrors(typeErrs));
  // Static pods tolerate every NoExecute taint, so node problems do not evict them (and so they
  // get none of the apiserver's not-ready/unreachable tolerations).
  const tolerations = ((raw.spec ??= {}).tolerations ??= []);
  if (!tolerations.some((t) => !t.key && t.operator === 'Exists' && t.effect === 'NoExecute')) tolerations.push({ operator: 'Exists', effect: 'NoExecute' });
  const pod = defaultPod(raw) as Pod & { status?: unknown };
  delete pod.status;
  const meta = (pod.metadata ??= {});
  if (!meta.name) throw new ManifestError('metadata.name: Required value: name or generateName is required');
  const hash = createHash('md5').update(canonicalJSON(pod)).update(`host:${nodeName}`).update(`file:${source}`).digest('hex');
  meta.uid ||= hash;
  meta.name = staticPodName(meta.name, nodeName);
  meta.namespace ||= 'default';
  pod.spec!.nodeName = nodeName;
  meta.annotations = { ...meta.annotations, [ANN_CONFIG_HASH]: meta.uid, [ANN_CONFIG_SOURCE]: 'file', [ANN_CONFIG_SEEN]: seen() };
  const errs = validatePodCreate(pod);
  if (errs.length) throw new ManifestError(fieldErrors(errs));
  return { pod, source, hash: meta.uid, contentHash: hash };
}

/** A whole file's static pods; ManifestError when the file (or any pod in it) is not valid, as the kubelet skips such a file whole. */
export function readManifest(text: string, source: string, nodeName: string, seen?: () => string): StaticPod[] {
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) throw new ManifestError(`the file is larger than ${MAX_MANIFEST_BYTES} bytes`);
  return decodeManifest(text).map((o, i, all) => {
    try {
      return staticPodFrom(o, source, nodeName, seen);
    } catch (e) {
      if (all.length > 1 && e instanceof ManifestError) throw new ManifestError(`items[${i}]: ${e.message}`);
      throw e;
    }
  });
}
