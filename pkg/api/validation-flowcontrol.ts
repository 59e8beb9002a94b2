// flowcontrol.apiserver.k8s.io/v1 FlowSchema and PriorityLevelConfiguration: v1's defaults
// (SetDefaults_FlowSchemaSpec, _LimitedPriorityLevelConfiguration, _ExemptPriorityLevelConfiguration,
// _QueuingConfiguration) and 1.32's pkg/apis/flowcontrol/validation in its order and words.
import { duplicate, forbidden, goStrings, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { semanticEqual } from './semantic-equal.js';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from './flowcontrol-bootstrap.js';
import { isDNS1123Label, isDNS1123Subdomain } from './names.js';
import type { FlowSchema, FlowSchemaSpec, FlowSubject, LimitedPriorityLevelConfiguration, NonResourcePolicyRule, PolicyRulesWithSubjects, PriorityLevelConfiguration, PriorityLevelConfigurationSpec, ResourcePolicyRule } from './types.js';
import { validateGenericObjectMetaUpdate, validateObjectMeta } from './validation-meta.js';

const SUPPORTED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'proxy', 'update', 'watch'];
const DISTINGUISHER_METHODS = ['ByNamespace', 'ByUser'];
const SUBJECT_KINDS = ['Group', 'ServiceAccount', 'User'];
const MAX_MATCHING_PRECEDENCE = 10000;
const MAX_QUEUES = 10 * 1000 * 1000;
/** shufflesharding.MaxHashBits. */
const MAX_HASH_BITS = 60;
const NS_ERR_INTRO = "each member of this list must be '*' or a DNS-1123 label; ";

export function defaultFlowSchema(fs: FlowSchema): void {
  const spec = (fs.spec ??= {} as FlowSchemaSpec);
  if (!spec.matchingPrecedence) spec.matchingPrecedence = 1000;
}

export function defaultPriorityLevelConfiguration(pl: PriorityLevelConfiguration): void {
  const spec = pl.spec;
  if (!spec) return;
  if (spec.exempt) {
    spec.exempt.nominalConcurrencyShares ??= 0;
    spec.exempt.lendablePercent ??= 0;
  }
  if (spec.limited) {
    spec.limited.nominalConcurrencyShares ??= 30;
    spec.limited.lendablePercent ??= 0;
    const q = spec.limited.limitResponse?.queuing;
    if (q) {
      if (!q.queues) q.queues = 64;
      if (!q.handSize) q.handSize = 8;
      if (!q.queueLengthLimit) q.queueLengthLimit = 50;
    }
  }
}

/** apiequality.Semantic.DeepEqual of two FlowSchemaSpecs or PriorityLevelConfigurationSpecs (`type`), as semantic-equal.ts compares Go-typed values. */
export const sameSpec = (a: unknown, b: unknown, type: 'FlowSchemaSpec' | 'PriorityLevelConfigurationSpec'): boolean => semanticEqual(a, b, type);

const hasWildcard = (xs: string[] | undefined | null) => (xs ?? []).includes('*');

export function validateFlowSchema(fs: FlowSchema): FieldError[] {
  const name = fs.metadata?.name ?? '';
  const spec = fs.spec ?? ({} as FlowSchemaSpec);
  const errs = [...validateObjectMeta(fs.metadata, false), ...validateFlowSchemaSpec(name, spec)];
  const mandatory = MANDATORY_FLOW_SCHEMAS.find((m) => m.metadata!.name === name);
  if (mandatory && !sameSpec(spec, mandatory.spec, 'FlowSchemaSpec')) errs.push(invalid('spec', new VerbatimValue('flowcontrol.FlowSchemaSpec{...}'), `spec of '${name}' must equal the fixed value`));
  errs.push(...validateConditions(fs.status?.conditions));
  return errs;
}

/** rest.BeforeUpdate's common checks (metadata valid, identity fields unchanged), then ValidateFlowSchemaUpdate, which is ValidateFlowSchema. */
export const validateFlowSchemaUpdate = (fs: FlowSchema, old: FlowSchema): FieldError[] => [...validateGenericObjectMetaUpdate(fs.metadata, old.metadata, false), ...validateFlowSchema(fs)];

export const validateFlowSchemaStatus = (fs: FlowSchema): FieldError[] => validateConditions(fs.status?.conditions);

function validateFlowSchemaSpec(name: string, spec: FlowSchemaSpec): FieldError[] {
  const errs: FieldError[] = [];
  const p = spec.matchingPrecedence ?? 0;
  if (p <= 0) errs.push(invalid('spec.matchingPrecedence', p, 'must be a positive value'));
  if (p > MAX_MATCHING_PRECEDENCE) errs.push(invalid('spec.matchingPrecedence', p, `must not be greater than ${MAX_MATCHING_PRECEDENCE}`));
  if (p === 1 && name !== 'exempt') errs.push(invalid('spec.matchingPrecedence', p, "only the schema named 'exempt' may have matchingPrecedence 1"));
  const dm = spec.distinguisherMethod;
  if (dm && !DISTINGUISHER_METHODS.includes(dm.type ?? '')) {
    errs.push(notSupported('spec.distinguisherMethod.type', new VerbatimValue(`&flowcontrol.FlowDistinguisherMethod{Type:${JSON.stringify(dm.type ?? '')}}`), DISTINGUISHER_METHODS));
  }
  const level = spec.priorityLevelConfiguration?.name ?? '';
  if (level) errs.push(...isDNS1123Subdomain(level).map((m) => invalid('spec.priorityLevelConfiguration.name', level, m)));
  else errs.push(required('spec.priorityLevelConfiguration.name', 'must reference a priority level'));
  (spec.rules ?? []).forEach((r, i) => errs.push(...validateRule(r, `spec.rules[${i}]`)));
  return errs;
}

function validateRule(rule: PolicyRulesWithSubjects, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const subjects = rule.subjects ?? [];
  if (subjects.length) subjects.forEach((s, i) => errs.push(...validateSubject(s, `${path}.subjects[${i}]`)));
  else errs.push(required(`${path}.subjects`, 'subjects must contain at least one value'));
  if (!rule.resourceRules?.length && !rule.nonResourceRules?.length) errs.push(required(path, 'at least one of resourceRules and nonResourceRules has to be non-empty'));
  (rule.resourceRules ?? []).forEach((r, i) => errs.push(...validateResourceRule(r, `${path}.resourceRules[${i}]`)));
  (rule.nonResourceRules ?? []).forEach((r, i) => errs.push(...validateNonResourceRule(r, `${path}.nonResourceRules[${i}]`)));
  return errs;
}

function validateSubject(s: FlowSubject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const notUser = () => (s.user ? [forbidden(`${path}.user`, "user is forbidden when subject kind is not 'User'")] : []);
  const notGroup = () => (s.group ? [forbidden(`${path}.group`, "group is forbidden when subject kind is not 'Group'")] : []);
  const notSA = () => (s.serviceAccount ? [forbidden(`${path}.serviceAccount`, "serviceAccount is forbidden when subject kind is not 'ServiceAccount'")] : []);
  switch (s.kind) {
    case 'ServiceAccount': {
      const sa = s.serviceAccount;
      if (!sa) errs.push(required(`${path}.serviceAccount`, "serviceAccount is required when subject kind is 'ServiceAccount'"));
      else {
        if (!sa.name) errs.push(required(`${path}.serviceAccount.name`));
        else if (sa.name !== '*') errs.push(...isDNS1123Subdomain(sa.name).map((m) => invalid(`${path}.serviceAccount.name`, sa.name, m)));
        if (sa.namespace) errs.push(...isDNS1123Label(sa.namespace).map((m) => invalid(`${path}.serviceAccount.namespace`, sa.namespace, m)));
        else errs.push(required(`${path}.serviceAccount.namespace`, 'must specify namespace for service account'));
      }
      errs.push(...notUser(), ...notGroup());
      break;
    }
    case 'User':
      if (!s.user) errs.push(required(`${path}.user`, "user is required when subject kind is 'User'"));
      else if (!s.user.name) errs.push(required(`${path}.user.name`));
      errs.push(...notSA(), ...notGroup());
      break;
    case 'Group':
      if (!s.group) errs.push(required(`${path}.group`, "group is required when subject kind is 'Group'"));
      else if (!s.group.name) errs.push(required(`${path}.group.name`));
      errs.push(...notSA(), ...notUser());
      break;
    default:
      errs.push(notSupported(`${path}.kind`, s.kind ?? '', SUBJECT_KINDS));
  }
  return errs;
}

function validateVerbs(verbs: string[] | undefined | null, path: string): FieldError[] {
  if (!verbs?.length) return [required(path, 'verbs must contain at least one value')];
  if (hasWildcard(verbs)) return verbs.length > 1 ? [invalid(path, goStrings(verbs), "if '*' is present, must not specify other verbs")] : [];
  return verbs.every((v) => SUPPORTED_VERBS.includes(v)) ? [] : [notSupported(path, goStrings(verbs), SUPPORTED_VERBS)];
}

function validateResourceRule(r: ResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(r.verbs, `${path}.verbs`);
  if (!r.apiGroups?.length) errs.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  else if (r.apiGroups.length > 1 && hasWildcard(r.apiGroups)) errs.push(invalid(`${path}.apiGroups`, goStrings(r.apiGroups), "if '*' is present, must not specify other api groups"));
  if (!r.resources?.length) errs.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  else if (r.resources.length > 1 && hasWildcard(r.resources)) errs.push(invalid(`${path}.resources`, goStrings(r.resources), "if '*' is present, must not specify other resources"));
  const ns = r.namespaces ?? [];
  if (!ns.length && !r.clusterScope) errs.push(required(`${path}.namespaces`, 'resource rules that are not cluster scoped must supply at least one namespace'));
  else if (hasWildcard(ns)) {
    if (ns.length > 1) errs.push(invalid(`${path}.namespaces`, goStrings(ns), "if '*' is present, must not specify other namespaces"));
  } else ns.forEach((n, i) => errs.push(...isDNS1123Label(n).map((m) => invalid(`${path}.namespaces[${i}]`, n, NS_ERR_INTRO + m))));
  return errs;
}

function validateNonResourceRule(r: NonResourcePolicyRule, path: string): FieldError[] {
  const errs = validateVerbs(r.verbs, `${path}.verbs`);
  const urls = r.nonResourceURLs ?? [];
  if (!urls.length) errs.push(required(`${path}.nonResourceURLs`, 'nonResourceURLs must contain at least one value'));
  else if (hasWildcard(urls)) {
    if (urls.length > 1) errs.push(invalid(`${path}.nonResourceURLs`, goStrings(urls), "if '*' is present, must not specify other non-resource URLs"));
  } else
    urls.forEach((u, i) => {
      const why = nonResourceURLProblem(u);
      if (why) errs.push(invalid(`${path}.nonResourceURLs[${i}]`, u, why));
    });
  return errs;
}

/** ValidateNonResourceURLPath: a leading slash, no white space or double slash, a wildcard only as a "/*" suffix. */
function nonResourceURLProblem(path: string): string | undefined {
  if (!path) return 'must not be empty';
  if (path === '/') return undefined;
  if (!path.startsWith('/')) return 'must start with slash';
  if (path.includes(' ')) return 'must not contain white-space';
  if (path.includes('//')) return 'must not contain double slash';
  const stars = path.split('*').length - 1;
  if (stars > 1 || (stars === 1 && !path.endsWith('/*'))) return 'wildcard can only do suffix matching';
  return undefined;
}

function validateConditions(conditions: { type?: string }[] | undefined | null): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (conditions ?? []).forEach((c, i) => {
    if (seen.has(c.type ?? '')) errs.push(duplicate(`status.conditions[${i}].type`, c.type ?? ''));
    seen.add(c.type ?? '');
    if (!c.type) errs.push(required(`status.conditions[${i}].type`, 'must not be empty'));
  });
  return errs;
}

export function validatePriorityLevelConfiguration(pl: PriorityLevelConfiguration): FieldError[] {
  const name = pl.metadata?.name ?? '';
  const spec = pl.spec ?? ({} as PriorityLevelConfigurationSpec);
  const errs = [...validateObjectMeta(pl.metadata, false), ...validatePriorityLevelSpec(name, spec)];
  // (ValidateIfMandatoryPriorityLevelConfigurationObject: the exempt level's spec.exempt may
  // change, nothing else of it; catch-all's spec is not checked, for backwards compatibility)
  if (name === 'exempt') {
    const fixed = MANDATORY_PRIORITY_LEVELS.find((m) => m.metadata!.name === 'exempt')!.spec!;
    if (!sameSpec({ ...spec, exempt: undefined }, { ...fixed, exempt: undefined }, 'PriorityLevelConfigurationSpec')) {
      errs.push(invalid('spec', new VerbatimValue('flowcontrol.PriorityLevelConfigurationSpec{...}'), "spec of 'exempt' except the 'spec.exempt' field must equal the fixed value"));
    }
  }
  errs.push(...validateConditions(pl.status?.conditions));
  return errs;
}

/** rest.BeforeUpdate's common checks, then ValidatePriorityLevelConfigurationUpdate, which is ValidatePriorityLevelConfiguration. */
export const validatePriorityLevelConfigurationUpdate = (pl: PriorityLevelConfiguration, old: PriorityLevelConfiguration): FieldError[] => [
  ...validateGenericObjectMetaUpdate(pl.metadata, old.metadata, false),
  ...validatePriorityLevelConfiguration(pl),
];

export const validatePriorityLevelConfigurationStatus = (pl: PriorityLevelConfiguration): FieldError[] => validateConditions(pl.status?.conditions);

function validatePriorityLevelSpec(name: string, spec: PriorityLevelConfigurationSpec): FieldError[] {
  const errs: FieldError[] = [];
  if ((name === 'exempt') !== (spec.type === 'Exempt')) errs.push(invalid('spec.type', spec.type ?? '', "type must be 'Exempt' if and only if name is 'exempt'"));
  switch (spec.type) {
    case 'Exempt':
      if (spec.limited) errs.push(forbidden('spec.limited', 'must be nil if the type is not Limited'));
      if (spec.exempt) {
        const e = spec.exempt;
        if (e.nominalConcurrencyShares != null && e.nominalConcurrencyShares < 0) errs.push(invalid('spec.exempt.nominalConcurrencyShares', e.nominalConcurrencyShares, 'must be a non-negative number'));
        if (e.lendablePercent != null && (e.lendablePercent < 0 || e.lendablePercent > 100)) errs.push(invalid('spec.exempt.lendablePercent', e.lendablePercent, 'must be between 0 and 100, inclusive'));
      }
      break;
    case 'Limited':
      if (spec.exempt) errs.push(forbidden('spec.exempt', 'must be nil if the type is Limited'));
      if (!spec.limited) errs.push(required('spec.limited', 'must not be empty when type is Limited'));
      else errs.push(...validateLimited(spec.limited, 'spec.limited'));
      break;
    default:
      errs.push(notSupported('spec.type', spec.type ?? '', ['Exempt', 'Limited']));
  }
  return errs;
}

function validateLimited(l: LimitedPriorityLevelConfiguration, path: string): FieldError[] {
  const errs: FieldError[] = [];
  // (v1 allows zero shares: AllowZeroLimitedNominalConcurrencyShares)
  const ncs = l.nominalConcurrencyShares ?? 0;
  if (ncs < 0) errs.push(invalid(`${path}.nominalConcurrencyShares`, ncs, 'must be a non-negative integer'));
  const lr = l.limitResponse ?? { type: '' };
  switch (lr.type) {
    case 'Reject':
      if (lr.queuing) errs.push(forbidden(`${path}.limitResponse.queuing`, 'must be nil if limited.limitResponse.type is not Limited'));
      break;
    case 'Queue': {
      const q = lr.queuing;
      if (!q) {
        errs.push(required(`${path}.limitResponse.queuing`, 'must not be empty if limited.limitResponse.type is Limited'));
        break;
      }
      const qp = `${path}.limitResponse.queuing`;
      const queues = q.queues ?? 0;
      const hand = q.handSize ?? 0;
      if ((q.queueLengthLimit ?? 0) <= 0) errs.push(invalid(`${qp}.queueLengthLimit`, q.queueLengthLimit ?? 0, 'must be positive'));
      if (queues <= 0) errs.push(invalid(`${qp}.queues`, queues, 'must be positive'));
      else if (queues > MAX_QUEUES) errs.push(invalid(`${qp}.queues`, queues, `must not be greater than ${MAX_QUEUES}`));
      if (hand <= 0) errs.push(invalid(`${qp}.handSize`, hand, 'must be positive'));
      else if (hand > queues) errs.push(invalid(`${qp}.handSize`, hand, `should not be greater than queues (${queues})`));
      else if (Math.ceil(hand * Math.log2(queues)) > MAX_HASH_BITS) errs.push(invalid(`${qp}.handSize`, hand, `required entropy bits of deckSize ${queues} and handSize ${hand} should not be greater than ${MAX_HASH_BITS}`));
      break;
    }
    default:
      errs.push(notSupported(`${path}.limitResponse.type`, lr.type ?? '', ['Queue', 'Reject']));
  }
  if (l.lendablePercent != null && (l.lendablePercent < 0 || l.lendablePercent > 100)) errs.push(invalid(`${path}.lendablePercent`, l.lendablePercent, 'must be between 0 and 100, inclusive'));
  if (l.borrowingLimitPercent != null && l.borrowingLimitPercent < 0) errs.push(invalid(`${path}.borrowingLimitPercent`, l.borrowingLimitPercent, 'if specified, must be a non-negative integer'));
  return errs;
}
