// Kubernetes' named format library (k8s.io/apiserver/pkg/cel/library format.go):
// `format.dns1123Label()` and its siblings, `format.named(name)` (an optional), and
// `<format>.validate(value)`: optional.none() when the value is valid, else optional.of(the list
// of Kubernetes' validation messages).
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from '../api/names.js';
import { noSuchOverload } from './errors.js';
import { CelOptional, type CelObject, type CelValue } from './values.js';

type Check = (s: string) => string[];

/** Names may end in '-' when they are prefixes of generated names (generateName). */
const prefix = (check: Check): Check => (s) => check(s.endsWith('-') ? `${s.slice(0, -1)}a` : s);

const uuid: Check = (s) => (/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s) ? [] : ['does not match the UUID format']);
const byte: Check = (s) => (/^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? [] : ['invalid base64']);
const date: Check = (s) => (/^\d{4}-\d\d-\d\d$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) ? [] : ['invalid date']);
const datetime: Check = (s) => (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)) ? [] : ['invalid datetime']);
const uri: Check = (s) => {
  try {
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s) && !s.startsWith('/')) return ['invalid URI'];
    new URL(s, 'http://relative.invalid');
    return [];
  } catch {
    return ['invalid URI'];
  }
};

const FORMATS: Record<string, Check> = {
  dns1123Label: isDNS1123Label,
  dns1123Subdomain: isDNS1123Subdomain,
  dns1035Label: isDNS1035Label,
  qualifiedName: isQualifiedName,
  dns1123LabelPrefix: prefix(isDNS1123Label),
  dns1123SubdomainPrefix: prefix(isDNS1123Subdomain),
  dns1035LabelPrefix: prefix(isDNS1035Label),
  labelValue: isValidLabelValue,
  uri,
  uuid,
  byte,
  date,
  datetime,
};

export class CelFormat implements CelObject {
  readonly typeName = 'kubernetes.NamedFormat';
  constructor(readonly name: string) {}
  equals(o: unknown): boolean {
    return o instanceof CelFormat && o.name === this.name;
  }
}

/** format.<name>() for each format, and format.named(name). */
export const FORMAT_FUNCTIONS: Record<string, (...a: CelValue[]) => CelValue> = {
  ...Object.fromEntries(Object.keys(FORMATS).map((name) => [`format.${name}`, () => new CelFormat(name)])),
  'format.named': (n) => {
    if (typeof n !== 'string') throw noSuchOverload();
    return FORMATS[n] ? new CelOptional(new CelFormat(n)) : CelOptional.NONE;
  },
};

/** <format>.validate(string) */
export function validateFormat(f: CelValue, value: CelValue | undefined): CelValue {
  if (!(f instanceof CelFormat) || typeof value !== 'string') throw noSuchOverload();
  const errs = FORMATS[f.name]!(value);
  return errs.length ? new CelOptional(errs) : CelOptional.NONE;
}
