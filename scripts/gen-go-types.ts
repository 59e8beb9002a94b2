// Regenerates pkg/api/go-types.json: for each field of our schema whose Go type is not
// the plain one its JSON kind gives (a named string such as v1.Protocol, a named map such as
// v1.ResourceList, a slice of named strings), the Go type as reflect prints it, so that strict
// decoding words a mistyped value as kube-apiserver's encoding/json does ("of type v1.Protocol");
// and the time stamps (metav1.Time, metav1.MicroTime), which strict decoding parses as Go does.
//
// It also writes pkg/api/go-omitempty.json: how encoding/json writes each field of those structs
// (pointer, slice or map, struct, scalar; omitempty or not), which omitempty.ts follows to store
// and serve an object as 1.32's decode into the Go types and encode leaves it.
//
// Reads the types.go files of a k8s.io/api checkout at the release we follow, and metav1's of
// k8s.io/apimachinery at the same release:
//   git clone https://github.com/kubernetes/api && git -C api checkout v0.32.9
//   git clone https://github.com/kubernetes/apimachinery && git -C apimachinery checkout v0.32.9
//   npx vite-node scripts/gen-go-types.ts -- /path/to/api /path/to/apimachinery
// The output is checked in: a fresh machine cannot reach GitHub.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import schemaJson from '../pkg/api/generated/schema.json' with { type: 'json' };

const [root, machinery] = process.argv.slice(2).filter((a) => a !== '--');
if (!root || !machinery) throw new Error('usage: gen-go-types.ts <k8s.io/api checkout> <k8s.io/apimachinery checkout>');

/** The packages whose structs our messages are, first match wins; `name` is the Go package name reflect prints. */
const PACKAGES = [
  'core/v1', 'apps/v1', 'batch/v1', 'networking/v1', 'policy/v1', 'rbac/v1', 'storage/v1', 'scheduling/v1', 'coordination/v1', 'discovery/v1',
  'certificates/v1', 'admissionregistration/v1', 'node/v1', 'authentication/v1', 'authorization/v1', 'flowcontrol/v1', 'autoscaling/v2', 'autoscaling/v1', 'events/v1',
].map((dir) => ({ dir, name: dir.split('/')[1]! }));

/** metav1's named non-struct types (k8s.io/apimachinery, not in this repository). */
const META_NAMED = new Set(['LabelSelectorOperator', 'DeletionPropagation', 'ManagedFieldsOperationType', 'ConditionStatus', 'StatusReason', 'CauseType', 'ResourceVersionMatch', 'IncludeObjectPolicy']);

interface GoPackage {
  name: string;
  /** Named types that are not structs: name → underlying type as written. */
  named: Map<string, string>;
  /** Struct name → JSON field name → Go type as written (pointer dropped). */
  structs: Map<string, Map<string, string>>;
  /** Struct name → JSON field name → the field as written: its type (pointer kept) and omitempty. */
  tags: Map<string, Map<string, { type: string; omitempty: boolean }>>;
  /** Struct name → the structs it embeds inline (`VolumeSource `json:",inline"``), as written. */
  inline: Map<string, string[]>;
}

function parse(dir: string, name: string, base = root!): GoPackage {
  const src = readFileSync(join(base, dir, 'types.go'), 'utf8');
  const named = new Map<string, string>();
  for (const m of src.matchAll(/^type (\w+) ((?:\[\]|map\[)?[\w.[\]]+)\s*$/gm)) {
    if (m[2] !== 'struct' && m[2] !== 'interface') named.set(m[1]!, m[2]!);
  }
  const structs = new Map<string, Map<string, string>>();
  const tags = new Map<string, Map<string, { type: string; omitempty: boolean }>>();
  const inline = new Map<string, string[]>();
  for (const m of src.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fields = new Map<string, string>();
    const tagged = new Map<string, { type: string; omitempty: boolean }>();
    for (const f of m[2]!.matchAll(/^\t\w+\s+(\S+)\s+`json:"([^",]*)([^"]*)"/gm)) {
      if (f[2] && f[2] !== '-') {
        fields.set(f[2], f[1]!.replace(/^\*/, ''));
        tagged.set(f[2], { type: f[1]!, omitempty: f[3]!.split(',').includes('omitempty') });
      }
    }
    // (an embedded struct with a name of its own: `metav1.ObjectMeta `json:"metadata,omitempty"``)
    for (const f of m[2]!.matchAll(/^\t([\w.*]+)\s+`json:"(\w+)([^"]*)"/gm)) tagged.set(f[2]!, { type: f[1]!, omitempty: f[3]!.split(',').includes('omitempty') });
    inline.set(m[1]!, [...m[2]!.matchAll(/^\t(\S+)\s+`json:",inline"/gm)].map((f) => f[1]!));
    structs.set(m[1]!, fields);
    tags.set(m[1]!, tagged);
  }
  return { name, named, structs, tags, inline };
}

const packages = PACKAGES.map((p) => ({ ...p, pkg: parse(p.dir, p.name) }));
const core = packages[0]!.pkg;

/** A Go type as written in package `pkg`, as reflect prints it: identifiers qualified by their package's name. */
function printed(t: string, pkg: GoPackage): string {
  return t.replace(/\b(?:(\w+)\.)?([A-Z]\w*)\b/g, (all, alias: string | undefined, id: string) => {
    if (!alias) return pkg.named.has(id) || pkg.structs.has(id) ? `${pkg.name}.${id}` : all;
    // (metav1 and corev1 are both packages named v1)
    if (['v1', 'corev1', 'metav1', 'apiv1'].includes(alias)) return `v1.${id}`;
    return `${alias}.${id}`;
  });
}

/** Whether a type as written names a non-struct named type (here, in core/v1 or in metav1). */
function mentionsNamed(t: string, pkg: GoPackage): boolean {
  for (const m of t.matchAll(/\b(?:(\w+)\.)?([A-Z]\w*)\b/g)) {
    const [, alias, id] = m;
    if (!alias && pkg.named.has(id!)) return true;
    if (alias === 'metav1' && META_NAMED.has(id!)) return true;
    if ((alias === 'v1' || alias === 'corev1') && core.named.has(id!)) return true;
  }
  return false;
}

/** The element of a slice or map type as written (a named one's underlying type's). */
function elementOf(t: string, pkg: GoPackage): string | undefined {
  const q = /^(?:v1|corev1)\.(\w+)$/.exec(t);
  const under = (q ? core.named.get(q[1]!) : pkg.named.get(t)) ?? t;
  const slice = /^\[\](.+)$/.exec(under);
  if (slice) return slice[1];
  const map = /^map\[[^\]]+\](.+)$/.exec(under);
  return map?.[1];
}

const AUTOSCALING_V2 = new Set(['HorizontalPodAutoscaler', 'HorizontalPodAutoscalerList', 'HorizontalPodAutoscalerSpec', 'HorizontalPodAutoscalerStatus', 'HorizontalPodAutoscalerCondition', 'CrossVersionObjectReference']);
function packageOf(message: string): { go: string; pkg: GoPackage } | undefined {
  const pick = (dir: string, go: string) => {
    const p = packages.find((x) => x.dir === dir)!.pkg;
    return p.structs.has(go) ? { go, pkg: p } : undefined;
  };
  if (/V1(List)?$/.test(message)) return pick('autoscaling/v1', message.replace(/V1(?=List$|$)/, ''));
  if (message.startsWith('EventsEvent')) return pick('events/v1', message.replace(/^Events/, ''));
  // (flowcontrol's Subject, named apart from RBAC's in the proto package)
  if (message === 'FlowSubject') return pick('flowcontrol/v1', 'Subject');
  // (a ServiceAccount's token is authentication/v1's TokenRequest; storage/v1 has a TokenRequest of
  // its own, a CSIDriver's, which the proto package names StorageTokenRequest)
  if (message === 'TokenRequest') return pick('authentication/v1', 'TokenRequest');
  if (message === 'StorageTokenRequest') return pick('storage/v1', 'TokenRequest');
  // (discovery/v1's EndpointPort, named apart from core/v1's in the proto package)
  if (message === 'EndpointSlicePort') return pick('discovery/v1', 'EndpointPort');
  if (AUTOSCALING_V2.has(message)) return pick('autoscaling/v2', message);
  for (const p of packages) if (p.pkg.structs.has(message)) return { go: message, pkg: p.pkg };
  return undefined;
}

const out: Record<string, { type: string; element?: string }> = {};
const messages = (schemaJson as unknown as { messages: Record<string, { fields: { name: string }[] }> }).messages;
for (const message of Object.keys(messages).sort()) {
  const found = packageOf(message);
  if (!found) continue;
  const goFields = found.pkg.structs.get(found.go)!;
  for (const f of messages[message]!.fields) {
    const t = goFields.get(f.name);
    // metav1.Time and MicroTime: strings that must parse as their layouts (see go-time.ts)
    const time = t && /^(?:metav1\.)?(Micro)?Time$/.exec(t);
    if (time) {
      out[`${message}.${f.name}`] = { type: time[1] ? 'v1.MicroTime' : 'v1.Time' };
      continue;
    }
    if (!t || !mentionsNamed(t, found.pkg)) continue;
    const el = elementOf(t, found.pkg);
    out[`${message}.${f.name}`] = { type: printed(t, found.pkg), ...(el ? { element: printed(el, found.pkg) } : {}) };
  }
}
// metav1's structs are in k8s.io/apimachinery: their few named-type fields by hand.
Object.assign(out, {
  'LabelSelectorRequirement.operator': { type: 'v1.LabelSelectorOperator' },
  'DeleteOptions.propagationPolicy': { type: 'v1.DeletionPropagation' },
  'ManagedFieldsEntry.operation': { type: 'v1.ManagedFieldsOperationType' },
  'Condition.status': { type: 'v1.ConditionStatus' },
  'Condition.lastTransitionTime': { type: 'v1.Time' },
  'ObjectMeta.creationTimestamp': { type: 'v1.Time' },
  'ObjectMeta.deletionTimestamp': { type: 'v1.Time' },
  'ManagedFieldsEntry.time': { type: 'v1.Time' },
});
const sorted = Object.fromEntries(Object.entries(out).filter(([k]) => messages[k.split('.')[0]!]).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync('pkg/api/go-types.json', `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`${Object.keys(sorted).length} fields`);

// ---- pkg/api/go-omitempty.json ----
// What encoding/json leaves of each field once a request is decoded into the Go struct (and, for
// built-in kinds, stored as protobuf and decoded again). One letter a field:
//   p  a pointer with omitempty: nil (a JSON null) is left out; anything else stays, {} and 0 too
//   P  a pointer without omitempty: nil is written null
//   s  a slice or map with omitempty: nil or empty is left out
//   S  a slice or map without omitempty: nil or empty is written null (protobuf keeps no empty one)
//   z  a scalar with omitempty: its zero value ("", 0, false) or null is left out
//   Z  a scalar without omitempty, or a value type that always writes itself (resource.Quantity,
//      intstr.IntOrString): always written, null as its zero value
//   T  a value that writes its own zero as null (metav1.Time, MicroTime, runtime.RawExtension)
//   v  a struct held by value: never left out (omitempty does not apply to structs)
//   -  a field of ours the Go struct does not have: left as it is
// Only the letters that differ from what the schema's kind makes likely are listed (a list or map
// `s`, a message `p`, anything else `z`); a message of ours with no Go struct is not listed.
const meta = parse('pkg/apis/meta/v1', 'v1', machinery);
const VALUE_TYPES: Record<string, string> = { Time: 'T', MicroTime: 'T', RawExtension: 'T', Quantity: 'Z', IntOrString: 'Z', Duration: 'Z' };
const SCALARS = new Set(['string', 'bool', 'int', 'int32', 'int64', 'float64', 'byte', 'UID']);

/** The struct of package `pkg` (or metav1, or core/v1) a type as written names, with its package. */
function structNamed(t: string, pkg: GoPackage): { id: string; pkg: GoPackage } | undefined {
  const m = /^(?:(\w+)\.)?(\w+)$/.exec(t);
  if (!m) return undefined;
  const [, alias, id] = m;
  const candidates = !alias ? [pkg] : alias === 'metav1' ? [meta] : ['v1', 'corev1'].includes(alias) ? [core] : packages.filter((p) => p.name === alias || p.dir.replace('/', '') === alias).map((p) => p.pkg);
  for (const p of candidates) if (p.structs.has(id!)) return { id: id!, pkg: p };
  return undefined;
}

/** The letter of a field whose Go type is `t` as written in `pkg`. */
function letterOf(t: string, omitempty: boolean, pkg: GoPackage): string | undefined {
  if (t.startsWith('*')) return omitempty ? 'p' : 'P';
  if (/^(?:\[\]|map\[)/.test(t)) return omitempty ? 's' : 'S';
  const m = /^(?:(\w+)\.)?(\w+)$/.exec(t);
  if (!m) return undefined;
  const [, alias, id] = m;
  if (VALUE_TYPES[id!]) return VALUE_TYPES[id!];
  if (structNamed(t, pkg)) return 'v';
  // a named type: its underlying one (v1.ResourceList is a map, v1.Protocol a string)
  const under = !alias ? (pkg.named.get(id!) ?? meta.named.get(id!)) : ['v1', 'corev1'].includes(alias) ? core.named.get(id!) : alias === 'metav1' ? (meta.named.get(id!) ?? 'string') : undefined;
  if (under) return letterOf(under, omitempty, pkg);
  if (SCALARS.has(id!)) return omitempty ? 'z' : 'Z';
  return undefined;
}

/** A struct's fields as encoding/json sees them: its own and those of the structs it embeds inline. */
function encodedFields(id: string, pkg: GoPackage): Map<string, { type: string; omitempty: boolean; pkg: GoPackage }> {
  const out = new Map<string, { type: string; omitempty: boolean; pkg: GoPackage }>();
  for (const e of pkg.inline.get(id) ?? []) {
    if (e === 'metav1.TypeMeta') continue; // (apiVersion and kind: set by the apiserver)
    const s = structNamed(e, pkg);
    if (s) for (const [k, v] of encodedFields(s.id, s.pkg)) out.set(k, v);
  }
  for (const [k, v] of pkg.tags.get(id) ?? []) out.set(k, { ...v, pkg });
  return out;
}

const META_FIRST = new Set(['Preconditions', 'DeleteOptions', 'Status', 'StatusDetails', 'StatusCause', 'WatchEvent']);
const omit: Record<string, Record<string, string>> = {};
type SchemaField = { name: string; kind: string; repeated?: boolean };
for (const message of Object.keys(messages).sort()) {
  // (metav1's first where core/v1 has a struct of the same name: its deprecated Preconditions)
  const found = META_FIRST.has(message) ? { go: message, pkg: meta } : (packageOf(message) ?? (meta.structs.has(message) ? { go: message, pkg: meta } : undefined));
  if (!found) continue;
  const fields = encodedFields(found.go, found.pkg);
  const letters: Record<string, string> = {};
  for (const f of messages[message]!.fields as SchemaField[]) {
    const go = fields.get(f.name);
    const letter = (go && letterOf(go.type, go.omitempty, go.pkg)) ?? '-';
    const likely = f.repeated || f.kind === 'map' ? 's' : f.kind === 'message' ? 'p' : 'z';
    if (letter !== likely) letters[f.name] = letter;
  }
  omit[message] = letters;
}
writeFileSync('pkg/api/go-omitempty.json', `${JSON.stringify(omit, null, 1)}\n`);
console.log(`${Object.keys(omit).length} structs`);
