// GET /containerLogs/NAMESPACE/POD/CONTAINER as the kubelet's getContainerLogs reads it, before
// any container's state is looked at: the legacy `tail` parameter, then the query as a v1
// PodLogOptions (400 when it does not decode, 422 when ValidatePodLogOptions refuses it), then
// the pod (404) and the container in its spec (404). The apiserver checks all of these before it
// proxies pods/log, so these answers are what a caller of nodes/NAME/proxy/containerLogs sees.
import type { PodSpec } from '../api/types.js';
import { parsePodLogOptions, validatePodLogOptions, type PodLogOptions } from '../api/pod-log-options.js';

/** What the request reads: its options and the pod's holder (the pod worker), or a refusal. */
export type ContainerLogsRequest<W> = { ok: true; options: PodLogOptions; holder: W } | { ok: false; code: number; body: string };

/** The request's options, or the kubelet's refusal (its code and its plain-text body); `holder` has the pod, if this node has it. */
export function readContainerLogsRequest<W extends { pod: { spec?: PodSpec } }>(query: URLSearchParams, podName: string, container: string, holder: W | undefined): ContainerLogsRequest<W> {
  const q = new URLSearchParams(query);
  // (backwards compatibility: `tail` stands for tailLines, and "all" for no limit)
  const tail = q.get('tail');
  if (tail) {
    if (tail === 'all') q.delete('tailLines');
    else q.set('tailLines', tail);
  }
  let options: PodLogOptions;
  try {
    options = parsePodLogOptions(q);
  } catch {
    // (the kubelet's own words, JSON-looking text in a plain-text answer)
    return { ok: false, code: 400, body: '{"message": "Unable to decode query."}' };
  }
  if (validatePodLogOptions(options).length) return { ok: false, code: 422, body: '{"message": "Invalid request."}' };
  const spec = holder?.pod.spec;
  if (!holder || !spec) return { ok: false, code: 404, body: `pod ${JSON.stringify(podName)} does not exist` };
  // (GetContainerSpec: app, init and ephemeral containers alike)
  const names = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name);
  if (!names.includes(container)) return { ok: false, code: 404, body: `container ${JSON.stringify(container)} not found in pod ${JSON.stringify(podName)}` };
  return { ok: true, options, holder };
}
