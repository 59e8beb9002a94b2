// The YAML schema kubectl reads manifests and kubeconfigs with, and 1.32's apiserver a YAML request
// body (its yaml serializer's YAMLToJSON): sigs.k8s.io/yaml v1.4.0 decodes through go-yaml v2,
// whose resolver (resolve.go) is YAML 1.1's. A plain (unquoted) scalar is a bool for y, yes, on,
// n, no, off in their three spellings as well as true and false; an integer as Go's
// strconv.ParseInt with base 0 reads it after underscores are dropped, so 0644 is octal 420 (a
// volume's defaultMode), 0x1F hex and 1_000 a thousand; a float by YAML 1.1's form; and a
// timestamp stays the text it was written as, as go-yaml v2 gives interface{} targets. js-yaml's
// default is YAML 1.2's core schema, where all of those differ.
import yaml from 'js-yaml';

type Resolved = { tag: 'null' | 'bool' | 'int' | 'float' | 'str'; value: unknown };

const table: Record<string, unknown> = {};
const add = (value: unknown, words: string[]) => words.forEach((w) => (table[w] = value));
add(true, ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
add(false, ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
add(null, ['', '~', 'null', 'Null', 'NULL']);
add(NaN, ['.nan', '.NaN', '.NAN']);
add(Infinity, ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
add(-Infinity, ['-.inf', '-.Inf', '-.INF']);

/** strconv.ParseInt(s, 0, 64)'s syntax: a sign, then 0x hex, 0o or a leading 0 octal, 0b binary, or decimal. */
function goInt(s: string): number | undefined {
  const m = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(s);
  if (!m) return undefined;
  const [, sign, hex, oct, bin, leadingZero, dec] = m;
  const n = hex !== undefined ? parseInt(hex, 16) : oct !== undefined ? parseInt(oct, 8) : bin !== undefined ? parseInt(bin, 2) : leadingZero !== undefined ? parseInt(leadingZero, 8) : parseInt(dec!, 10);
  return sign === '-' ? -n : n;
}

/** go-yaml v2's resolve() of a plain scalar, by its first character as its resolveTable hints. */
export function resolvePlain(s: string): Resolved {
  const first = s[0] ?? '';
  const hint = s === '' ? 'N' : /[0-9]/.test(first) ? 'D' : '+-'.includes(first) ? 'S' : 'yYnNtTfFoO~'.includes(first) ? 'M' : first === '.' ? '.' : '';
  if (!hint) return { tag: 'str', value: s };
  if (s in table) {
    const v = table[s];
    return { tag: v === null ? 'null' : typeof v === 'boolean' ? 'bool' : 'float', value: v };
  }
  if (hint === '.' && /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s)) return { tag: 'float', value: parseFloat(s) };
  if (hint === 'D' || hint === 'S') {
    const plain = s.replaceAll('_', '');
    const n = goInt(plain);
    if (n !== undefined) return { tag: 'int', value: n };
    // (yamlStyleFloat; "08", not octal, is read here as 8)
    if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return { tag: 'float', value: parseFloat(plain) };
  }
  return { tag: 'str', value: s };
}

const scalar = (tag: Resolved['tag']) =>
  new yaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (data: string | null) => resolvePlain(data ?? '').tag === tag,
    construct: (data: string | null) => resolvePlain(data ?? '').value,
  });

// (js-yaml's own merge type: its typings do not declare yaml.types)
const merge = (yaml as unknown as { types: { merge: yaml.Type } }).types.merge;

/** Plain scalars resolved as go-yaml v2 resolves them; merge keys (<<) as it supports them; no timestamps. */
export const goYamlSchema = yaml.FAILSAFE_SCHEMA.extend({ implicit: [scalar('null'), scalar('bool'), scalar('int'), scalar('float'), merge] });
