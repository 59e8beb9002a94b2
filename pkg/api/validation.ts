// Kubernetes validation for every kind tskube serves. Pod rules live in validation-pod.ts and
// validation-container.ts, metadata rules in validation-meta.ts; this file holds the rest and is
// the one entry point the apiserver imports.
import { duplicate, forbidden, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { isValidCIDR, isValidIP, isValidLabelValue } from './names.js';
import type { Binding, Lease, Namespace, Node } from './types.js';
import { dnsSubdomain, kubeFinalizerName, nameIsDNSLabel, nonNegative, oneOf, positive, qualifiedName, validateGenericObjectMeta, validateObjectMeta, validateObjectMetaUpdate, validateResourceList } from './validation-meta.js';
import { TAINT_EFFECTS } from './validation-affinity.js';

export { validateObjectMeta, validateObjectMetaUpdate, validateLabels, validateAnnotations, nameIsDNSLabel, nameIsDNSSubdomain } from './validation-meta.js';
export { validatePod, validatePodCreate, validatePodSpec, validatePodUpdate, validatePodStatusUpdate, validatePodEphemeralContainersUpdate, validateTolerations } from './validation-pod.js';
export { validateContainer } from './validation-container.js';
export { validateEvent, validateEventsV1Create, validateEventsV1Update } from './validation-event.js';
export { validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate } from './validation-config.js';
export { validateReplicaSet, validateReplicaSetUpdate, validateDeployment, validateDeploymentUpdate } from './validation-apps.js';

const NODE_ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, 'metadata');
  const spec = node.spec ?? {};
  if (spec.podCIDR && !isValidCIDR(spec.podCIDR)) errs.push(invalid('spec.podCIDR', spec.podCIDR, 'must be a valid CIDR'));
  const cidrs = spec.podCIDRs ?? [];
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(invalid(`spec.podCIDRs[${i}]`, c, 'must be a valid CIDR'));
  });
  if (cidrs.length > 2) errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
  if (new Set(cidrs).size !== cidrs.length) errs.push(duplicate('spec.podCIDRs', cidrs));
  if (spec.podCIDR && cidrs.length && cidrs[0] !== spec.podCIDR) errs.push(invalid('spec.podCIDRs[0]', cidrs[0], 'must match spec.podCIDR'));
  // (validateNodeTaints: the key a label name, the value a label value, an effect, each key and effect once)
  const seen = new Set<string>();
  (spec.taints ?? []).forEach((t, i) => {
    const p = `spec.taints[${i}]`;
    errs.push(...qualifiedName(t.key ?? '', `${p}.key`));
    const valueErrs = isValidLabelValue(t.value ?? '');
    if (valueErrs.length) errs.push(invalid(`${p}.value`, t.value ?? '', valueErrs.join(';')));
    if (!t.effect) errs.push(required(`${p}.effect`));
    else errs.push(...oneOf(t.effect, TAINT_EFFECTS, `${p}.effect`));
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) {
      const v = new VerbatimValue(`core.Taint{Key:${JSON.stringify(t.key ?? '')}, Value:${JSON.stringify(t.value ?? '')}, Effect:${JSON.stringify(t.effect ?? '')}, TimeAdded:${t.timeAdded ? `(*v1.Time)(${JSON.stringify(t.timeAdded)})` : '(*v1.Time)(nil)'}}`);
      errs.push({ ...duplicate(p, v), detail: 'taints must be unique by key and effect pair' });
    }
    seen.add(id);
  });
  const st = node.status ?? {};
  errs.push(...validateResourceList(st.capacity, 'status.capacity'));
  errs.push(...validateResourceList(st.allocatable, 'status.allocatable'));
  errs.push(...oneOf(st.phase, ['Pending', 'Running', 'Terminated'], 'status.phase'));
  (st.addresses ?? []).forEach((a, i) => {
    const p = `status.addresses[${i}]`;
    if (!a.type) errs.push(required(`${p}.type`));
    else errs.push(...oneOf(a.type, NODE_ADDRESS_TYPES, `${p}.type`));
    if (!a.address) errs.push(required(`${p}.address`));
    else if ((a.type === 'InternalIP' || a.type === 'ExternalIP') && !isValidIP(a.address)) errs.push(invalid(`${p}.address`, a.address, 'must be a valid IP address'));
  });
  (st.conditions ?? []).forEach((c, i) => {
    if (!c.type) errs.push(required(`status.conditions[${i}].type`));
    errs.push(...oneOf(c.status, ['True', 'False', 'Unknown'], `status.conditions[${i}].status`));
  });
  const port = st.daemonEndpoints?.kubeletEndpoint?.Port;
  if (port != null && (port < 0 || port > 65535)) errs.push(invalid('status.daemonEndpoints.kubeletEndpoint.Port', port, 'must be between 0 and 65535, inclusive'));
  return errs;
}

/** ValidateNodeUpdate: a podCIDR or providerID, once set, stays (the node IPAM sets them from ""). */
export function validateNodeUpdate(node: Node, old: Node): FieldError[] {
  const errs = validateNode(node);
  const was = old.spec?.podCIDRs ?? [];
  const now = node.spec?.podCIDRs ?? [];
  const msg = 'node updates may not change podCIDR except from "" to valid';
  if (was.length && (was.length !== now.length || was.some((c, i) => c !== now[i]))) errs.push(forbidden('spec.podCIDRs', msg));
  const oldProvider = (old.spec as { providerID?: string } | undefined)?.providerID;
  if (oldProvider && oldProvider !== (node.spec as { providerID?: string } | undefined)?.providerID) errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  return errs;
}

/**
 * Namespaces: RFC 1123 label names, cluster-scoped; spec.finalizers are qualified names, and
 * standard ones when unqualified, reported at the list (ValidateNamespace hands each the
 * unindexed path; only /finalize indexes them, validateNamespaceFinalize).
 */
export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, 'metadata', nameIsDNSLabel);
  for (const f of ns.spec?.finalizers ?? []) errs.push(...namespaceFinalizerName(f, 'spec.finalizers'));
  errs.push(...oneOf(ns.status?.phase, ['Active', 'Terminating'], 'status.phase'));
  return errs;
}

/**
 * ValidateNamespaceStatusUpdate (namespaces/status): the metadata as any update's, and a phase
 * that agrees with the deletion: Active until the namespace is deleted, Terminating after (Go's
 * field path, status.Phase, as 1.32 names it).
 */
export function validateNamespaceStatusUpdate(ns: Namespace, old: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(ns.metadata, old.metadata, false, 'metadata', nameIsDNSLabel);
  const phase = ns.status?.phase ?? '';
  if (!ns.metadata?.deletionTimestamp) {
    if (phase !== 'Active') errs.push(invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== 'Terminating') errs.push(invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"));
  return errs;
}

/** validateFinalizerName of a namespace's spec.finalizers: qualified, and standard when unqualified. */
const namespaceFinalizerName = (f: string, path: string): FieldError[] => [...qualifiedName(f, path), ...kubeFinalizerName(f, path)];

/** ValidateNamespaceFinalizeUpdate's spec check (PUT namespaces/NAME/finalize): each finalizer at its index. */
export function validateNamespaceFinalize(ns: Namespace): FieldError[] {
  return (ns.spec?.finalizers ?? []).flatMap((f, i) => namespaceFinalizerName(f, `spec.finalizers[${i}]`));
}

/** Leases take apimachinery's lax ObjectMeta checks (coordination validation does not import core's). */
export function validateLease(lease: Lease): FieldError[] {
  const errs = validateGenericObjectMeta(lease.metadata, true, 'metadata');
  const spec = lease.spec ?? {};
  errs.push(...positive(spec.leaseDurationSeconds, 'spec.leaseDurationSeconds'));
  errs.push(...nonNegative(spec.leaseTransitions, 'spec.leaseTransitions'));
  errs.push(...oneOf(spec.strategy, ['OldestEmulationVersion'], 'spec.strategy'));
  if (spec.preferredHolder && !spec.strategy) errs.push(required('spec.strategy', 'must be specified when preferredHolder is set'));
  return errs;
}

/** A Binding POSTed to pods/<name>/binding (ValidatePodBinding): the target must name a Node. */
export function validateBinding(b: Binding): FieldError[] {
  const errs: FieldError[] = [];
  const t = b.target ?? {};
  if (t.kind && t.kind !== 'Node') errs.push(notSupported('target.kind', t.kind, ['Node', '<empty>']));
  if (!t.name) errs.push(required('target.name'));
  else errs.push(...dnsSubdomain(t.name, 'target.name'));
  return errs;
}
