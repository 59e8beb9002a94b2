// The apiserver's side of API Priority and Fairness, as 1.32 runs it without the queuing:
// - the configuration producer (pkg/registry/flowcontrol/ensurer, the
//   priority-and-fairness-config-producer post-start hook): the mandatory and suggested
//   FlowSchemas and PriorityLevelConfigurations created when missing, a mandatory one's spec
//   always put back, a suggested one's while apf.kubernetes.io/autoupdate-spec allows it;
//   objects annotated for autoupdate that are not bootstrap ones deleted;
// - the configuration consumer's status writes (apf_controller.go): each FlowSchema's Dangling
//   condition, True when its priority level does not exist;
// - classification (apf_filter.go, match.go): the FlowSchema and level a request matches, whose
//   UIDs go back in the X-Kubernetes-PF-FlowSchema-UID and X-Kubernetes-PF-PriorityLevel-UID headers.
import { AUTOUPDATE_ANNOTATION, MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS, SUGGESTED_FLOW_SCHEMAS, SUGGESTED_PRIORITY_LEVELS } from '../api/flowcontrol-bootstrap.js';
import type { FlowSchema, FlowSchemaCondition, FlowSubject, KubeObject, PriorityLevelConfiguration } from '../api/types.js';
import { sameSpec } from '../api/validation-flowcontrol.js';
import { ApiError, isNotFound } from './errors.js';
import type { RequestContext, Store, UserInfo } from './registry/store.js';

/** The manager of the Dangling conditions (the config consumer's field manager). */
export const CONFIG_CONSUMER_FIELD_MANAGER = 'api-priority-and-fairness-config-consumer-v1';
/** The manager of the bootstrap objects' creates and updates (the ensurer's fieldManager). */
export const CONFIG_PRODUCER_FIELD_MANAGER = 'api-priority-and-fairness-config-producer-v1';

export interface FlowcontrolStores {
  flowschemas: Store;
  prioritylevelconfigurations: Store;
}

type Configurable = FlowSchema | PriorityLevelConfiguration;

/** shouldUpdateSpec: the annotation's boolean; without one (or unparsable) only an object never changed since made (generation 1). */
function shouldUpdateSpec(obj: KubeObject): boolean {
  const parsed = parseGoBool(obj.metadata?.annotations?.[AUTOUPDATE_ANNOTATION]);
  return parsed ?? obj.metadata?.generation === 1;
}

/** strconv.ParseBool. */
function parseGoBool(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

async function getOrUndefined(store: Store, name: string): Promise<KubeObject | undefined> {
  try {
    return await store.get(undefined, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/**
 * SpecEqualish: the bootstrap spec (defaults applied: ours are stored with them) equal to the
 * current one; the exempt level's spec.exempt is the admin's to tune (plcSpecEqualish), but must exist.
 */
function specEqualish(bootstrap: Configurable, current: KubeObject): boolean {
  const want = structuredClone(bootstrap.spec) as Record<string, unknown>;
  if (bootstrap.kind === 'PriorityLevelConfiguration' && bootstrap.metadata?.name === 'exempt') {
    const exempt = (current.spec as { exempt?: unknown } | undefined)?.exempt;
    if (!exempt) return false;
    want.exempt = exempt;
  }
  return sameSpec(want, current.spec, bootstrap.kind === 'PriorityLevelConfiguration' ? 'PriorityLevelConfigurationSpec' : 'FlowSchemaSpec');
}

/**
 * EnsureConfiguration with its strategy's ReviseIfNeeded: a missing object is made again; a
 * mandatory one always gets its spec back (alwaysAutoUpdateSpec) and the annotation "true", a
 * suggested one only when shouldUpdateSpec says so, its annotation set to that decision. A
 * concurrent update is left for the next pass.
 */
async function ensureOne(store: Store, bootstrap: Configurable, mandatory: boolean, ctx: () => RequestContext): Promise<void> {
  const name = bootstrap.metadata!.name!;
  const current = await getOrUndefined(store, name);
  if (!current) {
    const obj = structuredClone(bootstrap) as KubeObject;
    obj.metadata = { ...obj.metadata, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
    try {
      await store.create(undefined, obj, ctx());
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
    return;
  }
  const autoUpdateSpec = mandatory || shouldUpdateSpec(current);
  const updateAnnotation = parseGoBool(current.metadata?.annotations?.[AUTOUPDATE_ANNOTATION]) !== autoUpdateSpec;
  const specChanged = autoUpdateSpec && !specEqualish(bootstrap, current);
  if (!updateAnnotation && !specChanged) return;
  const revised = { ...current, ...(specChanged ? { spec: structuredClone(bootstrap.spec) } : {}) } as KubeObject;
  if (updateAnnotation) revised.metadata = { ...revised.metadata, annotations: { ...revised.metadata?.annotations, [AUTOUPDATE_ANNOTATION]: String(autoUpdateSpec) } };
  try {
    await store.update(undefined, name, revised, ctx());
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/**
 * One pass of the configuration producer: levels before schemas (a schema's level exists when it
 * is made), mandatory then suggested, then the objects it once made and no longer knows removed.
 */
export async function ensureFlowcontrolConfiguration(stores: FlowcontrolStores, ctx: () => RequestContext): Promise<void> {
  const producer = () => ({ ...ctx(), fieldManager: CONFIG_PRODUCER_FIELD_MANAGER });
  for (const pl of MANDATORY_PRIORITY_LEVELS) await ensureOne(stores.prioritylevelconfigurations, pl, true, producer);
  for (const fs of MANDATORY_FLOW_SCHEMAS) await ensureOne(stores.flowschemas, fs, true, producer);
  for (const pl of SUGGESTED_PRIORITY_LEVELS) await ensureOne(stores.prioritylevelconfigurations, pl, false, producer);
  for (const fs of SUGGESTED_FLOW_SCHEMAS) await ensureOne(stores.flowschemas, fs, false, producer);
  await removeUnwanted(stores.flowschemas, BOOTSTRAP_FS, ctx);
  await removeUnwanted(stores.prioritylevelconfigurations, BOOTSTRAP_PL, ctx);
}

const BOOTSTRAP_FS = new Set([...MANDATORY_FLOW_SCHEMAS, ...SUGGESTED_FLOW_SCHEMAS].map((o) => o.metadata!.name!));
const BOOTSTRAP_PL = new Set([...MANDATORY_PRIORITY_LEVELS, ...SUGGESTED_PRIORITY_LEVELS].map((o) => o.metadata!.name!));

/** RemoveUnwantedObjects: objects whose autoupdate annotation parses true and that are not bootstrap ones are deleted. */
async function removeUnwanted(store: Store, wanted: Set<string>, ctx: () => RequestContext): Promise<void> {
  for (const obj of cached(store)) {
    const name = obj.metadata!.name!;
    if (wanted.has(name) || parseGoBool(obj.metadata?.annotations?.[AUTOUPDATE_ANNOTATION]) !== true) continue;
    await store.delete(undefined, name, {}, ctx()).catch(ignoreNotFound);
  }
}

const ignoreNotFound = (e: unknown) => {
  if (!isNotFound(e)) throw e;
};

const cached = (store: Store): KubeObject[] => store.cache.list({ keyPrefix: store.prefix, matches: () => true }).items.map((raw) => raw.obj);

/** The Dangling condition a FlowSchema should carry (apf_controller.go's digestConfigObjects). */
export function danglingCondition(fs: FlowSchema, levels: Set<string>): Omit<FlowSchemaCondition, 'lastTransitionTime'> {
  const level = fs.spec?.priorityLevelConfiguration?.name ?? '';
  return levels.has(level)
    ? { type: 'Dangling', status: 'False', reason: 'Found', message: 'This FlowSchema references an existing PriorityLevelConfiguration object' }
    : { type: 'Dangling', status: 'True', reason: 'NotFound', message: `This FlowSchema references the PriorityLevelConfiguration object named "${level}" but there is no such object` };
}

/** Each FlowSchema's Dangling condition brought up to date through flowschemas/status. */
export async function updateDanglingConditions(stores: FlowcontrolStores, ctx: () => RequestContext, now: () => string): Promise<void> {
  const levels = new Set(cached(stores.prioritylevelconfigurations).map((p) => p.metadata!.name!));
  for (const fs of cached(stores.flowschemas) as FlowSchema[]) {
    const want = danglingCondition(fs, levels);
    const conditions = fs.status?.conditions ?? [];
    const have = conditions.find((c) => c.type === 'Dangling');
    if (have && have.status === want.status && have.reason === want.reason && have.message === want.message) continue;
    // (digestConfigObjects writes a new condition, time now, when its status, reason or message differ)
    const condition: FlowSchemaCondition = { ...want, lastTransitionTime: now() };
    const status = { conditions: [...conditions.filter((c) => c.type !== 'Dangling'), condition] };
    try {
      await stores.flowschemas.update(undefined, fs.metadata!.name!, { ...fs, status } as KubeObject, { ...ctx(), fieldManager: CONFIG_CONSUMER_FIELD_MANAGER }, 'status');
    } catch (e) {
      // (a newer version or a deletion: the next pass sees it)
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  }
}

/** What APF classifies a request by (its RequestDigest). */
export interface FlowRequest {
  user: UserInfo;
  /** The RequestInfo verb: get, list, watch, create, ... for resources; the lower-case method otherwise. */
  verb: string;
  resource?: { group: string; resource: string; subresource?: string; namespace?: string };
  /** A non-resource request's path. */
  path?: string;
}

const SA_PREFIX = 'system:serviceaccount:';

function matchesSubject(s: FlowSubject, user: UserInfo): boolean {
  switch (s.kind) {
    case 'User':
      return s.user?.name === '*' || s.user?.name === user.name;
    case 'Group':
      return s.group?.name === '*' || (user.groups ?? []).includes(s.group?.name ?? '');
    case 'ServiceAccount': {
      if (!user.name.startsWith(SA_PREFIX)) return false;
      const [ns, name] = user.name.slice(SA_PREFIX.length).split(':');
      return ns === s.serviceAccount?.namespace && (s.serviceAccount?.name === '*' || s.serviceAccount?.name === name);
    }
    default:
      return false;
  }
}

const has = (xs: string[] | undefined | null, x: string) => (xs ?? []).some((v) => v === '*' || v === x);

/** matchesFlowSchema: some rule whose subjects take the user and whose resource or non-resource rules take the request. */
export function matchesFlowSchema(fs: FlowSchema, r: FlowRequest): boolean {
  return (fs.spec?.rules ?? []).some((rule) => {
    if (!(rule.subjects ?? []).some((s) => matchesSubject(s, r.user))) return false;
    if (r.resource) {
      const ri = r.resource;
      const full = ri.subresource ? `${ri.resource}/${ri.subresource}` : ri.resource;
      return (rule.resourceRules ?? []).some(
        (rr) =>
          has(rr.verbs, r.verb) &&
          has(rr.apiGroups, ri.group) &&
          (rr.resources ?? []).some((x) => x === '*' || x === full) &&
          (ri.namespace ? has(rr.namespaces, ri.namespace) : !!rr.clusterScope),
      );
    }
    const path = r.path ?? '/';
    return (rule.nonResourceRules ?? []).some(
      (nr) => has(nr.verbs, r.verb) && (nr.nonResourceURLs ?? []).some((u) => u === '*' || u === path || (u.endsWith('/*') && path.startsWith(u.slice(0, -1)))),
    );
  });
}

/**
 * The FlowSchema a request is served under (apf_controller's startRequest): schemas by
 * matchingPrecedence, then name; those whose level does not exist left out; catch-all when
 * nothing else matches. The dispatcher (flowcontrol-dispatch.ts) reads its schemas and levels.
 */
export class FlowClassifier {
  private seen = { fs: -1, pl: -1 };
  private config: { revision: string; schemas: FlowSchema[]; levels: Map<string, PriorityLevelConfiguration> } = { revision: '', schemas: [], levels: new Map() };
  private catchAll: FlowSchema | undefined;

  constructor(private readonly stores: FlowcontrolStores) {}

  current(): { revision: string; schemas: readonly FlowSchema[]; levels: ReadonlyMap<string, PriorityLevelConfiguration> } {
    const fsRev = this.stores.flowschemas.cache.revision;
    const plRev = this.stores.prioritylevelconfigurations.cache.revision;
    if (fsRev === this.seen.fs && plRev === this.seen.pl) return this.config;
    this.seen = { fs: fsRev, pl: plRev };
    const levels = new Map((cached(this.stores.prioritylevelconfigurations) as PriorityLevelConfiguration[]).map((p) => [p.metadata!.name!, p]));
    const schemas = (cached(this.stores.flowschemas) as FlowSchema[])
      .filter((f) => levels.has(f.spec?.priorityLevelConfiguration?.name ?? ''))
      .sort((a, b) => (a.spec?.matchingPrecedence ?? 0) - (b.spec?.matchingPrecedence ?? 0) || (a.metadata!.name! < b.metadata!.name! ? -1 : a.metadata!.name! > b.metadata!.name! ? 1 : 0));
    this.catchAll = schemas.find((f) => f.metadata?.name === 'catch-all');
    this.config = { revision: `${fsRev}/${plRev}`, schemas, levels };
    return this.config;
  }

  match(r: FlowRequest): FlowSchema | undefined {
    const { schemas } = this.current();
    for (const f of schemas) if (matchesFlowSchema(f, r)) return f;
    return this.catchAll;
  }
}
