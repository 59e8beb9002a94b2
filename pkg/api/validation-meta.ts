// ObjectMeta validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go) and the small
// field checks every kind shares.
import { forbidden, goStrings, invalid, notSupported, required, tooLong, VerbatimValue, type FieldError } from './field-error.js';
import { isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
import { isValidQuantity, parseQuantity, QUANTITY_FORMAT_MESSAGE } from './quantity.js';
import type { ObjectMeta, OwnerReference } from './types.js';

export type NameValidator = (name: string, prefix: boolean) => string[];

/** Names of most kinds (pods, nodes, events, leases): DNS-1123 subdomains. */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** Namespace names: RFC 1123 labels. */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** Service names: DNS-1035 labels. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** generateName may end in '-': validate it as if the random suffix followed. */
const maskTrailingDash = (name: string) => (name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name);

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const m of isQualifiedName(k)) errs.push(invalid(path, k, m));
    for (const m of isValidLabelValue(String(v))) errs.push(invalid(path, v, m));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, m));
    total += k.length + String(v).length;
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, undefined, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

export const nonNegative = (v: number | undefined | null, path: string): FieldError[] =>
  typeof v === 'number' && v < 0 ? [invalid(path, v, 'must be greater than or equal to 0')] : [];

export const positive = (v: number | undefined | null, path: string): FieldError[] =>
  typeof v === 'number' && v <= 0 ? [invalid(path, v, 'must be greater than zero')] : [];

export function oneOf(v: string | undefined | null, allowed: string[], path: string): FieldError[] {
  if (v === undefined || v === null || v === '') return [];
  return allowed.includes(v) ? [] : [notSupported(path, v, allowed)];
}

export function dnsSubdomain(v: string | undefined | null, path: string): FieldError[] {
  if (!v) return [];
  return isDNS1123Subdomain(v).map((m) => invalid(path, v, m));
}

export function dnsLabel(v: string | undefined | null, path: string): FieldError[] {
  if (!v) return [];
  return isDNS1123Label(v).map((m) => invalid(path, v, m));
}

export function qualifiedName(v: string | undefined | null, path: string): FieldError[] {
  return isQualifiedName(v ?? '').map((m) => invalid(path, v ?? '', m));
}

const standardResources = ['cpu', 'memory', 'ephemeral-storage', 'storage', 'pods'];

/** A map of resource name → quantity (limits, requests, capacity, overhead). */
export function validateResourceList(list: Record<string, string> | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, q] of Object.entries(list ?? {})) {
    const p = `${path}[${name}]`;
    if (!standardResources.includes(name) && !name.startsWith('hugepages-') && !name.includes('/')) {
      errs.push(invalid(p, name, 'must be a standard resource type or fully qualified'));
    } else {
      for (const m of isQualifiedName(name)) errs.push(invalid(p, name, m));
    }
    if (!isValidQuantity(q)) {
      errs.push(invalid(p, q, QUANTITY_FORMAT_MESSAGE));
    } else if (parseQuantity(q) < 0) {
      errs.push(invalid(p, q, 'must be greater than or equal to 0'));
    }
  }
  return errs;
}

/**
 * apimachinery's ValidateObjectMeta (ValidateObjectMetaAccessor): name (or generateName) per
 * `nameFn`, namespace required for namespaced kinds and forbidden otherwise, labels,
 * annotations, owner references, finalizers. What custom resources, CRDs, Leases,
 * RuntimeClasses and the admissionregistration kinds get; core-validated kinds use validateObjectMeta.
 */
export function validateGenericObjectMeta(meta: ObjectMeta | undefined | null, namespaced: boolean, path = 'metadata', nameFn: NameValidator = nameIsDNSSubdomain): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  if (m.generateName) for (const msg of nameFn(m.generateName, true)) errs.push(invalid(`${path}.generateName`, m.generateName, msg));
  if (!m.name) {
    if (!m.generateName) errs.push(required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of nameFn(m.name, false)) errs.push(invalid(`${path}.name`, m.name, msg));
  }
  if (namespaced) {
    if (!m.namespace) errs.push(required(`${path}.namespace`));
    else errs.push(...dnsLabel(m.namespace, `${path}.namespace`));
  } else if (m.namespace) {
    errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...nonNegative(m.generation, `${path}.generation`));
  errs.push(...nonNegative(m.deletionGracePeriodSeconds, `${path}.deletionGracePeriodSeconds`));
  errs.push(...validateLabels(m.labels, `${path}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${path}.annotations`));
  errs.push(...validateOwnerReferences(m.ownerReferences, `${path}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${path}.finalizers`));
  return errs;
}

/**
 * pkg/apis/core/validation's ValidateObjectMeta, which every core kind and most groups (apps,
 * batch, rbac, storage, networking...) use: the generic checks, then an unqualified finalizer
 * name must be a standard one.
 */
export function validateObjectMeta(meta: ObjectMeta | undefined | null, namespaced: boolean, path = 'metadata', nameFn: NameValidator = nameIsDNSSubdomain): FieldError[] {
  return [...validateGenericObjectMeta(meta, namespaced, path, nameFn), ...kubeFinalizerNames(meta?.finalizers, `${path}.finalizers`)];
}

/**
 * ValidateFinalizers: names are qualified names, reported at the list's path (each is handed
 * fldPath); orphan and foregroundDeletion ask for opposite deletions. Duplicates are allowed, as in 1.32.
 */
export function validateFinalizers(finalizers: string[] | undefined | null, path: string): FieldError[] {
  const errs = (finalizers ?? []).flatMap((f) => qualifiedName(f, path));
  if (finalizers?.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(path, goStrings(finalizers), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** Kinds no object may be owned by (BannedOwners), as `group/version, Kind=kind`. */
const BANNED_OWNERS = new Set(['/v1, Kind=Event']);

/** A *bool as %#v prints it (the address shown as the value it points to, as crd-cel.ts does). */
const goBoolPointer = (b: boolean | undefined | null) => (b === undefined || b === null ? '(*bool)(nil)' : `(*bool)(${b})`);
const goOwnerReference = (o: OwnerReference) =>
  `v1.OwnerReference{APIVersion:${JSON.stringify(o.apiVersion ?? '')}, Kind:${JSON.stringify(o.kind ?? '')}, Name:${JSON.stringify(o.name ?? '')}, UID:${JSON.stringify(o.uid ?? '')}, Controller:${goBoolPointer(o.controller)}, BlockOwnerDeletion:${goBoolPointer(o.blockOwnerDeletion)}}`;

/**
 * ValidateOwnerReferences: each reference's errors are reported at the list's path, not at its
 * index (validateOwnerReference is handed fldPath); a core v1 Event owns nothing; each
 * controller after the first is named beside the first.
 */
export function validateOwnerReferences(refs: OwnerReference[] | undefined | null, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const o of refs ?? []) {
    const gv = parseGroupVersion(o.apiVersion ?? '');
    const gvk = `${gv.group}/${gv.version}, Kind=${o.kind ?? ''}`;
    if (!gv.version) errs.push(invalid(`${path}.apiVersion`, o.apiVersion ?? '', 'version must not be empty'));
    if (!o.kind) errs.push(invalid(`${path}.kind`, o.kind ?? '', 'kind must not be empty'));
    if (!o.name) errs.push(invalid(`${path}.name`, o.name ?? '', 'name must not be empty'));
    if (!o.uid) errs.push(invalid(`${path}.uid`, o.uid ?? '', 'uid must not be empty'));
    if (BANNED_OWNERS.has(gvk)) errs.push(invalid(path, new VerbatimValue(goOwnerReference(o)), `${gvk} is disallowed from being an owner`));
    if (o.controller) {
      const current = `${o.kind ?? ''}/${o.name ?? ''}`;
      if (firstController) {
        const all = new VerbatimValue(`[]v1.OwnerReference{${(refs ?? []).map(goOwnerReference).join(', ')}}`);
        errs.push(invalid(path, all, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

/** schema.ParseGroupVersion: "" and "/" are empty, "v1" the legacy group, "g/v" a group; more slashes parse to nothing. */
function parseGroupVersion(gv: string): { group: string; version: string } {
  if (gv === '' || gv === '/') return { group: '', version: '' };
  const parts = gv.split('/');
  if (parts.length === 1) return { group: '', version: gv };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { group: '', version: '' };
}

/** The finalizers core validation knows without a domain (standardFinalizers). */
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** A finalizer name without a '/' that is not a standard one (core validation refuses it, custom resources warn of it). */
export const isUnqualifiedFinalizer = (f: string) => !f.includes('/') && !STANDARD_FINALIZERS.has(f);

/** validateKubeFinalizerName: a name without a '/' must be a standard finalizer. */
export function kubeFinalizerName(f: string, path: string): FieldError[] {
  return isUnqualifiedFinalizer(f) ? [invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified')] : [];
}

/** Core validation's extra check of metadata.finalizers, one index at a time. */
const kubeFinalizerNames = (finalizers: string[] | undefined | null, path: string): FieldError[] => (finalizers ?? []).flatMap((f, i) => kubeFinalizerName(f, `${path}[${i}]`));

const immutable = (path: string, v: unknown) => invalid(path, v, 'field is immutable');

/**
 * An update as the generic registry checks it (rest.BeforeUpdate's validateCommonFields): the
 * new metadata is valid (ValidateObjectMetaAccessor) and identity fields did not change
 * (ValidateObjectMetaAccessorUpdate). What the kinds of validateGenericObjectMeta get.
 */
export function validateGenericObjectMetaUpdate(meta: ObjectMeta | undefined | null, old: ObjectMeta | undefined | null, namespaced: boolean, path = 'metadata', nameFn: NameValidator = nameIsDNSSubdomain): FieldError[] {
  const n = meta ?? {};
  const o = old ?? {};
  const errs = validateGenericObjectMeta(n, namespaced, path, nameFn);
  if ((n.name ?? '') !== (o.name ?? '')) errs.push(immutable(`${path}.name`, n.name));
  if ((n.namespace ?? '') !== (o.namespace ?? '')) errs.push(immutable(`${path}.namespace`, n.namespace));
  if (o.uid && n.uid && n.uid !== o.uid) errs.push(immutable(`${path}.uid`, n.uid));
  if (o.creationTimestamp && n.creationTimestamp && n.creationTimestamp !== o.creationTimestamp) errs.push(immutable(`${path}.creationTimestamp`, n.creationTimestamp));
  // Like rest.BeforeUpdate, an update that omits these keeps the stored values; changing them fails.
  if (o.deletionTimestamp && n.deletionTimestamp && n.deletionTimestamp !== o.deletionTimestamp) errs.push(immutable(`${path}.deletionTimestamp`, n.deletionTimestamp));
  if (typeof o.deletionGracePeriodSeconds === 'number' && typeof n.deletionGracePeriodSeconds === 'number' && n.deletionGracePeriodSeconds !== o.deletionGracePeriodSeconds) {
    errs.push(immutable(`${path}.deletionGracePeriodSeconds`, n.deletionGracePeriodSeconds));
  }
  // (ValidateNoNewFinalizers: an object being deleted takes no new finalizer)
  if (o.deletionTimestamp) {
    const extra = [...new Set((n.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f)))].sort();
    if (extra.length) errs.push(forbidden(`${path}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(extra).text}`));
  }
  return errs;
}

/** The generic update checks, then core validation's ValidateObjectMetaUpdate adds its finalizer-name check. */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined | null, old: ObjectMeta | undefined | null, namespaced: boolean, path = 'metadata', nameFn: NameValidator = nameIsDNSSubdomain): FieldError[] {
  return [...validateGenericObjectMetaUpdate(meta, old, namespaced, path, nameFn), ...kubeFinalizerNames(meta?.finalizers, `${path}.finalizers`)];
}
