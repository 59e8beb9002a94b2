// networking.k8s.io/v1 validation (pkg/apis/networking/validation): Ingress rules (hosts, wildcard
// hosts, paths by pathType, backends), TLS hosts and secret names, the class name and the
// deprecated class annotation, the status's load-balancer addresses; IngressClass controllers and
// parameters. Messages and field paths are Kubernetes' own.
import { forbidden, invalid, notSupported, required, tooLong, type FieldError } from './field-error.js';
import { INGRESS_CLASS_ANNOTATION } from './ingress-class.js';
import { DNS1123_SUBDOMAIN_MAX, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum } from './names.js';
import type { Ingress, IngressBackend, IngressClass, IngressClassParametersReference, IngressSpec, TypedLocalObjectReference } from './types.js';
import { nameIsDNS1035Label, nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { VALID_IP_MESSAGE } from './validation-service.js';

export const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];
const MAX_CONTROLLER_LENGTH = 250;
const PARAMETER_SCOPES = ['Cluster', 'Namespace'];

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const wildcardFmt = `\\*\\.${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const wildcardRe = new RegExp(`^${wildcardFmt}$`);
const httpPathFmt = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const httpPathRe = new RegExp(`^${httpPathFmt}$`);

/** IsWildcardDNS1123Subdomain: `*.` then a DNS subdomain. */
export function isWildcardDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > DNS1123_SUBDOMAIN_MAX) errs.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
  if (!wildcardRe.test(value)) {
    errs.push(
      "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character " +
        `(e.g. '*.example.com', regex used for validation is '${wildcardFmt}')`,
    );
  }
  return errs;
}

/** IsValidPathSegmentName: what may be one segment of a URL path (a kind, a name). */
function isValidPathSegmentName(name: string): string[] {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** IsDomainPrefixedPath: `acme.io/foo`. */
function domainPrefixedPath(value: string, path: string): FieldError[] {
  if (!value) return [required(path)];
  const slash = value.indexOf('/');
  if (slash <= 0 || slash === value.length - 1) return [invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")')];
  const host = value.slice(0, slash);
  const rest = value.slice(slash + 1);
  const errs = isDNS1123Subdomain(host).map((m) => invalid(path, host, m));
  if (!httpPathRe.test(rest)) errs.push(invalid(path, rest, `Invalid path (regex used for validation is '${httpPathFmt}')`));
  return errs;
}

/** A host of a rule or a TLS entry: a DNS subdomain, or a wildcard one. */
function hostErrors(host: string, path: string): FieldError[] {
  const check = host.includes('*') ? isWildcardDNS1123Subdomain : isDNS1123Subdomain;
  return check(host).map((m) => invalid(path, host, m));
}

function typedLocalObjectReference(ref: TypedLocalObjectReference | IngressClassParametersReference, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (ref.apiGroup !== undefined) errs.push(...isDNS1123Subdomain(ref.apiGroup).map((m) => invalid(`${path}.apiGroup`, ref.apiGroup, m)));
  if (!ref.kind) errs.push(required(`${path}.kind`, 'kind is required'));
  else errs.push(...isValidPathSegmentName(ref.kind).map((m) => invalid(`${path}.kind`, ref.kind, m)));
  if (!ref.name) errs.push(required(`${path}.name`, 'name is required'));
  else errs.push(...isValidPathSegmentName(ref.name).map((m) => invalid(`${path}.name`, ref.name, m)));
  return errs;
}

function validateBackend(b: IngressBackend, path: string): FieldError[] {
  if (b.resource && b.service) return [invalid(path, '', 'cannot set both resource and service backends')];
  if (b.resource) return typedLocalObjectReference(b.resource, `${path}.resource`);
  if (!b.service) return [invalid(path, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const svc = b.service;
  if (!svc.name) errs.push(required(`${path}.service.name`));
  else errs.push(...nameIsDNS1035Label(svc.name, false).map((m) => invalid(`${path}.service.name`, svc.name, m)));
  const name = svc.port?.name ?? '';
  const number = svc.port?.number ?? 0;
  if (name && number) errs.push(invalid(path, '', 'cannot set both port name & port number'));
  else if (name) errs.push(...isValidPortName(name).map((m) => invalid(`${path}.service.port.name`, name, m)));
  else if (number) errs.push(...isValidPortNum(number).map((m) => invalid(`${path}.service.port.number`, number, m)));
  else errs.push(required(path, 'port name or number is required'));
  return errs;
}

function validateRules(spec: IngressSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  (spec.rules ?? []).forEach((rule, i) => {
    const rp = `${path}[${i}]`;
    const host = rule.host ?? '';
    if (host) {
      if (isValidIP(host)) errs.push(invalid(`${rp}.host`, host, 'must be a DNS name, not an IP address'));
      errs.push(...hostErrors(host, `${rp}.host`));
    }
    if (!rule.http) return;
    const hp = `${rp}.http`;
    const paths = rule.http.paths ?? [];
    if (!paths.length) errs.push(required(`${hp}.paths`));
    paths.forEach((p, j) => {
      const pp = `${hp}.paths[${j}]`;
      if (p.pathType === undefined) return void errs.push(required(`${pp}.pathType`, 'pathType must be specified'));
      const value = p.path ?? '';
      switch (p.pathType) {
        case 'Exact':
        case 'Prefix':
          if (!value.startsWith('/')) errs.push(invalid(`${pp}.path`, value, 'must be an absolute path'));
          for (const seq of INVALID_PATH_SEQUENCES) if (value.includes(seq)) errs.push(invalid(`${pp}.path`, value, `must not contain '${seq}'`));
          for (const suffix of INVALID_PATH_SUFFIXES) if (value.endsWith(suffix)) errs.push(invalid(`${pp}.path`, value, `cannot end with '${suffix}'`));
          break;
        case 'ImplementationSpecific':
          if (value && !value.startsWith('/')) errs.push(invalid(`${pp}.path`, value, 'must be an absolute path'));
          break;
        default:
          errs.push(notSupported(`${pp}.pathType`, p.pathType, PATH_TYPES));
      }
      errs.push(...validateBackend(p.backend ?? {}, `${pp}.backend`));
    });
  });
  return errs;
}

function validateIngressSpec(spec: IngressSpec, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec.rules?.length && !spec.defaultBackend) errs.push(invalid(path, spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  if (spec.defaultBackend) errs.push(...validateBackend(spec.defaultBackend, `${path}.defaultBackend`));
  errs.push(...validateRules(spec, `${path}.rules`));
  (spec.tls ?? []).forEach((tls, i) => {
    (tls.hosts ?? []).forEach((h, j) => errs.push(...hostErrors(h, `${path}.tls[${i}].hosts[${j}]`)));
    if (tls.secretName) errs.push(...nameIsDNSSubdomain(tls.secretName, false).map((m) => invalid(`${path}.tls[${i}].secretName`, tls.secretName, m)));
  });
  const cls = spec.ingressClassName;
  if (cls !== undefined) errs.push(...nameIsDNSSubdomain(cls, false).map((m) => invalid(`${path}.ingressClassName`, cls, m)));
  return errs;
}

function validateIngressCommon(ing: Ingress): FieldError[] {
  return validateIngressSpec(ing.spec ?? {}, 'spec');
}

/** ValidateIngressCreate: metadata, spec, and a class annotation that must agree with the field. */
export function validateIngress(ing: Ingress): FieldError[] {
  const errs = [...validateObjectMeta(ing.metadata, true), ...validateIngressCommon(ing)];
  const annotation = ing.metadata?.annotations?.[INGRESS_CLASS_ANNOTATION];
  const cls = ing.spec?.ingressClassName;
  if (annotation !== undefined && cls !== undefined && annotation !== cls) {
    errs.push(invalid(`annotations.${INGRESS_CLASS_ANNOTATION}`, annotation, 'must match `ingressClassName` when both are specified'));
  }
  return errs;
}

export function validateIngressUpdate(ing: Ingress, old: Ingress): FieldError[] {
  return [...validateObjectMetaUpdate(ing.metadata, old.metadata, true), ...validateIngressCommon(ing)];
}

/** ValidateIngressStatusUpdate: the load balancer's addresses. */
export function validateIngressStatusUpdate(ing: Ingress, old: Ingress): FieldError[] {
  const errs = validateObjectMetaUpdate(ing.metadata, old.metadata, true);
  (ing.status?.loadBalancer?.ingress ?? []).forEach((lb, i) => {
    const path = `status.loadBalancer.ingress[${i}]`;
    if (lb.ip && !isValidIP(lb.ip)) errs.push(invalid(`${path}.ip`, lb.ip, VALID_IP_MESSAGE));
    if (lb.hostname) {
      errs.push(...isDNS1123Subdomain(lb.hostname).map((m) => invalid(`${path}.hostname`, lb.hostname, m)));
      if (isValidIP(lb.hostname)) errs.push(invalid(`${path}.hostname`, lb.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

function validateParameters(p: IngressClassParametersReference, path: string): FieldError[] {
  const errs = typedLocalObjectReference(p, path);
  if (p.scope === undefined) return [...errs, required(`${path}.scope`)];
  if (!PARAMETER_SCOPES.includes(p.scope)) return [...errs, notSupported(`${path}.scope`, p.scope, PARAMETER_SCOPES)];
  if (p.scope === 'Namespace') {
    if (p.namespace === undefined) errs.push(required(`${path}.namespace`, "`parameters.scope` is set to 'Namespace'"));
    else errs.push(...nameIsDNSLabel(p.namespace, false).map((m) => invalid(`${path}.namespace`, p.namespace, m)));
  }
  if (p.scope === 'Cluster' && p.namespace !== undefined) errs.push(forbidden(`${path}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  return errs;
}

export function validateIngressClass(c: IngressClass): FieldError[] {
  const errs = validateObjectMeta(c.metadata, false);
  const controller = c.spec?.controller ?? '';
  if (controller.length > MAX_CONTROLLER_LENGTH) errs.push(tooLong('spec.controller', '', MAX_CONTROLLER_LENGTH));
  errs.push(...domainPrefixedPath(controller, 'spec.controller'));
  if (c.spec?.parameters) errs.push(...validateParameters(c.spec.parameters, 'spec.parameters'));
  return errs;
}

export function validateIngressClassUpdate(c: IngressClass, old: IngressClass): FieldError[] {
  const errs = validateObjectMetaUpdate(c.metadata, old.metadata, false);
  if ((c.spec?.controller ?? '') !== (old.spec?.controller ?? '')) errs.push(invalid('spec.controller', c.spec?.controller ?? '', 'field is immutable'));
  return [...errs, ...validateIngressClass(c).filter((e) => !e.field.startsWith('metadata'))];
}
