// tsctl apply: create what is missing, patch what exists. Like kubectl's client-side apply it
// keeps the last applied configuration in an annotation (written as kubectl writes it, so that
// either tool sees the other's as its own) and removes map keys that were applied before but are
// gone from the manifest; lists merge by their keys on the server. An object that already has
// everything the manifest says is left alone and "unchanged", as kubectl sends no patch when its
// three-way patch is empty.
import type { KubeObject } from '../api/types.js';
import { isNotFound, RestClient, StatusError } from '../client/rest-client.js';
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

/**
 * The last-applied-configuration annotation's value as kubectl's GetModifiedConfiguration writes
 * it: the object as applied (its namespace set, its annotations without this one, an empty map
 * if none) encoded as Go's json.Marshal encodes an unstructured object (keys sorted, <, > and &
 * escaped as \u003c, \u003e and \u0026), then a newline as its json.Encoder ends it.
 */
export function lastAppliedConfiguration(obj: KubeObject): string {
  const { [lastAppliedKey]: _, ...annotations } = obj.metadata?.annotations ?? {};
  const applied = { ...obj, metadata: { ...obj.metadata, annotations } };
  return goJson(applied as unknown as Json) + '\n';
}

/** json.Marshal of a decoded JSON value: map keys sorted by their bytes, HTML characters and U+2028/9 escaped. */
function goJson(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${keys.map((k) => `${goString(k)}:${goJson(v[k]!)}`).join(',')}}`;
  }
  return typeof v === 'string' ? goString(v) : JSON.stringify(v);
}

const goString = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * Whether `current` already has every value `want` sets, so that a patch of `want` would change
 * nothing: maps by their keys, lists element by element (of the same length), and scalars equal
 * as written (a quantity written "0.5" is not the stored "500m", and kubectl says configured).
 */
export function alreadyHas(current: Json | undefined, want: Json): boolean {
  if (want === null) return current === undefined || current === null;
  if (Array.isArray(want)) return Array.isArray(current) && current.length === want.length && want.every((w, i) => alreadyHas(current[i], w));
  if (isMap(want)) return isMap(current) && Object.entries(want).every(([k, w]) => alreadyHas(current[k], w));
  return current === want;
}

export interface ApplyResult {
  ref: string;
  action: 'created' | 'configured' | 'unchanged';
}

/**
 * kubectl apply's warning for an object it did not create (warningNoLastAppliedConfigAnnotation),
 * word for word: the annotation is kubectl's, and tsctl has no create --save-config to advise.
 */
export const missingLastAppliedWarning = (resource: string, name: string) =>
  `Warning: resource ${resource}/${name} is missing the ${lastAppliedKey} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.\n`;

/**
 * Applies one manifest. `enforceNamespace` (-n given) refuses a namespaced object whose own
 * namespace is another, as kubectl's builder (SetNamespace) does, instead of applying it there.
 */
export async function applyOne(client: RestClient, disco: Discovery, m: Manifest, defaultNs: string, fieldValidation = 'Strict', warn: (s: string) => void = () => {}, enforceNamespace = false): Promise<ApplyResult> {
  const obj = structuredClone(m.obj);
  const name = obj.metadata?.name;
  const r = await disco.forKind(obj.apiVersion!, obj.kind!).catch((e: unknown) => {
    if (e instanceof StatusError) throw e;
    // (kubectl's builder, for a kind no API serves: the object's own namespace, empty if it has none)
    throw new Error(`resource mapping not found for name: ${JSON.stringify(name ?? '')} namespace: ${JSON.stringify(obj.metadata?.namespace ?? '')} from ${JSON.stringify(m.source)}: ${(e as Error).message}\nensure CRDs are installed first`);
  });
  if (!name) throw new Error(`error validating ${m.where}: metadata.name: Required value`);
  const own = obj.metadata?.namespace;
  if (r.namespaced && enforceNamespace && own && own !== defaultNs) {
    throw new Error(`the namespace from the provided object ${JSON.stringify(own)} does not match the namespace ${JSON.stringify(defaultNs)}. You must pass '--namespace=${own}' to perform this operation.`);
  }
  const ns = r.namespaced ? (own || defaultNs) : undefined;
  if (r.namespaced) obj.metadata = { ...obj.metadata, namespace: ns };
  // (as kubectl's name printer says it: deployment.apps/web, pod/x)
  const ref = `${kindAndGroup(r.apiVersion, r.kind)}/${name}`;
  const applied = lastAppliedConfiguration(obj);
  obj.metadata = { ...obj.metadata, annotations: { ...(obj.metadata?.annotations ?? {}), [lastAppliedKey]: applied } };
  // (resource.Info's String(), as kubectl's errors name the object)
  const info = `Resource: "${r.group}/${r.version}, Resource=${r.resource}", GroupVersionKind: "${r.group}/${r.version}, Kind=${r.kind}"\nName: "${name}", Namespace: "${ns ?? ''}"`;
  let current: KubeObject | undefined;
  try {
    current = await client.get(r, ns, name);
  } catch (e) {
    if (!isNotFound(e)) throw withSource(e, `retrieving current configuration of:\n${info}\nfrom server for:`, m.source);
  }
  if (!current) {
    await client.create(r, ns, obj, { fieldValidation, fieldManager: 'kubectl-client-side-apply' }).catch((e: unknown) => {
      throw withSource(e, 'creating', m.source);
    });
    return { ref, action: 'created' };
  }
  const lastText = current.metadata?.annotations?.[lastAppliedKey];
  if (lastText === undefined) warn(missingLastAppliedWarning(r.resource, name));
  let last: Json | undefined;
  try {
    last = lastText ? (JSON.parse(lastText) as Json) : undefined;
  } catch {
    last = undefined;
  }
  const patch = structuredClone(obj) as unknown as { [k: string]: Json };
  // (what was applied before against what is applied now, both as the annotation holds them)
  const removed = deletions(last, JSON.parse(applied) as Json);
  // (kubectl's patch is empty when nothing applied before is gone and the object has the rest)
  if (removed === undefined && alreadyHas(current as unknown as Json, patch)) return { ref, action: 'unchanged' };
  mergeInto(patch, removed);
  await client
    .request<KubeObject>(client.path(r, ns, name), {
      method: 'PATCH',
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      query: { fieldValidation, fieldManager: 'kubectl-client-side-apply' },
    })
    .catch((e: unknown) => {
      // (kubectl names the patch it sent; tsctl's is the whole manifest, not a three-way patch)
      throw withSource(withSource(e, 'patching', m.source), `applying patch:\n${goJson(patch)}\nto:\n${info}\nfor:`, m.source);
    });
  return { ref, action: 'configured' };
}

/**
 * cmdutil.AddSourceToErr: "error when VERB \"FILE\": " before the error's message, a server
 * error staying one (with its reason and details) as kubectl keeps its status.
 */
export function withSource(e: unknown, verb: string, source: string): Error {
  const message = `error when ${verb} ${JSON.stringify(source)}: ${(e as Error).message}`;
  return e instanceof StatusError ? new StatusError(e.code, e.status, message) : new Error(message);
}

/**
 * What kubectl apply prints for the errors of its objects (cmdutil.CheckErr): a lone Invalid
 * error as "The Kind \"name\" is invalid: " and its causes (one on the line, more as a list),
 * any other server error as "Error from server (Reason): message", a local one as "error: ...";
 * several errors each on its line, a local one without the "error: ".
 */
export function applyErrorsText(errors: unknown[]): string {
  if (errors.length === 1) {
    const e = errors[0];
    const details = e instanceof StatusError && e.code === 422 ? (e.status?.details as { kind?: string; name?: string; causes?: { field?: string; message?: string }[] } | undefined) : undefined;
    if (details) {
      const head = details.kind || details.name ? `The ${details.kind ?? ''} ${JSON.stringify(details.name ?? '')} is invalid` : 'The request is invalid';
      // (statusCausesToAggrError: "field: message", each once)
      const causes = [...new Set((details.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`))];
      if (!causes.length) return `${head}\n`;
      return causes.length === 1 ? `${head}: ${causes[0]}\n` : `${head}: \n${causes.map((c) => `* ${c}\n`).join('')}`;
    }
    if (!(e instanceof StatusError)) {
      const msg = (e as Error).message;
      return `${msg.startsWith('error: ') ? msg : `error: ${msg}`}\n`;
    }
  }
  return errors.map((e) => `${e instanceof StatusError ? `Error from server${e.reason ? ` (${e.reason})` : ''}: ${e.message}` : (e as Error).message}\n`).join('');
}
