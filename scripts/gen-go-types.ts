// Regenerates pkg/api/go-types.json: for each field of our schema whose Go type is not
// the plain one its JSON kind gives (a named string such as v1.Protocol, a named map such as
// v1.ResourceList, a slice of named strings), the Go type as reflect prints it, so that strict
// decoding words a mistyped value as kube-apiserver's encoding/json does ("of type v1.Protocol");
// and the time stamps (metav1.Time, metav1.MicroTime), which strict decoding parses as Go does.
//
// Reads the types.go files of a k8s.io/api checkout at the release we follow:
//   git clone https://github.com/kubernetes/api && git -C api checkout v0.32.9
//   npx vite-node scripts/gen-go-types.ts -- /path/to/api
// The output is checked in: a fresh machine cannot reach GitHub.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import schemaJson from '../pkg/api/generated/schema.json' with { type: 'json' };

const root = process.argv.slice(2).find((a) => a !== '--');
if (!root) throw new Error('usage: gen-go-types.ts <k8s.io/api checkout>');

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
}

function parse(dir: string, name: string): GoPackage {
  const src = readFileSync(join(root!, dir, 'types.go'), 'utf8');
  const named = new Map<string, string>();
  for (const m of src.matchAll(/^type (\w+) ((?:\[\]|map\[)?[\w.[\]]+)\s*$/gm)) {
    if (m[2] !== 'struct' && m[2] !== 'interface') named.set(m[1]!, m[2]!);
  }
  const structs = new Map<string, Map<string, string>>();
  for (const m of src.matchAll(/^type (\w+) struct \{\n([\s\S]*?)^\}/gm)) {
    const fields = new Map<string, string>();
    for (const f of m[2]!.matchAll(/^\t\w+\s+(\S+)\s+`json:"([^",]*)/gm)) {
      if (f[2] && f[2] !== '-') fields.set(f[2], f[1]!.replace(/^\*/, ''));
    }
    structs.set(m[1]!, fields);
  }
  return { name, named, structs };
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
