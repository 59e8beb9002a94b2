// Validation of core/v1 Endpoints (ValidateEndpoints) and discovery.k8s.io/v1 EndpointSlices
// (pkg/apis/discovery/validation), with Kubernetes' messages and field paths.
//
// One departure: loopback addresses are accepted. Kubernetes refuses them (ValidateNonSpecialIP),
// but a single-machine tskube apiserver advertises 127.0.0.1 and its own `kubernetes` Endpoints
// and EndpointSlice name that address.
import { duplicate, invalid, notSupported, required, tooMany, type FieldError } from './field-error.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidPortNum } from './names.js';
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSlice } from './types.js';
import { PROTOCOLS } from './validation-container.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';
import { nonSpecialIP, VALID_IP_MESSAGE } from './validation-service.js';

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_TOPOLOGY_LABELS = 16;

const nodeNameErrors = (name: string, path: string) => isDNS1123Subdomain(name).map((m) => invalid(path, name, m));

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, true, 'metadata');
  (ep.subsets ?? []).forEach((ss, i) => {
    const path = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) errs.push(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${path}.addresses[${j}]`)));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${path}.notReadyAddresses[${j}]`)));
    const ports = ss.ports ?? [];
    ports.forEach((p, j) => errs.push(...validatePort(p, ports.length > 1, `${path}.ports[${j}]`)));
  });
  return errs;
}

export function validateEndpointsUpdate(ep: Endpoints, old: Endpoints): FieldError[] {
  return [...validateObjectMetaUpdate(ep.metadata, old.metadata, true), ...validateEndpoints(ep).filter((e) => !e.field.startsWith('metadata'))];
}

function validateAddress(a: EndpointAddress, path: string): FieldError[] {
  const ip = a.ip ?? '';
  const errs = isValidIP(ip) ? nonSpecialIP(ip, `${path}.ip`) : [invalid(`${path}.ip`, ip, VALID_IP_MESSAGE)];
  if (a.hostname) errs.push(...isDNS1123Label(a.hostname).map((m) => invalid(`${path}.hostname`, a.hostname, m)));
  if (a.nodeName !== undefined) errs.push(...nodeNameErrors(a.nodeName, `${path}.nodeName`));
  return errs;
}

function validatePort(p: EndpointPort, requireName: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${path}.name`));
  else if (p.name) errs.push(...isDNS1123Label(p.name).map((m) => invalid(`${path}.name`, p.name, m)));
  errs.push(...isValidPortNum(p.port ?? 0).map((m) => invalid(`${path}.port`, p.port ?? 0, m)));
  errs.push(...validateProtocol(p.protocol, `${path}.protocol`));
  if (p.appProtocol !== undefined) errs.push(...isQualifiedName(p.appProtocol).map((m) => invalid(`${path}.appProtocol`, p.appProtocol, m)));
  return errs;
}

function validateProtocol(protocol: string | undefined, path: string): FieldError[] {
  if (!protocol) return [required(path)];
  return PROTOCOLS.includes(protocol) ? [] : [notSupported(path, protocol, PROTOCOLS)];
}

export function validateEndpointSlice(slice: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, true, 'metadata');
  const type = slice.addressType;
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_ENDPOINTS));
  else endpoints.forEach((e, i) => {
    const path = `endpoints[${i}]`;
    const addrs = e.addresses ?? [];
    if (!addrs.length) errs.push(required(`${path}.addresses`, 'must contain at least 1 address'));
    else if (addrs.length > MAX_ADDRESSES) errs.push(tooMany(`${path}.addresses`, addrs.length, MAX_ADDRESSES));
    addrs.forEach((a, j) => errs.push(...validateSliceAddress(a, type, `${path}.addresses[${j}]`)));
    if (e.nodeName !== undefined) errs.push(...nodeNameErrors(e.nodeName, `${path}.nodeName`));
    const topology = e.deprecatedTopology ?? {};
    if (Object.keys(topology).length > MAX_TOPOLOGY_LABELS) errs.push(tooMany(`${path}.deprecatedTopology`, Object.keys(topology).length, MAX_TOPOLOGY_LABELS));
    errs.push(...validateLabels(topology, `${path}.deprecatedTopology`));
    if (e.hostname !== undefined) errs.push(...isDNS1123Label(e.hostname).map((m) => invalid(`${path}.hostname`, e.hostname, m)));
  });
  const ports = slice.ports ?? [];
  if (ports.length > MAX_PORTS) errs.push(tooMany('ports', ports.length, MAX_PORTS));
  else {
    const names = new Set<string>();
    ports.forEach((p, i) => {
      const name = p.name ?? '';
      if (name) errs.push(...isDNS1123Label(name).map((m) => invalid(`ports[${i}].name`, name, m)));
      if (names.has(name)) errs.push(duplicate(`ports[${i}].name`, name));
      names.add(name);
      errs.push(...validateProtocol(p.protocol, `ports[${i}].protocol`));
      if (p.port !== undefined) errs.push(...isValidPortNum(p.port).map((m) => invalid(`ports[${i}].port`, p.port, m)));
      if (p.appProtocol !== undefined) errs.push(...isQualifiedName(p.appProtocol).map((m) => invalid(`ports[${i}].appProtocol`, p.appProtocol, m)));
    });
  }
  return errs;
}

function validateSliceAddress(a: string, type: string | undefined, path: string): FieldError[] {
  switch (type) {
    case 'IPv4':
      return isValidIP(a) && !a.includes(':') ? nonSpecialIP(a, path) : [invalid(path, a, 'must be a valid IPv4 address')];
    case 'IPv6':
      return isValidIP(a) && a.includes(':') ? nonSpecialIP(a, path) : [invalid(path, a, 'must be a valid IPv6 address')];
    case 'FQDN':
      return isDNS1123Subdomain(a).map((m) => invalid(path, a, m));
    default:
      return [];
  }
}

export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): FieldError[] {
  const errs = [...validateObjectMetaUpdate(slice.metadata, old.metadata, true), ...validateEndpointSlice(slice).filter((e) => !e.field.startsWith('metadata'))];
  if (slice.addressType !== old.addressType) errs.push(invalid('addressType', slice.addressType, 'field is immutable'));
  return errs;
}
