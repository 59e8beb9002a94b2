// tsctl apply: create what is missing, patch what exists. Like kubectl's client-side apply it
// keeps the last applied configuration in an annotation and removes map keys that were
// applied before but are gone from the manifest; lists merge by their keys on the server.
import type { KubeObject } from '../api/types.js';
import { RestClient, StatusError } from '../client/rest-client.js';
import type { Manifest } from './manifests.js';
import { kindAndGroup } from './output.js';
import { Discovery } from './resources.js';

export const lastAppliedKey = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Map keys present in `last` but absent from `next`, as null (a deletion in a merge patch). */
export function deletions(last: Json | undefined, next: Json | undefined): Json | undefined {
  if (!isMap(last) || !isMap(next)) return undefined;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(last)) {
    if (!(k in next)) out[k] = null;
    else {
      const d = deletions(v, next[k]);
      if (d !== undefined) out[k] = d;
    }
  }
  return Object.keys(out).length ? out : undefined;
}

const isMap = (v: unknown): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);

function mergeInto(target: { [k: string]: Json }, extra: Json | undefined): void {
  if (!isMap(extra)) return;
  for (const [k, v] of Object.entries(extra)) {
    if (isMap(v) && isMap(target[k])) mergeInto(target[k] as { [k: string]: Json }, v);
    else if (!(k in target)) target[k] = v;
  }
}

export interface ApplyResult {
  ref: string;
  action: 'created' | 'configured' | 'unchanged';
}

export async function applyOne(client: RestClient, disco: Discovery, m: Manifest, defaultNs: string, fieldValidation = 'Strict'): Promise<ApplyResult> {
  const obj = structuredClone(m.obj);
  const r = await disco.forKind(obj.apiVersion!, obj.kind!);
  const name = obj.metadata?.name;
  if (!name) throw new Error(`error validating ${m.where}: metadata.name: Required value`);
  const ns = r.namespaced ? (obj.metadata?.namespace ?? defaultNs) : undefined;
  if (r.namespaced) obj.metadata = { ...obj.metadata, namespace: ns };
  // (as kubectl's name printer says it: deployment.apps/web, pod/x)
  const ref = `${kindAndGroup(r.apiVersion, r.kind)}/${name}`;
  const applied = JSON.stringify(m.obj);
  obj.metadata = { ...obj.metadata, annotations: { ...(obj.metadata?.annotations ?? {}), [lastAppliedKey]: applied + '\n' } };
  let current: KubeObject | undefined;
  try {
    current = await client.get(r, ns, name);
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
  }
  if (!current) {
    await client.create(r, ns, obj, { fieldValidation, fieldManager: 'kubectl-client-side-apply' });
    return { ref, action: 'created' };
  }
  const lastText = current.metadata?.annotations?.[lastAppliedKey];
  let last: Json | undefined;
  try {
    last = lastText ? (JSON.parse(lastText) as Json) : undefined;
  } catch {
    last = undefined;
  }
  const patch = structuredClone(obj) as unknown as { [k: string]: Json };
  mergeInto(patch, deletions(last, m.obj as unknown as Json));
  const before = current.metadata?.resourceVersion;
  const after = await client.request<KubeObject>(client.path(r, ns, name), {
    method: 'PATCH',
    body: patch,
    contentType: 'application/strategic-merge-patch+json',
    query: { fieldValidation, fieldManager: 'kubectl-client-side-apply' },
  });
  return { ref, action: after.metadata?.resourceVersion === before ? 'unchanged' : 'configured' };
}
