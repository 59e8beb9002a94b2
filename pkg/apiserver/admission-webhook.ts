// Dynamic admission: kube-apiserver's MutatingAdmissionWebhook and ValidatingAdmissionWebhook.
// Every write meets the webhooks whose rules, namespaceSelector and objectSelector match it; each
// is POSTed an admission.k8s.io AdmissionReview over HTTPS (verified with its caBundle), at its
// URL or at a ready endpoint of its Service (the apiserver routes to endpoints itself, as with
// --enable-aggregator-routing). Mutating webhooks run one after another and may answer with a
// JSONPatch; validating webhooks run together and may only refuse. A call that fails is an
// error under failurePolicy Fail and is passed over under Ignore. CEL matchConditions (object,
// oldObject, request) narrow which requests a webhook is asked about.
import { randomUUID } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import type { KubeObject, LabelSelector, MutatingWebhook, MutatingWebhookConfiguration, RuleWithOperations, ValidatingWebhook, ValidatingWebhookConfiguration } from '../api/types.js';
import { applyJsonPatch } from '../api/patch.js';
import { labelSelectorFromObject, matchesLabelSelector } from '../api/selectors.js';
import { REVIEW_VERSIONS } from '../api/validation-admissionregistration.js';
import { matchConditionsHold } from '../api/match-conditions.js';
import { isObject } from '../api/json-object.js';
import { logger } from '../util/log.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import { admissionForbidden, ApiError } from './errors.js';
import { serviceUpstream } from './rest/proxy.js';
import { addWebhookTime, observeWebhook, type WebhookType } from './admission-metrics.js';

const log = logger('admission-webhook');

type Webhook = ValidatingWebhook | MutatingWebhook;

export interface WebhookAccess {
  validating(): ValidatingWebhookConfiguration[];
  mutating(): MutatingWebhookConfiguration[];
  /** A namespace's labels (undefined: no such namespace). */
  namespaceLabels(name: string): Promise<Record<string, string> | undefined>;
  service(namespace: string, name: string): Promise<KubeObject | undefined>;
  endpoints(namespace: string, name: string): Promise<KubeObject | undefined>;
}

/** Resources webhooks and policies are never asked about, so that a broken one cannot lock its own repair out. */
export const EXEMPT = new Set(['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']);

const matchesList = (list: string[] | undefined, value: string) => (list ?? []).some((x) => x === '*' || x === value);

function resourceMatches(patterns: string[] | undefined, resource: string, subresource: string | undefined): boolean {
  const want = subresource ? `${resource}/${subresource}` : resource;
  return (patterns ?? []).some((p) => {
    if (p === '*/*') return true;
    if (p === want) return true;
    const [r, s] = p.split('/');
    if (s === undefined) return p === '*' && !subresource;
    return (r === '*' || r === resource) && (s === '*' || s === subresource);
  });
}

export function ruleMatches(rule: RuleWithOperations, req: Pick<AdmissionRequest, 'operation' | 'resource' | 'subresource'>): boolean {
  if (!(rule.operations ?? []).some((o) => o === '*' || o === req.operation)) return false;
  if (!matchesList(rule.apiGroups, req.resource.group) || !matchesList(rule.apiVersions, req.resource.version)) return false;
  if (!resourceMatches(rule.resources, req.resource.name, req.subresource)) return false;
  const scope = rule.scope ?? '*';
  return scope === '*' || (scope === 'Namespaced') === req.resource.namespaced;
}

/** The selectors of a webhook, or of a ValidatingAdmissionPolicy's or binding's matchResources. */
export interface Selectors {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

/**
 * Whether a request's object and namespace match the selectors, as kube's generic matcher says:
 * the object (or the old one) by its labels, a Namespace by its own labels, other cluster-scoped
 * objects by any namespaceSelector.
 */
export async function selectorsMatch(w: Selectors, req: AdmissionRequest, namespaceLabels: WebhookAccess['namespaceLabels']): Promise<boolean> {
  const objSel = labelSelectorFromObject(w.objectSelector ?? {});
  const labelsOf = (o: KubeObject | undefined) => o?.metadata?.labels ?? {};
  // (an object that is not there, the new one of a DELETE, matches nothing, as in kube)
  if (!(req.obj && matchesLabelSelector(objSel, labelsOf(req.obj))) && !(req.old && matchesLabelSelector(objSel, labelsOf(req.old)))) return false;
  const nsSel = w.namespaceSelector ?? {};
  if (!(nsSel.matchLabels && Object.keys(nsSel.matchLabels).length) && !nsSel.matchExpressions?.length) return true;
  // A Namespace is matched by its own labels; other cluster-scoped objects never by namespace.
  let labels: Record<string, string> | undefined;
  if (req.resource.name === 'namespaces' && !req.subresource) labels = labelsOf(req.obj ?? req.old);
  else if (!req.resource.namespaced || !req.namespace) return true;
  else labels = (await namespaceLabels(req.namespace)) ?? {};
  return matchesLabelSelector(labelSelectorFromObject(nsSel), labels);
}

/** Whether a webhook is asked about this request: rules, selectors, then its CEL matchConditions. */
async function webhookMatches(w: Webhook, req: AdmissionRequest, access: WebhookAccess): Promise<boolean> {
  if (!(w.rules ?? []).some((r) => ruleMatches(r, req)) || !(await selectorsMatch(w, req, access.namespaceLabels))) return false;
  const conditions = w.matchConditions ?? [];
  if (!conditions.length) return true;
  try {
    const request = celRequest(req);
    return matchConditionsHold(conditions, { object: request.object, oldObject: request.oldObject, request });
  } catch (e) {
    const why = (e as Error).message;
    // An expression that cannot be evaluated: the webhook is passed over under Ignore, the request refused under Fail.
    if ((w.failurePolicy ?? 'Fail') === 'Ignore') {
      log.warn('match conditions failed to evaluate, webhook skipped (failurePolicy Ignore)', { webhook: w.name, err: why });
      return false;
    }
    throw admissionForbidden(req.resource.group, req.resource.name, req.name || req.obj?.metadata?.name, `failed calling webhook "${w.name ?? ''}": error evaluating match conditions: ${why}`);
  }
}

interface ReviewResponse {
  uid?: string;
  allowed?: boolean;
  status?: { code?: number; message?: string; reason?: string };
  patch?: string;
  patchType?: string;
  warnings?: string[];
}

/** The AdmissionRequest as CEL expressions see it (`request`). */
export const celRequest = (req: AdmissionRequest): Record<string, unknown> => reviewRequest(req, 'v1', '').request as Record<string, unknown>;

/**
 * A CONNECT's kind: its options' (PodExecOptions, PodAttachOptions, PodPortForwardOptions,
 * PodProxyOptions, ServiceProxyOptions, NodeProxyOptions), as 1.32's connecter REST New() gives the
 * subresource's kind the request scope names (pkg/registry/core/pod/rest/subresources.go).
 */
function connectKind(req: AdmissionRequest): { group: string; version: string; kind: string } | undefined {
  if (req.operation !== 'CONNECT' || typeof req.obj?.kind !== 'string') return undefined;
  const [group, version] = (req.obj.apiVersion ?? 'v1').includes('/') ? (req.obj.apiVersion ?? '').split('/') : ['', req.obj.apiVersion ?? 'v1'];
  return { group: group!, version: version!, kind: req.obj.kind };
}

/** The AdmissionReview request kube-apiserver sends (admission.k8s.io/v1). */
function reviewRequest(req: AdmissionRequest, version: string, uid: string): Record<string, unknown> {
  const r = req.resource;
  const optionsKind = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions', CONNECT: '' }[req.operation];
  const options = optionsKind ? { apiVersion: 'meta.k8s.io/v1', kind: optionsKind } : null;
  const user = req.ctx.user;
  const kind = req.kind ?? connectKind(req) ?? { group: r.group, version: r.version, kind: r.kind };
  return {
    apiVersion: `admission.k8s.io/${version}`,
    kind: 'AdmissionReview',
    request: {
      uid,
      kind,
      resource: { group: r.group, version: r.version, resource: r.name },
      ...(req.subresource ? { subResource: req.subresource } : {}),
      requestKind: kind,
      requestResource: { group: r.group, version: r.version, resource: r.name },
      ...(req.subresource ? { requestSubResource: req.subresource } : {}),
      name: req.name || (req.operation === 'CONNECT' ? '' : req.obj?.metadata?.name) || '',
      ...(req.namespace ? { namespace: req.namespace } : {}),
      operation: req.operation,
      userInfo: { username: user?.name ?? '', ...(user?.uid ? { uid: user.uid } : {}), groups: user?.groups ?? [], ...(user?.extra ? { extra: user.extra } : {}) },
      object: req.operation === 'DELETE' ? null : (req.obj ?? null),
      oldObject: req.operation === 'CREATE' || req.operation === 'CONNECT' ? null : (req.old ?? null),
      dryRun: req.ctx.dryRun,
      options,
    },
  };
}

/** A warning as it can go out in a Warning header: printable Latin-1 only, bounded, as kube truncates them. */
export const headerSafe = (m: string): string => m.replace(/[^\x20-\x7e\xa0-\xff]/g, '?').slice(0, 512);

const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;
const callFailed = (name: string, why: string) => new ApiError(500, 'InternalError', `Internal error occurred: failed calling webhook "${name}": ${why}`);

/** Where a webhook is reached: its URL, or a ready endpoint of its Service with the Service's DNS name for TLS. */
async function target(w: Webhook, access: WebhookAccess): Promise<{ url: URL; host: string; port: number; servername: string }> {
  const cc = w.clientConfig!;
  if (cc.url) {
    const url = new URL(cc.url);
    return { url, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 443), servername: url.hostname };
  }
  const s = cc.service!;
  const ns = s.namespace ?? '';
  const name = s.name ?? '';
  const dns = `${name}.${ns}.svc`;
  const url = new URL(`https://${dns}:${s.port ?? 443}${s.path || '/'}`);
  const svc = await access.service(ns, name);
  if (!svc) throw new Error(`service "${ns}/${name}" not found`);
  const svcPort = (svc.spec as { ports?: { port: number; name?: string }[] } | undefined)?.ports?.find((p) => p.port === (s.port ?? 443));
  if (!svcPort) throw new Error(`service "${ns}/${name}" has no port ${s.port ?? 443}`);
  const up = serviceUpstream(svc, await access.endpoints(ns, name), { resource: 'services', namespace: ns, name, scheme: 'https', port: String(svcPort.port), path: '/' }, Math.random, true);
  return { url, host: up.host, port: up.port, servername: dns };
}

/** apimachinery's NewGenericServerResponse words for an answer's status code, by code. */
const GENERIC_RESPONSE: Record<number, string | ((server: string) => string)> = {
  409: 'the server reported a conflict',
  404: 'the server could not find the requested resource',
  400: 'the server rejected our request for an unknown reason',
  401: 'the server has asked for the client to provide credentials',
  403: (server) => server,
  406: (server) => (server === '' || server === 'unknown' ? 'the server was unable to respond with a content type that the client supports' : server),
  415: (server) => server,
  405: 'the server does not allow this method on the requested resource',
  422: 'the server rejected our request due to an error in our request',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  429: 'the server has received too many requests and has asked us to try again later',
};

/**
 * The StatusError client-go's Request makes of a webhook's answer outside 2xx (transformResponse,
 * Result.Error), as its code and message: the answer's own when its body is a metav1.Status of
 * status Failure, else the HTTP status with NewGenericServerResponse's words, which quote a text
 * body (its first 2048 bytes, trimmed; any other body is "unknown"). The dispatchers count the
 * call by that code and refuse with that message (ErrCallingWebhook).
 */
export function answeredError(httpStatus: number, contentType: string | undefined, body: string): { code: number; message: string } {
  try {
    const s: unknown = JSON.parse(body);
    if (isObject(s) && s.status === 'Failure') return { code: typeof s.code === 'number' ? s.code : 0, message: typeof s.message === 'string' ? s.message : '' };
  } catch {
    // not a Status
  }
  const server = /^text\//i.test(contentType ?? '') ? Buffer.from(body).subarray(0, 2048).toString().trim() : 'unknown';
  const words = GENERIC_RESPONSE[httpStatus];
  const message =
    typeof words === 'function' ? words(server)
    : words ?? (httpStatus >= 500 ? `an error on the server (${JSON.stringify(server)}) has prevented the request from succeeding` : `the server responded with the status code ${httpStatus} but did not return more information`);
  return { code: httpStatus, message };
}

/** POSTs the review and returns the webhook's response (throws with the reason the call failed, and the answer's code when it came with one). */
async function call(w: Webhook, req: AdmissionRequest, access: WebhookAccess): Promise<ReviewResponse> {
  const version = (w.admissionReviewVersions ?? []).find((v) => REVIEW_VERSIONS.includes(v)) ?? 'v1';
  const uid = randomUUID();
  const body = JSON.stringify(reviewRequest(req, version, uid));
  const t = await target(w, access);
  const timeoutSec = w.timeoutSeconds ?? 10;
  const ca = w.clientConfig?.caBundle ? Buffer.from(w.clientConfig.caBundle as unknown as string, 'base64').toString() : undefined;
  const path = `${t.url.pathname}?timeout=${timeoutSec}s`;
  const where = `Post "${t.url.origin}${path}"`;
  const text = await new Promise<string>((resolve, reject) => {
    // The whole call, not only each idle spell, is bounded by timeoutSeconds; the reply by 3 MB.
    const deadline = setTimeout(() => r.destroy(new Error('context deadline exceeded')), timeoutSec * 1000);
    const r = httpsRequest(
      { host: t.host, port: t.port, servername: t.servername, path, method: 'POST', ca, headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) r.destroy(new Error(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('end', () => {
          const t = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 0) >= 300) {
            const answer = answeredError(res.statusCode ?? 0, res.headers['content-type'], t);
            reject(Object.assign(new Error(`failed to call webhook: ${answer.message}`), { code: answer.code }));
          } else resolve(t);
        });
        res.on('error', (e) => reject(new Error(`${where}: ${e.message}`)));
      },
    );
    r.on('close', () => clearTimeout(deadline));
    r.on('error', (e) => reject(new Error(`failed to call webhook: ${where}: ${e.message}`)));
    r.end(body);
  });
  let review: { response?: ReviewResponse };
  try {
    review = JSON.parse(text) as { response?: ReviewResponse };
  } catch {
    throw new Error('received invalid webhook response: the body is not JSON');
  }
  const res = review.response;
  if (!res) throw new Error('received invalid webhook response: response is not set');
  if (res.uid !== uid) throw new Error(`received invalid webhook response: expected response.uid="${uid}", got "${res.uid ?? ''}"`);
  return res;
}

/** kube's ToStatusErr: a refusal is at least a 400, and says which webhook refused. */
function denied(name: string, res: ReviewResponse): ApiError {
  const s = res.status ?? {};
  const by = `admission webhook "${name}" denied the request`;
  const message = s.message ? `${by}: ${s.message}` : s.reason ? `${by}: ${s.reason}` : `${by} without explanation`;
  // (a code that is not an HTTP error code would break the reply: 400 then, as for < 400 in kube)
  const code = Number.isInteger(s.code) && s.code! >= 400 && s.code! <= 599 ? s.code! : 400;
  return new ApiError(code, typeof s.reason === 'string' ? s.reason : '', String(message));
}

/**
 * Calls one webhook; returns its response, or undefined when it failed and may be ignored. Each
 * call is counted and timed as the dispatchers observe it: a refusal with its code, a failed call
 * as 503 (ErrCallingWebhook's ServiceUnavailable), rejecting or failing open by its policy.
 */
async function invoke(w: Webhook, req: AdmissionRequest, access: WebhookAccess, type: WebhookType): Promise<ReviewResponse | undefined> {
  if (req.ctx.dryRun && w.sideEffects !== 'None' && w.sideEffects !== 'NoneOnDryRun') {
    throw new ApiError(400, 'BadRequest', `admission webhook "${w.name}" does not support dry run`);
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const res = await call(w, req, access);
    for (const m of Array.isArray(res.warnings) ? res.warnings.slice(0, 20) : []) req.ctx.warnings.push(headerSafe(String(m)));
    observeWebhook(w.name ?? '', type, req.operation, seconds(), { answered: true, rejected: !res.allowed, code: res.allowed ? 200 : denied(w.name ?? '', res).code });
    if (type === 'admit') addWebhookTime(req.ctx, seconds());
    return res;
  } catch (e) {
    const why = (e as Error).message;
    const ignore = (w.failurePolicy ?? 'Fail') === 'Ignore';
    // (ErrCallingWebhook's Status: the webhook's answer's StatusError, else ServiceUnavailable)
    const code = (e as { code?: unknown }).code;
    observeWebhook(w.name ?? '', type, req.operation, seconds(), { answered: false, rejected: !ignore, code: typeof code === 'number' ? code : 503 });
    if (type === 'admit') addWebhookTime(req.ctx, seconds());
    if (ignore) {
      log.warn('webhook call failed, ignored (failurePolicy Ignore)', { webhook: w.name, err: why });
      return undefined;
    }
    log.warn('webhook call failed', { webhook: w.name, err: why });
    throw callFailed(w.name ?? '', why);
  }
}

/** Server-owned metadata a webhook's patch may not change (silently kept, as kube's strategies reset them). */
const SERVER_META = ['uid', 'creationTimestamp', 'resourceVersion', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields'] as const;

/**
 * Puts a webhook's patched object into the request's object, in place (the store holds on to
 * the object and its metadata). The identity stays: a patch renaming the object is refused,
 * server-owned metadata is kept; a write to the main resource keeps the stored status of a
 * resource with a status subresource, and one to a subresource keeps everything else, unless the
 * object is of the subresource's own kind (a Scale).
 */
export function takePatched(req: AdmissionRequest, next: unknown, webhook: string): void {
  const obj = req.obj!;
  if (!isObject(next) || !isObject(next.metadata)) throw callFailed(webhook, 'the patched object is not an object with metadata');
  const meta = (obj.metadata ??= {}) as Record<string, unknown>;
  const nextMeta = next.metadata;
  for (const f of ['name', 'namespace', 'generateName'] as const) {
    if ((nextMeta[f] ?? '') !== (meta[f] ?? '')) throw new ApiError(400, 'BadRequest', `admission webhook "${webhook}" may not change metadata.${f}`);
  }
  for (const f of SERVER_META) {
    if (meta[f] === undefined) delete nextMeta[f];
    else nextMeta[f] = meta[f];
  }
  // (an object of the subresource's own kind, a Scale or an Eviction, is the webhook's to change)
  const kept = req.kind
    ? []
    : req.subresource
    ? Object.keys(obj).filter((k) => !(req.subresource === 'status' && k === 'status'))
    : req.resource.writable.status ? ['status'] : [];
  for (const k of kept) {
    if (k === 'metadata') continue;
    if ((obj as Record<string, unknown>)[k] === undefined) delete next[k];
    else next[k] = (obj as Record<string, unknown>)[k];
  }
  // (through a subresource the metadata stays as it was, as the rest of the object does)
  if (!req.subresource) {
    for (const k of Object.keys(meta)) delete meta[k];
    Object.assign(meta, nextMeta);
  }
  for (const k of Object.keys(obj)) if (k !== 'metadata' && !(k in next)) delete (obj as Record<string, unknown>)[k];
  for (const [k, v] of Object.entries(next)) if (k !== 'metadata') (obj as Record<string, unknown>)[k] = v;
}

async function mutate(req: AdmissionRequest, access: WebhookAccess): Promise<void> {
  const hooks: MutatingWebhook[] = [];
  // configurations by name, then their webhooks in order, as kube-apiserver sorts them
  for (const c of [...access.mutating()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) hooks.push(...(c.webhooks ?? []));
  if (!hooks.length) return;
  const run = async (w: MutatingWebhook): Promise<boolean> => {
    if (!(await webhookMatches(w, req, access))) return false;
    const res = await invoke(w, req, access, 'admit');
    if (!res) return false;
    if (!res.allowed) throw denied(w.name ?? '', res);
    if (!res.patch) return false;
    if (res.patchType !== 'JSONPatch') throw callFailed(w.name ?? '', `unsupported patch type "${res.patchType ?? ''}"`);
    if (!req.obj) return false;
    let ops: unknown;
    let next: unknown;
    const before = JSON.stringify(req.obj);
    try {
      ops = JSON.parse(Buffer.from(res.patch, 'base64').toString());
      next = applyJsonPatch(req.obj, ops as unknown[]);
    } catch (e) {
      throw callFailed(w.name ?? '', `the patch could not be applied: ${(e as Error).message}`);
    }
    takePatched(req, next, w.name ?? '');
    return JSON.stringify(req.obj) !== before;
  };
  let lastChange = -1;
  for (let i = 0; i < hooks.length; i++) if (await run(hooks[i]!)) lastChange = i;
  // reinvocationPolicy IfNeeded: once more, for those that ran before a later webhook's change
  if (lastChange > 0) for (let i = 0; i < lastChange; i++) if (hooks[i]!.reinvocationPolicy === 'IfNeeded') await run(hooks[i]!);
}

async function validate(req: AdmissionRequest, access: WebhookAccess): Promise<void> {
  const hooks = access.validating().flatMap((c) => c.webhooks ?? []);
  if (!hooks.length) return;
  const matching = (await Promise.all(hooks.map(async (w) => ((await webhookMatches(w, req, access)) ? w : undefined)))).filter((w): w is ValidatingWebhook => !!w);
  if (!matching.length) return;
  // (called together: their time is the longest call's, as the ValidatingWebhookTracker takes it)
  const started = performance.now();
  const results = await Promise.allSettled(matching.map(async (w) => ({ w, res: await invoke(w, req, access, 'validating') })));
  addWebhookTime(req.ctx, (performance.now() - started) / 1000);
  for (const r of results) {
    if (r.status === 'rejected') throw r.reason;
    if (r.value.res && !r.value.res.allowed) throw denied(r.value.w.name ?? '', r.value.res);
  }
}

/**
 * CONNECT (exec, attach, port-forward, proxy), as kube-apiserver asks about it: every matching
 * webhook, mutating ones first, and every matching ValidatingAdmissionPolicy may refuse; there is no object to patch (the options are sent).
 */
export async function admitConnect(req: AdmissionRequest, access: WebhookAccess, policies?: AdmissionPlugin): Promise<void> {
  for (const c of [...access.mutating()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))) {
    for (const w of c.webhooks ?? []) {
      if (!(await webhookMatches(w, req, access))) continue;
      const res = await invoke(w, req, access, 'admit');
      if (res && !res.allowed) throw denied(w.name ?? '', res);
    }
  }
  // (ValidatingAdmissionPolicies between the mutating and the validating webhooks, as kube orders the plugins)
  await policies?.validate?.(req);
  await validate(req, access);
}

/** The webhook admission plugin: mutating webhooks in admit, validating webhooks in validate. */
export function webhookAdmission(access: WebhookAccess): AdmissionPlugin {
  return {
    name: 'AdmissionWebhook',
    resources: ['*'],
    reads: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'namespaces'],
    async admit(req) {
      if (EXEMPT.has(req.resource.name)) return;
      await mutate(req, access);
    },
    async validate(req) {
      if (EXEMPT.has(req.resource.name)) return;
      await validate(req, access);
    },
  };
}
