// tsctl get, describe and delete.
import type { Endpoints, Event, KubeObject, Lease, Node, Pod } from '../api/types.js';
import { core, EndpointsRef, Events, isNotFound, Leases, Pods, ReplicaSets, RestClient, StatusError } from '../client/rest-client.js';
import { formatTable, kindAndGroup, TableWriter, tableView, toJson, toYaml, type Table } from './output.js';
import { Discovery, type ApiResource } from './resources.js';
import { describeConfigMap, describeSecret } from './describe-config.js';
import { describeEvents } from './describe-events.js';
import { annotationLines, labelLines } from './describe-meta.js';
import { describeDeployment, selectorString, tabbedField, type Deployment, type ReplicaSet } from './describe-deployment.js';
import { describeNamespace, type LimitRange, type ResourceQuota } from './describe-namespace.js';
import { describeJob, type Job } from './describe-job.js';
import { describeReplicaSet, type ReplicaSetDescribed } from './describe-replicaset.js';
import { tabwrite } from './tabwriter.js';
import { describeNode, nodeNonTerminatedPods } from './describe-node.js';
import { describePod } from './describe-pod.js';
import { describeService } from './describe-service.js';
import { describeKind } from './describe-kinds.js';
import { describeGeneric } from './describe-generic.js';
import type { Manifest } from './manifests.js';

const tableAccept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

export interface Out {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface GetOptions {
  namespace: string;
  allNamespaces: boolean;
  output: string;
  labelSelector?: string;
  fieldSelector?: string;
  watch: boolean;
  /** A LABELS column (--show-labels). */
  showLabels?: boolean;
  /** Stops a watch (tests); by default it runs until interrupted. */
  signal?: AbortSignal;
}

function listPath(client: RestClient, r: ApiResource, o: GetOptions, name?: string): string {
  return client.path(r, r.namespaced && !o.allNamespaces ? o.namespace : undefined, name);
}

/** A resource type and the names asked for (none: all of them). */
interface GetTarget {
  r: ApiResource;
  names: string[];
}

/**
 * Gets each name, leaving out the ones not found: those are said after the rest is printed,
 * and the command fails, as kubectl does.
 */
class NamedGets {
  readonly missing: StatusError[] = [];

  async each<T>(names: string[], one: (name: string) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    for (const n of names) {
      try {
        out.push(await one(n));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.missing.push(e);
      }
    }
    return out;
  }

  /** Says what was not found; the command's exit code. */
  report(io: Out): number {
    for (const e of this.missing) io.err(`Error from server (NotFound): ${e.message}\n`);
    return this.missing.length ? 1 : 0;
  }
}

/**
 * What `get` was asked for, as kubectl reads its arguments: `TYPE[,TYPE...] [NAME...]` (a type
 * may be a category such as `all`), or only `TYPE/NAME` arguments, which may name several types.
 */
export async function getTargets(disco: Discovery, args: string[]): Promise<GetTarget[]> {
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length && slashed.length !== args.length) {
    throw new Error(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'tsctl get resource/<resource_name>' instead of 'tsctl get resource resource/<resource_name>'`);
  }
  const targets: GetTarget[] = [];
  const add = (r: ApiResource, names: string[]) => {
    const t = targets.find((x) => x.r.resource === r.resource && x.r.group === r.group);
    if (t) t.names.push(...names.filter((n) => !t.names.includes(n)));
    else targets.push({ r, names: [...names] });
  };
  if (slashed.length) {
    for (const a of args) {
      const [what, name, ...more] = a.split('/');
      if (!what || !name || more.length) throw new Error(`arguments in resource/name form must have a single resource and name`);
      add(await disco.resolve(what), [name]);
    }
    return targets;
  }
  const [types, ...names] = args;
  const kinds = types!.split(',').filter(Boolean);
  if (!kinds.length) throw new Error('you must specify the type of resource to get');
  for (const what of kinds) for (const r of await disco.expand(what)) add(r, names);
  return targets;
}

const noneFound = (o: GetOptions, namespaced: boolean) => (namespaced && !o.allNamespaces ? `No resources found in ${o.namespace} namespace.\n` : 'No resources found\n');

/** The -o values tsctl prints; the empty one is the table. */
const outputFormats = ['json', 'name', 'wide', 'yaml'];

/** An object (or a List's items) without metadata.managedFields, as kubectl's OmitManagedFieldsPrinter shows it unless --show-managed-fields. */
function withoutManagedFields(obj: unknown): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as { metadata?: Record<string, unknown>; items?: unknown[] };
  const out: Record<string, unknown> = { ...o };
  if (o.metadata && 'managedFields' in o.metadata) {
    const { managedFields: _, ...rest } = o.metadata;
    out.metadata = rest;
  }
  if (Array.isArray(o.items)) out.items = o.items.map(withoutManagedFields);
  return out;
}

/**
 * The printer of -o yaml, json or name, as kubectl's: each YAML document after the first begins
 * with `---` (its YAMLPrinter), and a name is kind.group/name (its NamePrinter, `<unknown>` for
 * an object without one, such as a watch's ERROR Status); a List's items are named one by one.
 */
export function objectPrinter(format: string): (obj: unknown) => string {
  let printed = 0;
  return (obj) => {
    const o = obj as KubeObject & { items?: KubeObject[] };
    if (format === 'name') {
      if (Array.isArray(o.items) && o.kind?.endsWith('List')) return o.items.map((i) => `${kindAndGroup(i.apiVersion, i.kind)}/${i.metadata?.name || '<unknown>'}\n`).join('');
      return `${kindAndGroup(o.apiVersion, o.kind)}/${o.metadata?.name || '<unknown>'}\n`;
    }
    const shown = withoutManagedFields(obj);
    if (format === 'json') return toJson(shown);
    return (printed++ ? '---\n' : '') + toYaml(shown);
  };
}

export async function get(client: RestClient, disco: Discovery, args: string[], o: GetOptions, io: Out): Promise<number> {
  // (kubectl's PrintFlags.ToPrinter and GetOptions.Validate, before any request)
  if (o.output && !outputFormats.includes(o.output)) throw new Error(`unable to match a printer suitable for the output format "${o.output}", allowed formats are: ${outputFormats.join(',')}`);
  if (o.showLabels && o.output && o.output !== 'wide') throw new Error(`--show-labels option cannot be used with ${o.output} printer`);
  const targets = await getTargets(disco, args);
  const gets = new NamedGets();
  if (targets.length === 1) {
    const code = await getOne(client, targets[0]!, o, io, gets);
    return gets.report(io) || code;
  }
  if (o.watch) throw new Error('you may only specify a single resource type');
  // Several types: one List, or a table per type whose names carry their kind (pod/web,
  // deployment.apps/web), blank lines between, as kubectl prints them.
  if (o.output === 'yaml' || o.output === 'json' || o.output === 'name') {
    const items: unknown[] = [];
    for (const t of targets) items.push(...(await objectsOf(client, t, o, gets)).items);
    io.out(objectPrinter(o.output)(listOf(items)));
    return gets.report(io);
  }
  const printed: string[] = [];
  for (const t of targets) {
    const tables = await tablesOf(client, t, o, gets);
    const rows = tables.flatMap((x) => x.rows);
    if (!rows.length) continue;
    const columns = tables[0]!.columnDefinitions;
    const nameAt = columns.findIndex((c) => c.name === 'Name');
    const prefix = `${t.r.kind.toLowerCase()}${t.r.group ? `.${t.r.group}` : ''}/`;
    const named = rows.map((row) => ({ ...row, cells: row.cells.map((c, i) => (i === nameAt ? `${prefix}${String(c)}` : c)) }));
    const v = tableView({ columnDefinitions: columns, rows: named }, { wide: o.output === 'wide', withNamespace: o.allNamespaces && t.r.namespaced, showLabels: o.showLabels });
    printed.push(formatTable(v.headers, v.rows));
  }
  if (printed.length) io.out(printed.join('\n'));
  else if (!gets.missing.length) io.err(noneFound(o, targets.some((t) => t.r.namespaced)));
  return gets.report(io);
}

const listOf = (items: unknown[]) => ({ apiVersion: 'v1', kind: 'List', items, metadata: { resourceVersion: '' } });

/** The objects of a target, each with its apiVersion and kind, and the list's resourceVersion (none for names). */
async function objectsOf(client: RestClient, t: GetTarget, o: GetOptions, gets: NamedGets): Promise<{ items: KubeObject[]; resourceVersion: string }> {
  const { r, names } = t;
  const typed = (i: KubeObject) => ({ apiVersion: r.apiVersion, kind: r.kind, ...i });
  if (names.length) return { items: await gets.each(names, async (n) => typed(await client.get(r, r.namespaced ? o.namespace : undefined, n))), resourceVersion: '' };
  const list = await client.request<{ items: KubeObject[]; metadata?: { resourceVersion?: string } }>(listPath(client, r, o), { query: { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector } });
  return { items: list.items.map(typed), resourceVersion: list.metadata?.resourceVersion ?? '' };
}

/** The server's tables of a target: one per name, or the list's (its resourceVersion in metadata). */
async function tablesOf(client: RestClient, t: GetTarget, o: GetOptions, gets: NamedGets): Promise<(Table & { metadata?: { resourceVersion?: string } })[]> {
  const { r, names } = t;
  if (names.length) return gets.each(names, (n) => client.request<Table>(listPath(client, r, o, n), { accept: tableAccept }));
  return [await client.request<Table>(listPath(client, r, o), { accept: tableAccept, query: { labelSelector: o.labelSelector, fieldSelector: o.fieldSelector } })];
}

async function getOne(client: RestClient, t: GetTarget, o: GetOptions, io: Out, gets: NamedGets): Promise<number> {
  const { r, names } = t;
  const structured = o.output === 'yaml' || o.output === 'json' || o.output === 'name';
  const print = objectPrinter(o.output);
  let rv = '';
  if (structured) {
    const list = await objectsOf(client, t, o, gets);
    if (!o.watch) {
      if (names.length === 1) io.out(list.items.map(print).join(''));
      else io.out(print(listOf(list.items)));
      return 0;
    }
    // (kubectl's watch prints a list's items one by one, then each change from the list's resourceVersion)
    for (const i of list.items) io.out(print(i));
    rv = list.resourceVersion;
  }
  const view = { wide: o.output === 'wide', withNamespace: o.allNamespaces && r.namespaced, showLabels: o.showLabels };
  // (one tabwriter for the whole watch, as kubectl's: later rows line up under earlier ones)
  const writer = new TableWriter();
  let columns: Table['columnDefinitions'] | undefined;
  let printedHeaders = false;
  const printRows = (rows: Table['rows']) => {
    if (!rows.length || !columns) return;
    const v = tableView({ columnDefinitions: columns, rows }, view);
    io.out(writer.format(printedHeaders ? v.rows : [v.headers, ...v.rows]));
    printedHeaders = true;
  };
  if (!structured) {
    const tables = await tablesOf(client, t, o, gets);
    if (!names.length) rv = tables[0]?.metadata?.resourceVersion ?? '';
    columns = tables[0]?.columnDefinitions;
    const rows = tables.flatMap((x) => x.rows);
    if (!rows.length && !o.watch) {
      if (!gets.missing.length) io.err(noneFound(o, r.namespaced));
      return 0;
    }
    printRows(rows);
  }
  if (!o.watch) return 0;
  const fieldSelector = names.length === 1 ? `metadata.name=${names[0]}` : o.fieldSelector;
  const ns = r.namespaced && !o.allNamespaces ? o.namespace : undefined;
  // A watch of named objects starts with their synthetic ADDED event, which kubectl does not
  // print (it printed the objects already); a list's resourceVersion starts after its items.
  let skip = names.length > 0;
  const handle = await watchTable(client, r, ns, { resourceVersion: rv, labelSelector: o.labelSelector, fieldSelector }, structured, (ev) => {
    if (skip) {
      skip = false;
      if (ev.type !== 'ERROR') return;
    }
    if (structured) {
      io.out(print(ev.object));
      return;
    }
    if (ev.type === 'ERROR') {
      // The Status the server ends the watch with (410 Expired, for one), in the columns of
      // kubectl's status print handler, headed, through the same tabwriter.
      const s = ev.object as { status?: string; reason?: string; message?: string };
      io.out(writer.format([[...(view.withNamespace ? ['NAMESPACE'] : []), 'STATUS', 'REASON', 'MESSAGE'], [...(view.withNamespace ? [''] : []), s.status ?? '', s.reason ?? '', s.message ?? '']]));
      return;
    }
    const table = ev.object as Table;
    if (table.columnDefinitions?.length) {
      if (columns && JSON.stringify(table.columnDefinitions) !== JSON.stringify(columns)) printedHeaders = false;
      columns = table.columnDefinitions;
    }
    printRows(table.rows ?? []);
  });
  o.signal?.addEventListener('abort', () => handle.stop());
  await handle.done;
  return 0;
}

async function watchTable(client: RestClient, r: ApiResource, ns: string | undefined, q: Record<string, string | undefined>, structured: boolean, onEvent: (e: { type: string; object: unknown }) => void) {
  const query = { resourceVersion: q.resourceVersion || undefined, labelSelector: q.labelSelector, fieldSelector: q.fieldSelector };
  return client.watch(r, ns, query, onEvent, structured ? undefined : tableAccept);
}

/**
 * kubectl describe's objects: each name given (one not found describes every object whose name
 * begins with it, each followed by an empty line, as DescribeMatchingResources does), or every
 * object of the type; descriptions are two empty lines apart, as kubectl writes them.
 */
export async function describeObjects(client: RestClient, disco: Discovery, what: string, names: string[], namespace: string, io: Out): Promise<number> {
  const r = await disco.resolve(what);
  const ns = r.namespaced ? namespace : undefined;
  const listNames = async () => (await client.list(r, ns)).items.map((i) => i.metadata?.name ?? '').sort();
  let printed = 0;
  const one = async (name: string, matching = false) => {
    let text = '';
    await describe(client, disco, what, name, namespace, { out: (s) => (text += s), err: io.err });
    io.out(matching ? `${text}\n` : `${printed++ ? '\n\n' : ''}${text}`);
  };
  if (!names.length) {
    const all = await listNames();
    // (kubectl names the namespace even for a kind that has none)
    if (!all.length) io.err(`No resources found in ${namespace} namespace.\n`);
    for (const n of all) await one(n);
    return 0;
  }
  if (names.length === 1) {
    try {
      await client.get(r, ns, names[0]!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const matching = (await listNames()).filter((n) => n.startsWith(names[0]!));
      if (!matching.length) throw e;
      for (const n of matching) await one(n, true);
      return 0;
    }
  }
  const gets = new NamedGets();
  await gets.each(names, (n) => one(n));
  return gets.report(io);
}

export async function describe(client: RestClient, disco: Discovery, what: string, name: string, namespace: string, io: Out): Promise<number> {
  const r = await disco.resolve(what);
  const obj = await client.get<KubeObject & Record<string, unknown>>(r, r.namespaced ? namespace : undefined, name);
  if (r.resource === 'replicasets' && r.group === 'apps') {
    const rs = obj as ReplicaSetDescribed;
    const pods = await client.list<Pod>(Pods, namespace, { labelSelector: selectorString(rs.spec?.selector) }).then((l) => l.items, () => []);
    const text = describeReplicaSet(rs, pods);
    const evs = await objectEvents(client, r, namespace, obj.metadata ?? {});
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  if (r.resource === 'jobs' && r.group === 'batch') {
    const text = describeJob(obj as Job);
    const evs = await objectEvents(client, r, namespace, obj.metadata ?? {});
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  if (r.resource === 'deployments' && r.group === 'apps') {
    // (its ReplicaSets are those it controls, as deploymentutil.GetAllReplicaSets finds them)
    const rss = await client.list<ReplicaSet>(ReplicaSets, namespace).catch(() => undefined);
    const owned = (rss?.items ?? []).filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.controller && o.uid === obj.metadata?.uid));
    const text = describeDeployment(obj as Deployment, owned);
    const evs = await objectEvents(client, r, namespace, obj.metadata ?? {});
    // (Events:\t<none> is a cell of the block above it, as DescribeEvents writes it to the same tabwriter)
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  const kind = await describeKind(client, r, obj, namespace);
  if (kind) {
    const text = kind.lines;
    const evs = kind.events ? await objectEvents(client, r, namespace, obj.metadata ?? {}) : undefined;
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  if (!r.group && r.resource === 'pods') {
    const pod = obj as Pod;
    const text = describePod(pod);
    // (PodDescriber: a mirror pod's events are its static pod's, under the uid its config.mirror annotation holds)
    const mirror = pod.metadata?.annotations?.['kubernetes.io/config.mirror'];
    const evs = await objectEvents(client, r, namespace, mirror ? { ...obj.metadata, uid: mirror } : (obj.metadata ?? {}));
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  if (!r.group && ['configmaps', 'secrets', 'namespaces', 'services'].includes(r.resource)) {
    // (their describers' header: Name, Namespace, Labels, Annotations; no CreationTimestamp)
    const m = obj.metadata ?? {};
    const text = [`Name:\t${m.name ?? ''}`, ...(r.namespaced ? [`Namespace:\t${m.namespace ?? ''}`] : []), ...tabbedField(labelLines('Labels', m.labels)), ...tabbedField(annotationLines('Annotations', m.annotations))];
    if (r.resource === 'configmaps') {
      text.push(...describeConfigMap(obj));
      const evs = await objectEvents(client, r, namespace, m);
      if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    } else if (r.resource === 'secrets') {
      // (SecretDescriber lists no events)
      text.push(...describeSecret(obj));
    } else if (r.resource === 'services') {
      const ep = await client.get<Endpoints & KubeObject>(EndpointsRef, namespace, name).catch(() => undefined);
      text.push(...describeService(obj, ep));
      const evs = await objectEvents(client, r, namespace, m);
      if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    } else {
      const ns = m.name ?? '';
      const quotas = await client.list<ResourceQuota>(core('resourcequotas'), ns).then((l) => l.items, () => []);
      const limits = await client.list<LimitRange>(core('limitranges'), ns).then((l) => l.items, () => []);
      text.push(...describeNamespace(obj, quotas, limits));
    }
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  if (!(!r.group && r.resource === 'nodes')) {
    // (a kind with no describer of its own: kubectl's genericDescriber)
    const text = describeGeneric(obj);
    const evs = await objectEvents(client, r, namespace, obj.metadata ?? {});
    if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
    io.out(tabwrite(text.join('\n')) + '\n');
    return 0;
  }
  // (NodeDescriber: the pods bound to it that have not ended, from every namespace, "not authorized" when they may not be listed)
  const nodeName = obj.metadata?.name ?? '';
  const pods = await client.list<Pod>(Pods, undefined, { fieldSelector: nodeNonTerminatedPods(nodeName) }).then(
    (l) => l.items,
    (e) => {
      if (e instanceof StatusError && e.code === 403) return 'forbidden' as const;
      throw e;
    },
  );
  const lease = await client.get<Lease>(Leases, 'kube-node-lease', nodeName).catch((e: Error) => ({ error: e.message }));
  const text = describeNode(obj as Node, lease, pods);
  // (a node's events: those of its uid, then those that name it as their uid, as the kubelet's do)
  const byUid = await objectEvents(client, r, namespace, obj.metadata ?? {});
  const byName = byUid && (await objectEvents(client, r, namespace, { ...obj.metadata, uid: nodeName }));
  const evs = byUid && [...byUid, ...(byName ?? [])];
  if (evs) text.push(...(evs.length ? describeEvents(evs) : ['Events:\t<none>']));
  io.out(tabwrite(text.join('\n')) + '\n');
  return 0;
}

/** The events of an object, as kubectl's describers find them (none when events may not be listed). */
async function objectEvents(client: RestClient, r: ApiResource, namespace: string, meta: KubeObject['metadata'] & {}): Promise<Event[] | undefined> {
  if (!meta.uid) return undefined;
  try {
    return (await client.list<Event>(Events, r.namespaced ? namespace : undefined, { fieldSelector: `involvedObject.name=${meta.name},involvedObject.uid=${meta.uid}` })).items;
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 403)) throw e;
    return undefined;
  }
}

export interface DeleteOpts {
  namespace: string;
  gracePeriod?: number;
  wait: boolean;
  timeoutMs: number;
  /** Every object of the type that the selector matches (-l), or every one (--all), instead of names. */
  labelSelector?: string;
  all?: boolean;
}

export async function deleteObjects(client: RestClient, disco: Discovery, targets: { what: string; names: string[] } | { manifests: Manifest[] }, o: DeleteOpts, io: Out): Promise<number> {
  const list: { r: ApiResource; ns?: string; name: string }[] = [];
  if ('manifests' in targets) {
    for (const m of targets.manifests) {
      const r = await disco.forKind(m.obj.apiVersion!, m.obj.kind!);
      list.push({ r, ns: r.namespaced ? (m.obj.metadata?.namespace ?? o.namespace) : undefined, name: m.obj.metadata?.name ?? '' });
    }
  } else {
    const r = await disco.resolve(targets.what);
    const ns = r.namespaced ? o.namespace : undefined;
    let names = targets.names;
    if (!names.length && (o.labelSelector !== undefined || o.all)) {
      names = (await client.list(r, ns, { labelSelector: o.labelSelector })).items.map((i) => i.metadata?.name ?? '');
      if (!names.length) {
        io.out('No resources found\n');
        return 0;
      }
    }
    for (const n of names) list.push({ r, ns, name: n });
  }
  // (by selector or --all, kubectl ignores an object that went between its list and its delete)
  const ignoreNotFound = !('manifests' in targets) && !targets.names.length;
  let failed = 0;
  const pending: (typeof list[number] & { uid?: string })[] = [];
  for (const t of list) {
    try {
      // (the answer is the object, or a Status whose details carry its uid)
      // (propagationPolicy Background, as kubectl's default --cascade=background sends it: a Job
      // or a ReplicationController deleted with none would orphan its pods, their kinds' default)
      const opts = { propagationPolicy: 'Background' as const, ...(o.gracePeriod !== undefined ? { gracePeriodSeconds: o.gracePeriod } : {}) };
      const gone = await client.delete<{ metadata?: { uid?: string }; details?: { uid?: string } }>(t.r, t.ns, t.name, opts);
      const uid = gone?.metadata?.uid ?? gone?.details?.uid;
      // (kubectl's DeleteOptions.PrintObj: kind.group, and "force deleted" for a grace period of 0)
      io.out(`${kindAndGroup(t.r.apiVersion, t.r.kind)} "${t.name}" ${o.gracePeriod === 0 ? 'force deleted' : 'deleted'}\n`);
      pending.push({ ...t, uid });
    } catch (e) {
      if (ignoreNotFound && isNotFound(e)) continue;
      failed++;
      io.err(`Error from server (${e instanceof StatusError ? e.reason ?? e.code : 'Error'}): ${(e as Error).message}\n`);
    }
  }
  if (o.wait) {
    const deadline = Date.now() + o.timeoutMs;
    for (const t of pending) {
      for (;;) {
        // Deleted once the object of that uid is gone, as kubectl's wait IsDeleted has it: one
        // made again under the name (a namespace's kube-root-ca.crt) is not waited for.
        try {
          const now = await client.get(t.r, t.ns, t.name);
          if (t.uid && now.metadata?.uid !== t.uid) break;
        } catch (e) {
          if (isNotFound(e)) break;
          throw e;
        }
        if (Date.now() > deadline) {
          io.err(`error: timed out waiting for ${t.r.singularName} "${t.name}" to be deleted\n`);
          failed++;
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  return failed ? 1 : 0;
}
