// apps/v1 validation of DaemonSets, StatefulSets and ControllerRevisions (pkg/apis/apps/validation):
// selectors and templates as for ReplicaSets, update strategies, and what an update may change.
// A StatefulSet's pod template is validated with the volumes its claim templates add (as
// Kubernetes' TODO there asks: the union of the template's volumes and the claims).
import { forbidden, invalid, notSupported, required, VerbatimValue, type FieldError } from './field-error.js';
import { goIntOrString, intOrPercentValue, percentOf, validateIntOrPercent, type IntOrString } from './int-or-percent.js';
import type { ControllerRevision, DaemonSet, PersistentVolumeClaim, PodTemplateSpec, StatefulSet } from './types.js';
import { semanticEqual } from './semantic-equal.js';
import { validateVolumeClaimTemplates } from './validation-storage.js';
import { selectorImmutable, validateSelectorAndTemplate } from './validation-apps.js';
import { dnsLabel, nameIsDNSLabel, nonNegative, validateObjectMeta, validateObjectMetaUpdate } from './validation-meta.js';

const isZero = (v: IntOrString | undefined) => v === undefined || v === null || v === 0 || percentOf(v) === 0;

/**
 * ValidateRollingUpdateDaemonSet: counts or percentages up to 100%, and exactly one of the two
 * non-zero — a surge replaces each node's pod by starting the new one first, so none may be
 * unavailable meanwhile. A DaemonSet that sets maxSurge alone is refused, its maxUnavailable
 * defaulting to 1 (users set maxUnavailable: 0 with it). Every check runs, as upstream's do.
 */
function validateRollingUpdateDaemonSet(ru: NonNullable<NonNullable<DaemonSet['spec']>['updateStrategy']>['rollingUpdate'], path: string): FieldError[] {
  if (!ru) return [required(path)];
  const mu = ru.maxUnavailable as IntOrString | undefined;
  const ms = ru.maxSurge as IntOrString | undefined;
  const errs = [...validateIntOrPercent(mu, `${path}.maxUnavailable`), ...validateIntOrPercent(ms, `${path}.maxSurge`)];
  if ((percentOf(mu) ?? 0) > 100) errs.push(invalid(`${path}.maxUnavailable`, goIntOrString(mu), 'must not be greater than 100%'));
  if ((percentOf(ms) ?? 0) > 100) errs.push(invalid(`${path}.maxSurge`, goIntOrString(ms), 'must not be greater than 100%'));
  const hasUnavailable = intOrPercentValue(mu) !== 0;
  const hasSurge = intOrPercentValue(ms) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(`${path}.maxSurge`, goIntOrString(ms), 'may not be set when maxUnavailable is non-zero'));
  if (!hasUnavailable && !hasSurge) errs.push(required(`${path}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const s = ds.spec ?? {};
  const errs = [...validateObjectMeta(ds.metadata, true, 'metadata'), ...validateSelectorAndTemplate(s.selector, s.template, 'spec', 'daemonset')];
  const st = s.updateStrategy ?? {};
  // (ValidateDaemonSetUpdateStrategy: OnDelete takes a rollingUpdate left from before, so that
  // `kubectl patch ds -p '{"spec":{"updateStrategy":{"type":"OnDelete"}}}'` works; another type
  // is reported on the whole strategy, printed as Go's %#v of the internal struct)
  if (st.type === 'RollingUpdate') errs.push(...validateRollingUpdateDaemonSet(st.rollingUpdate, 'spec.updateStrategy.rollingUpdate'));
  else if (st.type !== 'OnDelete') {
    const value = new VerbatimValue(`apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(st.type ?? '')}, RollingUpdate:${goPointer('apps.RollingUpdateDaemonSet', st.rollingUpdate)}}`);
    errs.push(notSupported('spec.updateStrategy', value, ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'), ...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

export function validateDaemonSetUpdate(ds: DaemonSet, old: DaemonSet): FieldError[] {
  return [...validateObjectMetaUpdate(ds.metadata, old.metadata, true), ...validateDaemonSet(ds).filter((e) => !e.field.startsWith('metadata')), ...selectorImmutable(ds.spec?.selector, old.spec?.selector)];
}

function validateStatefulSetStrategy(sts: StatefulSet): FieldError[] {
  const st = sts.spec?.updateStrategy ?? {};
  const path = 'spec.updateStrategy';
  switch (st.type) {
    case 'OnDelete':
      return st.rollingUpdate ? [invalid(`${path}.rollingUpdate`, goRollingUpdateStatefulSet(st.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case 'RollingUpdate': {
      const ru = st.rollingUpdate;
      if (!ru) return [];
      const errs = nonNegative(ru.partition, `${path}.rollingUpdate.partition`);
      const mu = ru.maxUnavailable as IntOrString | undefined;
      if (mu !== undefined && mu !== null) {
        errs.push(...validateIntOrPercent(mu, `${path}.rollingUpdate.maxUnavailable`));
        if (!errs.length && isZero(mu)) errs.push(invalid(`${path}.rollingUpdate.maxUnavailable`, goIntOrString(mu), 'must be greater than 0'));
        if (!errs.length && (percentOf(mu) ?? 0) > 100) errs.push(invalid(`${path}.rollingUpdate.maxUnavailable`, goIntOrString(mu), 'must not be greater than 100%'));
      }
      return errs;
    }
    case undefined:
    case '':
      return [required(path)];
    default: {
      const ru = st.rollingUpdate ? goRollingUpdateStatefulSet(st.rollingUpdate).text : null;
      const value = new VerbatimValue(`apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(st.type)}, RollingUpdate:${ru === null ? '(*apps.RollingUpdateStatefulSetStrategy)(nil)' : `(*apps.RollingUpdateStatefulSetStrategy)(${GO_ADDRESS})`}}`);
      return [invalid(path, value, "must be 'RollingUpdate' or 'OnDelete'")];
    }
  }
}

/**
 * Where Go's %#v prints a pointer inside a struct, the address of what it points to — a
 * different one on every run, so any will do; nil is printed as nil.
 */
const GO_ADDRESS = '0xc000010000';
const goPointer = (type: string, v: unknown) => `(*${type})(${v === undefined || v === null ? 'nil' : GO_ADDRESS})`;

/** A StatefulSet's rollingUpdate as Go's %#v prints the internal struct (Partition is an int32 there). */
function goRollingUpdateStatefulSet(ru: { partition?: number | null; maxUnavailable?: unknown }): VerbatimValue {
  return new VerbatimValue(`apps.RollingUpdateStatefulSetStrategy{Partition:${ru.partition ?? 0}, MaxUnavailable:${goPointer('intstr.IntOrString', ru.maxUnavailable)}}`);
}

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const s = sts.spec ?? {};
  // Pods are named <set>-<ordinal> and use that as their hostname: the set's name is a DNS label.
  const errs = [...validateObjectMeta(sts.metadata, true, 'metadata', nameIsDNSLabel), ...dnsLabel(s.serviceName, 'spec.serviceName')];
  switch (s.podManagementPolicy) {
    case 'OrderedReady':
    case 'Parallel':
      break;
    case undefined:
    case '':
      errs.push(required('spec.podManagementPolicy'));
      break;
    default:
      errs.push(invalid('spec.podManagementPolicy', s.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateStatefulSetStrategy(sts));
  errs.push(...validateVolumeClaimTemplates(s.volumeClaimTemplates, 'spec.volumeClaimTemplates'));
  const retention = s.persistentVolumeClaimRetentionPolicy;
  for (const f of ['whenDeleted', 'whenScaled'] as const) {
    const v = retention?.[f];
    if (v && v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ['Retain', 'Delete']));
  }
  errs.push(
    ...nonNegative(s.replicas, 'spec.replicas'),
    ...nonNegative(s.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(s.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
    ...nonNegative(s.ordinals?.start, 'spec.ordinals.start'),
    ...validateSelectorAndTemplate(s.selector, withClaimVolumes(s.template, s.volumeClaimTemplates), 'spec', 'statefulset'),
  );
  return errs;
}

/** The template with a persistentVolumeClaim volume per claim template (replacing a volume of the same name), as its pods get. */
function withClaimVolumes(template: PodTemplateSpec | undefined, claims: PersistentVolumeClaim[] | undefined): PodTemplateSpec | undefined {
  if (!template || !claims?.length) return template;
  // (names the claim templates' own validation refuses are reported there, not again as volumes)
  const names = new Set(claims.map((c) => c.metadata?.name ?? '').filter((n) => n && !dnsLabel(n, '').length));
  const volumes = [...[...names].map((name) => ({ name, persistentVolumeClaim: { claimName: name } })), ...(template.spec?.volumes ?? []).filter((v) => !names.has(v.name ?? ''))];
  return { ...template, spec: { ...template.spec, volumes } };
}

/** Fields of a StatefulSet's spec an update may change (ValidateStatefulSetUpdate). */
const MUTABLE_STS_FIELDS = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'revisionHistoryLimit'] as const;

export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sts.metadata, old.metadata, true, 'metadata', nameIsDNSLabel), ...validateStatefulSet(sts).filter((e) => !e.field.startsWith('metadata'))];
  // (apiequality.Semantic.DeepEqual of the specs: a client's key order and Go's nulls, such as a
  // claim template's creationTimestamp: null from client-go, change nothing)
  const rest = (s: StatefulSet['spec']) => {
    const c: Record<string, unknown> = { ...(s ?? {}) };
    for (const f of MUTABLE_STS_FIELDS) delete c[f];
    return c;
  };
  if (!semanticEqual(rest(sts.spec), rest(old.spec), 'StatefulSetSpec')) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  // (ValidateControllerRevision: data before revision, with its detail)
  const errs = validateObjectMeta(cr.metadata, true, 'metadata');
  if (cr.data === undefined || cr.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...nonNegative(cr.revision, 'revision'));
  return errs;
}

export function validateControllerRevisionUpdate(cr: ControllerRevision, old: ControllerRevision): FieldError[] {
  const errs = [...validateObjectMetaUpdate(cr.metadata, old.metadata, true), ...validateControllerRevision(cr).filter((e) => !e.field.startsWith('metadata'))];
  if (JSON.stringify(cr.data ?? null) !== JSON.stringify(old.data ?? null)) errs.push(invalid('data', cr.data ?? null, 'field is immutable'));
  return errs;
}
