// The kinds the apiserver serves and the per-resource strategy for each: naming, scope,
// defaulting, validation, what the status subresource owns, and selectable fields.
import { applyAffinityLabelKeys } from '../../api/pod-affinity-label-keys.js';
import type { FieldError } from '../../api/field-error.js';
import type { KubeObject, PodTemplate } from '../../api/types.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateEvent,
  validateEventsV1Create,
  validateEventsV1Update,
  validateLease,
  validateNamespace,
  validateNamespaceFinalize,
  validateNamespaceStatusUpdate,
  nameIsDNSLabel,
  validateNode,
  validateNodeUpdate,
  validatePodCreate,
  validatePodUpdate,
  validatePodStatusUpdate,
  validatePodEphemeralContainersUpdate,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateSecret,
  validateSecretUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
} from '../../api/validation.js';
import { defaultDeployment, defaultReplicaSet, defaultReplicationController, defaultTemplate } from '../../api/defaults-apps.js';
import { validatePodTemplate, validatePodTemplateUpdate } from '../../api/validation-apps.js';
import { validateReplicationController, validateReplicationControllerStatus, validateReplicationControllerUpdate } from '../../api/validation-replication.js';
import { defaultDaemonSet, defaultStatefulSet } from '../../api/defaults-sets.js';
import { DEPRECATED_TEMPLATE_GENERATION, prepareTemplateGeneration } from '../../api/daemonset-template-generation.js';
import { validateControllerRevision, validateControllerRevisionUpdate, validateDaemonSet, validateDaemonSetUpdate, validateStatefulSet, validateStatefulSetUpdate } from '../../api/validation-sets.js';
import { addNamespaceFinalizer, defaultConfigMap, defaultNamespace, defaultNode, defaultPod, defaultSecret, defaultTolerationSeconds, podQOSClass } from '../../api/defaults.js';
import { applyAppArmorVersionSkew } from '../../api/apparmor-skew.js';
import { fieldsOf } from '../../api/selectors.js';
import { validateGenericObjectMetaUpdate } from '../../api/validation-meta.js';
import { defaultEndpoints, defaultEndpointSlice, defaultService, defaultServiceIPFamilies, prepareServiceUpdate } from '../../api/defaults-service.js';
import { validateService, validateServiceStatusUpdate, validateServiceUpdate } from '../../api/validation-service.js';
import { validateEndpoints, validateEndpointSlice, validateEndpointSliceUpdate, validateEndpointsUpdate } from '../../api/validation-endpoints.js';
import { defaultCronJob, defaultJob, generateJobSelector } from '../../api/defaults-batch.js';
import { validateCronJob, validateCronJobUpdate, validateJob, validateJobStatusUpdate, validateJobUpdate } from '../../api/validation-batch.js';
import { validateServiceAccount, validateServiceAccountUpdate } from '../../api/validation-serviceaccount.js';
import { defaultIngressClassObject, defaultNetworkPolicy } from '../../api/defaults-networking.js';
import { validateIngress, validateIngressClass, validateIngressClassUpdate, validateIngressStatusUpdate, validateIngressUpdate } from '../../api/validation-ingress.js';
import { defaultPersistentVolume, defaultPersistentVolumeClaim, defaultStorageClass } from '../../api/defaults-storage.js';
import { defaultFlowSchema, defaultPriorityLevelConfiguration, validateFlowSchema, validateFlowSchemaStatus, validateFlowSchemaUpdate, validatePriorityLevelConfiguration, validatePriorityLevelConfigurationStatus, validatePriorityLevelConfigurationUpdate } from '../../api/validation-flowcontrol.js';
import { defaultCSIDriver, defaultCSINode, defaultCSIStorageCapacity, defaultVolumeAttachment } from '../../api/defaults-storage-csi.js';
import { validateCSIDriver, validateCSIDriverUpdate, validateCSINode, validateCSINodeUpdate, validateCSIStorageCapacity, validateCSIStorageCapacityUpdate, validateVolumeAttachment, validateVolumeAttachmentUpdate } from '../../api/validation-storage-csi.js';
import { dropDisabledClaimStatusFields, dropDisabledPodStatusFields } from '../../api/gated-fields.js';
import {
  validatePersistentVolume,
  validatePersistentVolumeClaim,
  validatePersistentVolumeClaimStatusUpdate,
  validatePersistentVolumeClaimUpdate,
  validatePersistentVolumeStatusUpdate,
  validatePersistentVolumeUpdate,
  validateStorageClass,
  validateStorageClassUpdate,
} from '../../api/validation-storage.js';
import { rfc3339Now } from '../../util/time.js';
import { groupResource, registerEtcdType } from '../storage-metrics.js';
import { defaultBinding, validateClusterRole, validateClusterRoleBinding, validateClusterRoleBindingUpdate, validateClusterRoleUpdate, validateRole, validateRoleBinding, validateRoleBindingUpdate, validateRoleUpdate } from '../../api/validation-rbac.js';
import { validateResourceQuota, validateResourceQuotaStatusUpdate, validateResourceQuotaUpdate } from '../../api/quota.js';
import { semanticEqual, semanticFieldEqual } from '../../api/semantic-equal.js';
import { defaultLimitRange, validateLimitRange, validateLimitRangeUpdate } from '../../api/validation-limits.js';
import { validateNetworkPolicy, validateNetworkPolicyUpdate } from '../../api/validation-networking.js';
import { defaultPriorityClass, validatePriorityClass, validatePriorityClassUpdate } from '../../api/validation-scheduling.js';
import { defaultRuntimeClass, validateRuntimeClass, validateRuntimeClassUpdate } from '../../api/validation-node.js';
import { validateCertificateSigningRequest, validateCertificateSigningRequestApprovalUpdate, validateCertificateSigningRequestStatusUpdate, validateCertificateSigningRequestUpdate } from '../../api/validation-certificates.js';
import { defaultValidatingAdmissionPolicy, defaultValidatingAdmissionPolicyBinding, validateValidatingAdmissionPolicy, validateValidatingAdmissionPolicyBinding } from '../../api/validation-admission-policy.js';
import { defaultMutatingWebhookConfiguration, defaultValidatingWebhookConfiguration, validateMutatingWebhookConfiguration, validateValidatingWebhookConfiguration } from '../../api/validation-admissionregistration.js';
import type { Subresource } from './request-types.js';
import type { PrinterColumn, ScaleSubresource } from '../../api/validation-crd.js';
import type { RequestContext } from './request-types.js';
import type { JSONSchemaProps } from '../../api/crd-schema.js';
import { validatePodDisruptionBudget, validatePodDisruptionBudgetStatus, validatePodDisruptionBudgetUpdate } from '../../api/validation-policy.js';
import { defaultHorizontalPodAutoscaler } from '../../api/defaults-autoscaling.js';
import { validateHorizontalPodAutoscaler, validateHorizontalPodAutoscalerStatus, validateHorizontalPodAutoscalerUpdate } from '../../api/validation-autoscaling.js';
import { hpaApplyConfigFromV1, hpaFromV1, hpaToV1 } from '../../api/hpa-conversion.js';
import { eventFromEventsV1, eventsV1FieldLabel, eventToEventsV1, withGoEventFields } from '../../api/event-conversion.js';
import { EVENTS_V1_FIELD_NAMES } from '../../api/validation-event.js';

/**
 * A resource served in a second version over the storage of another (autoscaling/v1
 * HorizontalPodAutoscalers over the stored autoscaling/v2 ones): bodies are converted on the
 * way in, objects on the way out; the strategy is the storage resource's.
 */
export interface VersionView {
  storage: ResourceInfo;
  /** Defaults of this version (applied to a decoded body before conversion). */
  defaults(obj: KubeObject): void;
  toStorage(obj: KubeObject): KubeObject;
  fromStorage(obj: KubeObject): KubeObject;
  /** Validation of a write through this version, in place of the storage strategy's (on stored forms; `old` on update). */
  validate?(obj: KubeObject, old: KubeObject | undefined): FieldError[];
  /** A field-selector label of this version as the stored objects' fields name it (undefined: not supported). */
  fieldLabel?(label: string): string | undefined;
  /**
   * A server-side apply configuration of this version as the stored version's (what it sets and
   * nothing more: no defaults); without it, apply through this version is refused (415).
   * Ownership is computed in the stored version's field paths (and recorded in this version's
   * names where the storage's managedFieldNames has them).
   */
  applyConfig?(obj: KubeObject): KubeObject;
}

/** A subresource that writes part of the object, as Kubernetes' per-subresource strategies do. */
export interface SubresourceStrategy {
  /** Copies the part of `body` this subresource owns into `kept`, a copy of the stored object. */
  take(body: KubeObject, kept: KubeObject): void;
  /** `sentResourceVersion`: the one the request gave (the object validated carries the stored one). */
  validateUpdate(obj: KubeObject, old: KubeObject, sentResourceVersion?: string): FieldError[];
  /** The metadata fields `take` copies from the body too (owned by the subresource's managers). */
  metadata?: readonly string[];
}

export interface ResourceInfo {
  /** Plural lower-case name used in URLs and etcd keys. */
  name: string;
  singularName: string;
  kind: string;
  listKind: string;
  group: string;
  version: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Type name in pkg/api/generated/schema.json used for strict decoding. */
  typeName: string;
  subresources: string[];
  /** PUT without a resourceVersion is allowed (last write wins). */
  allowUnconditionalUpdate: boolean;
  /** Fills defaults and clears what clients may not set on create; `warnings` takes what it warns of (the request's). */
  prepareForCreate(obj: KubeObject, warnings?: string[]): void;
  /**
   * On create, what 1.32 sets after its field manager has run (create.go calls it before
   * admission, the strategy's PrepareForCreate comes later still): owned by nobody, as the
   * namespace's kubernetes finalizer and a pod's default tolerations are.
   */
  afterFieldManager?(obj: KubeObject): void;
  /** On a main-resource update: keep what belongs to the status subresource. */
  prepareForUpdate(obj: KubeObject, old: KubeObject): void;
  validate(obj: KubeObject): FieldError[];
  validateUpdate(obj: KubeObject, old: KubeObject): FieldError[];
  /** The subresources that write part of the object (GET, PUT and PATCH on them). */
  writable: Partial<Record<Subresource, SubresourceStrategy>>;
  /** Field-selector fields of an object (metadata.name, spec.nodeName, ...). */
  fields(obj: KubeObject): Record<string, string>;
  /** Set when this version is served over another resource's storage. */
  view?: VersionView;
  /** Defined by a CustomResourceDefinition: stored under /registry/<group>/<plural>/, no strategic merge patch. */
  custom?: boolean;
  /** Decoding in place of strict decoding against typeName (custom resources: pruning by their schema). */
  decode?(obj: KubeObject, ctx: RequestContext): void;
  /** Where the scale subresource reads and writes, when not spec.replicas / status.replicas / spec.selector. */
  scalePaths?: ScaleSubresource;
  /** The version's openAPIV3Schema (custom resources), published in OpenAPI. */
  schema?: JSONSchemaProps;
  /**
   * Kinds whose registry strategy keeps metadata.generation (1.32's PrepareForCreate sets 1,
   * PrepareForUpdate bumps it): whether an update changed what it counts. Other kinds leave a
   * client's generation on create and keep the stored one on update.
   */
  generationChanged?(obj: KubeObject, old: KubeObject): boolean;
  /** apiVersions the store accepts in bodies besides its own (a CRD's other versions, checked by their views). */
  apiVersions?: string[];
  /** Table columns (a CRD's additionalPrinterColumns), in place of the built-in printers. */
  printerColumns?: PrinterColumn[];
  /** A warning every request to this resource carries (a deprecated CRD version's). */
  warning?: string;
  /**
   * The versions served over this storage whose objects differ from it only in top-level field
   * names (events.k8s.io/v1 over core/v1 Events), each with its names by the stored ones: a
   * write through such a version is recorded in managedFields under that apiVersion and its
   * names, as Kubernetes records every manager in the version it wrote.
   */
  managedFieldNames?: Record<string, Record<string, string>>;
}

/** The resource whose store holds the objects of `r`. */
export const storageOf = (r: ResourceInfo): ResourceInfo => r.view?.storage ?? r;

export const apiVersionOf = (r: ResourceInfo) => (r.group ? `${r.group}/${r.version}` : r.version);

/**
 * The resources whose 1.32 store sets ReturnDeletedObject: a DELETE that removes one answers the
 * object; any other answers a Status naming what went (finalizeDelete). One not yet removed
 * (grace period, finalizers) is answered with the object either way.
 */
const RETURNS_DELETED_OBJECT = new Set([
  '/pods', '/podtemplates', '/namespaces', '/persistentvolumes', '/persistentvolumeclaims', '/resourcequotas', '/serviceaccounts', '/services',
  'storage.k8s.io/storageclasses', 'storage.k8s.io/volumeattachments', 'storage.k8s.io/csidrivers', 'storage.k8s.io/csinodes', 'storage.k8s.io/volumeattributesclasses',
  'resource.k8s.io/deviceclasses', 'resource.k8s.io/resourceclaims', 'resource.k8s.io/resourceclaimtemplates', 'resource.k8s.io/resourceslices',
]);
export const returnsDeletedObject = (r: ResourceInfo): boolean => RETURNS_DELETED_OBJECT.has(`${storageOf(r).group}/${storageOf(r).name}`);

/**
 * Whether a write changed field `field` of an object of message `typeName`, as
 * apiequality.Semantic.DeepEqual tells over the Go type: key order, nulls, an empty list or map
 * for none, a quantity's spelling ("1" for "1000m") and a time's zone do not count.
 */
const differs = (typeName: string, field: string, a: unknown, b: unknown) => !semanticFieldEqual(typeName, field, a, b);
/** The usual generation rule: the spec of an object of message `typeName` changed. */
export const specChanged =
  (typeName: string) =>
  (obj: KubeObject, old: KubeObject): boolean =>
    differs(typeName, 'spec', obj.spec, old.spec);
/** A field other than spec changed (webhooks, template). */
const fieldChanged = (typeName: string, field: string) => (obj: KubeObject, old: KubeObject): boolean => differs(typeName, field, obj[field], old[field]);

const allVerbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const noCollectionDelete = allVerbs.filter((v) => v !== 'deletecollection');
/** The verbs of a resource. Namespaces have no deletecollection, as in Kubernetes: each is finalized on its own. */
export const verbsOf = (r: ResourceInfo) => (r.name === 'namespaces' && !r.group ? noCollectionDelete : allVerbs);

/**
 * The status subresource: status from the body, everything else as stored — or, for the kinds
 * whose 1.32 status strategy resets only spec (and maybe labels), the body's `metadata` fields
 * named too (the deployment controller writes its revision annotation with UpdateStatus).
 */
const statusSubresource = (validateUpdate: SubresourceStrategy['validateUpdate'] = () => [], metadataFromBody: string[] = []): SubresourceStrategy => ({
  take: (body, kept) => {
    kept.status = body.status;
    const from = (body.metadata ?? {}) as Record<string, unknown>;
    const to = kept.metadata as Record<string, unknown>;
    for (const f of metadataFromBody) {
      if (from[f] === undefined) delete to[f];
      else to[f] = from[f];
    }
  },
  validateUpdate,
  ...(metadataFromBody.length ? { metadata: metadataFromBody } : {}),
});
/**
 * A pod's status as Go stores it: PodCondition's lastProbeTime and lastTransitionTime are
 * metav1.Time values, not pointers, so a condition written without them is stored with
 * `lastProbeTime: null` (omitempty leaves structs alone), whoever wrote it and however.
 */
const podStatusSubresource: SubresourceStrategy = (() => {
  // (podStatusStrategy.PrepareForUpdate resets spec and the owner references, which old kubelets
  // corrupted: the write's labels, annotations and finalizers are kept)
  const plain = statusSubresource((obj, old) => validatePodStatusUpdate(obj as never, old as never), ['labels', 'annotations', 'finalizers']);
  return {
    ...plain,
    take: (body, kept) => {
      const old = kept.status;
      plain.take(body, kept);
      dropDisabledPodStatusFields(kept.status as never, old as never, kept.spec as never);
      const conds = (kept.status as { conditions?: unknown } | undefined)?.conditions;
      if (!Array.isArray(conds)) return;
      for (const c of conds) {
        if (!c || typeof c !== 'object') continue;
        const cond = c as Record<string, unknown>;
        cond.lastProbeTime ??= null;
        cond.lastTransitionTime ??= null;
      }
    },
  };
})();
/**
 * What an apps/v1 status write takes of the body's metadata: PrepareForUpdate resets spec
 * (Deployments': and labels). Most other kinds' status strategies reset spec alone too (Nodes,
 * Namespaces, volumes and claims, quotas, PodDisruptionBudgets, HorizontalPodAutoscalers, Jobs).
 */
const APPS_STATUS_METADATA = ['labels', 'annotations', 'finalizers', 'ownerReferences'];
const appsStatusSubresource = (metadata: string[]): SubresourceStrategy => statusSubresource((obj, old) => validateObjectMetaUpdate(obj.metadata, old.metadata, true), metadata);

/**
 * The status counters a workload's Go type writes even at 0 (no omitempty on their json tags):
 * a new StatefulSet's status is {replicas: 0, availableReplicas: 0}, not {}, before any controller
 * has written it, and a status write that leaves one out stores it as 0.
 */
const STATUS_ZEROS: Record<string, readonly string[]> = {
  StatefulSet: ['replicas', 'availableReplicas'],
  DaemonSet: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
  ReplicaSet: ['replicas'],
  ReplicationController: ['replicas'],
};
function withStatusZeros(kind: string, obj: KubeObject): void {
  const zeros = STATUS_ZEROS[kind];
  if (!zeros) return;
  const status = (obj.status ??= {}) as Record<string, unknown>;
  for (const f of zeros) if (status[f] === undefined || status[f] === null) status[f] = 0;
}
/** A status subresource that keeps the kind's zero counters (withStatusZeros). */
const zeroCounting = (kind: string, strategy: SubresourceStrategy): SubresourceStrategy => ({
  ...strategy,
  take: (body, kept) => {
    strategy.take(body, kept);
    withStatusZeros(kind, kept);
  },
});

/**
 * The status of a Service or an Ingress: its loadBalancer is a Go struct, neither a pointer nor
 * omitted, so Kubernetes always serves it (`loadBalancer: {}`), whatever a status write left out.
 * Their status strategies' PrepareForUpdate reset spec alone, so the body's labels, annotations,
 * finalizers and owner references are kept too, and owned by the status writer (validateUpdate
 * checks them as ValidateObjectMetaUpdate does).
 */
const loadBalancerStatusSubresource = (validateUpdate: SubresourceStrategy['validateUpdate']): SubresourceStrategy => {
  const plain = statusSubresource(validateUpdate, APPS_STATUS_METADATA);
  return {
    ...plain,
    take: (body, kept) => {
      plain.take(body, kept);
      const status = (kept.status ?? {}) as { loadBalancer?: unknown };
      status.loadBalancer ??= {};
      kept.status = status;
    },
  };
};

/** pods/ephemeralcontainers: spec.ephemeralContainers from the body (dropNonEphemeralContainerUpdates), defaulted. */
const ephemeralContainersSubresource: SubresourceStrategy = {
  take: (body, kept) => {
    const spec = (kept.spec ??= {}) as Record<string, unknown>;
    spec.ephemeralContainers = (body.spec as Record<string, unknown> | undefined)?.ephemeralContainers;
    defaultPod(kept as never);
  },
  validateUpdate: (obj, old) => validatePodEphemeralContainersUpdate(obj as never, old as never),
};

/**
 * prepareForUpdate of a resource whose status only its /status subresource writes (the strategies'
 * PrepareForUpdate `newObj.Status = oldObj.Status`): the stored status is kept, then `prepare`
 * defaults what the update sent.
 */
function keepingStatus(prepare: (obj: KubeObject, old: KubeObject) => void): ResourceInfo['prepareForUpdate'] {
  return (obj, old) => {
    obj.status = old.status;
    prepare(obj, old);
  };
}

/**
 * A built-in resource: `p` over the common defaults (namespaced v1 in the core group, a status
 * kept on update, metadata validated). The singular name is the kind in lower case and the Go type
 * the kind unless `p` says otherwise; `defaults`, when given, prepares both a create and an update.
 */
function base({ defaults, ...p }: Partial<ResourceInfo> & Pick<ResourceInfo, 'name' | 'kind'> & { defaults?: (obj: KubeObject) => void }): ResourceInfo {
  const r: ResourceInfo = {
    singularName: p.kind.toLowerCase(),
    typeName: p.kind,
    listKind: `${p.kind}List`,
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: [],
    categories: [],
    subresources: [],
    allowUnconditionalUpdate: true,
    prepareForCreate: () => {},
    prepareForUpdate: (obj, old) => {
      if ('status' in old || 'status' in obj) obj.status = old.status;
    },
    validate: (obj) => validateObjectMeta(obj.metadata ?? {}, r.namespaced, 'metadata'),
    validateUpdate: (obj) => r.validate(obj),
    writable: { status: statusSubresource() },
    fields: (obj) => fieldsOf(r.name, obj),
    ...(defaults ? { prepareForCreate: defaults, prepareForUpdate: defaults } : {}),
    ...p,
  };
  return r;
}

export const pods = base({
  name: 'pods',
  kind: 'Pod',
  shortNames: ['po'],
  categories: ['all'],
  subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward', 'proxy', 'ephemeralcontainers'],
  prepareForCreate(obj, warnings) {
    // Pods are created with their status cleared; the scheduler and the node agent own it.
    obj.status = { phase: 'Pending', qosClass: undefined };
    // hostUsers (user namespaces) is behind a feature gate that Kubernetes 1.32 leaves off, so its
    // apiserver drops the field from new pods; tskube runs no user namespaces and drops it too,
    // rather than store a promise the node would not keep.
    delete (obj.spec as { hostUsers?: boolean } | undefined)?.hostUsers;
    defaultPod(obj as never, undefined, false);
    applyAffinityLabelKeys(obj as never);
    // (the AppArmor annotations and fields in step, before admission: PodSecurity sees both)
    warnings?.push(...applyAppArmorVersionSkew(obj as never));
    (obj.status as Record<string, unknown>).qosClass = podQOSClass(obj as never);
    // A pod held by scheduling gates says so (applySchedulingGatedCondition); the scheduler leaves it until they are removed.
    if ((obj.spec as { schedulingGates?: unknown[] } | undefined)?.schedulingGates?.length) {
      (obj.status as Record<string, unknown>).conditions = [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }];
    }
  },
  // (DefaultTolerationSeconds is an admission plugin: its tolerations are nobody's)
  afterFieldManager: (obj) => defaultTolerationSeconds((obj.spec ??= {}) as never),
  prepareForUpdate(obj, old) {
    // Kubernetes defaults every decoded object, so a PUT of a plain manifest compares equal.
    obj.status = old.status;
    // (a re-applied manifest with hostUsers is not a change: the field was dropped on create)
    if ((old.spec as { hostUsers?: boolean } | undefined)?.hostUsers === undefined) delete (obj.spec as { hostUsers?: boolean } | undefined)?.hostUsers;
    defaultPod(obj as never, old as never);
  },
  validate: (obj) => validatePodCreate(obj as never),
  validateUpdate: (obj, old) => validatePodUpdate(obj as never, old as never),
  writable: {
    status: podStatusSubresource,
    ephemeralcontainers: ephemeralContainersSubresource,
  },
});

export const nodes = base({
  name: 'nodes',
  kind: 'Node',
  namespaced: false,
  shortNames: ['no'],
  subresources: ['status', 'proxy'],
  prepareForCreate: (obj) => defaultNode(obj as never),
  validate: (obj) => validateNode(obj as never),
  validateUpdate: (obj, old) => validateNodeUpdate(obj as never, old as never),
  // (nodeStatusStrategy.PrepareForUpdate resets spec alone: the write's labels, annotations,
  // finalizers and owner references are kept, and ValidateNodeUpdate checks the result)
  writable: { status: statusSubresource((obj, old) => validateNodeUpdate(obj as never, old as never), APPS_STATUS_METADATA) },
});

export const namespaces = base({
  name: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  shortNames: ['ns'],
  subresources: ['status', 'finalize'],
  prepareForCreate: (obj) => {
    obj.status = {};
    defaultNamespace(obj as never);
  },
  afterFieldManager: (obj) => addNamespaceFinalizer(obj as never),
  // (PrepareForUpdate: spec.finalizers change only through /finalize, status only through /status)
  prepareForUpdate: (obj, old) => {
    const fins = (old.spec as { finalizers?: string[] } | undefined)?.finalizers;
    if (fins) obj.spec = { ...(obj.spec as Record<string, unknown> | undefined), finalizers: fins };
    else if (obj.spec) delete (obj.spec as { finalizers?: string[] }).finalizers;
    if ('status' in old || 'status' in obj) obj.status = old.status;
    // (SetDefaults_Namespace runs on every decoded body, updates and patches too: the
    // kubernetes.io/metadata.name label cannot be taken off or given another value, which
    // namespaceSelectors rely on)
    const meta = (obj.metadata ??= {});
    if (meta.name) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
  },
  validate: (obj) => validateNamespace(obj as never),
  writable: {
    // (namespaceStatusStrategy.PrepareForUpdate resets spec alone: the write's metadata is kept;
    // SetDefaults_Namespace runs on the decoded body, so the kubernetes.io/metadata.name label and
    // an Active phase are put back whatever it says)
    status: (() => {
      const plain = statusSubresource((obj, old) => validateNamespaceStatusUpdate(obj as never, old as never), APPS_STATUS_METADATA);
      return { ...plain, take: (body, kept) => { plain.take(body, kept); defaultNamespace(kept as never); } };
    })(),
    // PUT namespaces/NAME/finalize: spec.finalizers only (the namespace controller's, or a user
    // clearing a stuck namespace's); the namespace finalizer removes one whose list is empty.
    // (namespaceFinalizeStrategy.PrepareForUpdate resets status alone: the body's labels,
    // annotations, finalizers and owner references are kept too, the name label put back)
    finalize: {
      take: (body, kept) => {
        const fins = (body.spec as { finalizers?: string[] } | undefined)?.finalizers;
        kept.spec = { ...((kept.spec as Record<string, unknown> | undefined) ?? {}), finalizers: fins };
        if (!fins?.length) delete (kept.spec as Record<string, unknown>).finalizers;
        const from = (body.metadata ?? {}) as Record<string, unknown>;
        const to = kept.metadata as Record<string, unknown>;
        for (const f of APPS_STATUS_METADATA) {
          if (from[f] === undefined) delete to[f];
          else to[f] = from[f];
        }
        defaultNamespace(kept as never);
      },
      // (ValidateNamespaceFinalizeUpdate: the metadata as any update's, each finalizer at its index)
      validateUpdate: (obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, false, 'metadata', nameIsDNSLabel), ...validateNamespaceFinalize(obj as never)],
      metadata: APPS_STATUS_METADATA,
    },
  },
});

export const events = base({
  name: 'events',
  kind: 'Event',
  shortNames: ['ev'],
  validate: (obj) => validateEvent(obj as never),
  prepareForCreate: (obj) => withGoEventFields(obj),
  prepareForUpdate: (obj) => withGoEventFields(obj),
  managedFieldNames: { 'events.k8s.io/v1': EVENTS_V1_FIELD_NAMES },
});

export const leases = base({
  name: 'leases',
  kind: 'Lease',
  group: 'coordination.k8s.io',
  validate: (obj) => validateLease(obj as never),
  prepareForUpdate: () => {},
});

export const configmaps = base({
  name: 'configmaps',
  kind: 'ConfigMap',
  shortNames: ['cm'],
  validate: (obj) => validateConfigMap(obj as never),
  validateUpdate: (obj, old) => validateConfigMapUpdate(obj as never, old as never),
  defaults: (obj) => defaultConfigMap(obj as never),
});

export const secrets = base({
  name: 'secrets',
  kind: 'Secret',
  defaults: (obj) => defaultSecret(obj as never),
  validate: (obj) => validateSecret(obj as never),
  validateUpdate: (obj, old) => validateSecretUpdate(obj as never, old as never),
});

/** Identities for pods; `serviceaccounts/<name>/token` mints their bound tokens (no status). */
export const serviceaccounts = base({
  name: 'serviceaccounts',
  kind: 'ServiceAccount',
  shortNames: ['sa'],
  subresources: ['token'],
  writable: {},
  validate: (obj) => validateServiceAccount(obj as never),
  validateUpdate: (obj, old) => validateServiceAccountUpdate(obj as never, old as never),
});

/**
 * Workloads (apps/v1, and core/v1 ReplicationControllers): status written by their controllers,
 * replicas also through the scale subresource; `extra` overrides (the group, a status strategy).
 */
function workloadResource(name: string, kind: string, shortNames: string[], defaults: (obj: KubeObject) => void, validate: (obj: KubeObject) => FieldError[], validateUpdate: (obj: KubeObject, old: KubeObject) => FieldError[], extra: Partial<ResourceInfo> = {}): ResourceInfo {
  const info = base({
    name,
    kind,
    group: 'apps',
    subresources: ['status', 'scale'],
    shortNames,
    categories: ['all'],
    generationChanged: specChanged(kind),
    prepareForCreate(obj) {
      obj.status = {};
      withStatusZeros(kind, obj);
      defaults(obj);
    },
    prepareForUpdate: keepingStatus(defaults),
    validate,
    validateUpdate,
    writable: { status: appsStatusSubresource(APPS_STATUS_METADATA) },
    ...extra,
  });
  if (info.writable.status) info.writable = { ...info.writable, status: zeroCounting(kind, info.writable.status) };
  return info;
}

/** core/v1 PodTemplate: a pod template kept for others to use; its generation follows the template. */
export const podtemplates = base({
  name: 'podtemplates',
  kind: 'PodTemplate',
  prepareForCreate: (obj) => defaultTemplate((obj as PodTemplate).template),
  prepareForUpdate: (obj) => defaultTemplate((obj as PodTemplate).template),
  validate: (obj) => validatePodTemplate(obj as never),
  validateUpdate: (obj, old) => validatePodTemplateUpdate(obj as never, old as never),
  generationChanged: fieldChanged('PodTemplate', 'template'),
});

export const replicasets = workloadResource('replicasets', 'ReplicaSet', ['rs'], (o) => defaultReplicaSet(o as never), (o) => validateReplicaSet(o as never), (o, old) => validateReplicaSetUpdate(o as never, old as never));
/** core/v1 ReplicationController: a ReplicaSet with a map selector (mutable); its status validated. */
export const replicationcontrollers = workloadResource('replicationcontrollers', 'ReplicationController', ['rc'], (o) => defaultReplicationController(o as never), (o) => validateReplicationController(o as never), (o, old) => validateReplicationControllerUpdate(o as never, old as never), {
  group: '',
  // (rcStatusStrategy.PrepareForUpdate resets spec alone: the write's metadata is kept)
  writable: { status: statusSubresource((obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, true), ...validateReplicationControllerStatus(obj as never)], APPS_STATUS_METADATA) },
});
export const deployments = workloadResource('deployments', 'Deployment', ['deploy'], (o) => defaultDeployment(o as never), (o) => validateDeployment(o as never), (o, old) => validateDeploymentUpdate(o as never, old as never), {
  // (deploymentStatusStrategy resets the labels too)
  writable: { status: appsStatusSubresource(APPS_STATUS_METADATA.filter((f) => f !== 'labels')) },
  // (deployment's PrepareForUpdate: a spec or annotations change, kubectl rollout's change-cause and rollback included)
  generationChanged: (obj, old) => specChanged('Deployment')(obj, old) || differs('ObjectMeta', 'annotations', obj.metadata?.annotations, old.metadata?.annotations),
});

/** batch/v1: status written by the job and cronjob controllers; a Job's selector generated from its uid. */
function batchResource(name: string, kind: string, shortNames: string[], prepare: (obj: KubeObject, creating: boolean) => void, validate: (obj: KubeObject) => FieldError[], validateUpdate: (obj: KubeObject, old: KubeObject) => FieldError[], validateStatusUpdate?: SubresourceStrategy['validateUpdate']): ResourceInfo {
  return base({
    name,
    kind,
    group: 'batch',
    shortNames,
    categories: ['all'],
    subresources: ['status'],
    generationChanged: specChanged(kind),
    prepareForCreate(obj) {
      obj.status = {};
      prepare(obj, true);
    },
    prepareForUpdate: keepingStatus((obj) => prepare(obj, false)),
    validate,
    validateUpdate,
    // (the job and cronjob status strategies reset spec alone: the write's metadata is kept. A
    // Job's is checked as ValidateObjectMetaUpdate checks it (ValidateJobUpdateStatus); a CronJob's
    // status ValidateUpdate checks nothing, so only the generic registry's validateCommonFields
    // apply to it: an unqualified finalizer name is let through, as 1.32 does)
    writable: { status: statusSubresource(validateStatusUpdate ?? ((obj, old) => validateGenericObjectMetaUpdate(obj.metadata, old.metadata, true)), APPS_STATUS_METADATA) },
  });
}

export const jobs = Object.assign(
  batchResource(
    'jobs',
    'Job',
    [],
    (o) => defaultJob(o as never),
    (o) => validateJob(o as never),
    (o, old) => validateJobUpdate(o as never, old as never),
    (o, old) => validateJobStatusUpdate(o as never, old as never),
  ),
  {
    // (generateSelectorIfNeeded is the strategy's PrepareForCreate: the selector and the job's
    // name and uid labels belong to nobody, as in 1.32)
    afterFieldManager: (obj: KubeObject) => generateJobSelector(obj as never),
  },
);
export const cronjobs = batchResource('cronjobs', 'CronJob', ['cj'], (o) => defaultCronJob(o as never), (o) => validateCronJob(o as never), (o, old) => validateCronJobUpdate(o as never, old as never));
/** A DaemonSet's status write keeps its template generation annotation whatever the body says (the status PrepareForUpdate keeps the old spec). */
const daemonSetStatusSubresource: SubresourceStrategy = (() => {
  const plain = appsStatusSubresource(APPS_STATUS_METADATA);
  return {
    ...plain,
    take: (body, kept) => {
      const was = kept.metadata?.annotations?.[DEPRECATED_TEMPLATE_GENERATION];
      plain.take(body, kept);
      if (was !== undefined) kept.metadata!.annotations = { ...kept.metadata!.annotations, [DEPRECATED_TEMPLATE_GENERATION]: was };
    },
  };
})();
export const daemonsets = workloadResource('daemonsets', 'DaemonSet', ['ds'], (o) => defaultDaemonSet(o as never), (o) => validateDaemonSet(o as never), (o, old) => validateDaemonSetUpdate(o as never, old as never), {
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = {};
    withStatusZeros('DaemonSet', obj);
    defaultDaemonSet(obj as never);
    prepareTemplateGeneration(obj as never);
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
    defaultDaemonSet(obj as never);
    const template = (o: KubeObject) => (o.spec as { template?: unknown } | undefined)?.template;
    prepareTemplateGeneration(obj as never, old as never, differs('DaemonSetSpec', 'template', template(obj), template(old)));
  },
  writable: { status: daemonSetStatusSubresource },
});
/** dropStatefulSetDisabledFields: MaxUnavailableStatefulSet is off in 1.32, so a new maxUnavailable is dropped (one stored already is kept). */
function dropStatefulSetMaxUnavailable(obj: KubeObject, old: KubeObject | undefined): void {
  const inUse = (o: KubeObject | undefined) => (o?.spec as { updateStrategy?: { rollingUpdate?: { maxUnavailable?: unknown } } } | undefined)?.updateStrategy?.rollingUpdate?.maxUnavailable != null;
  if (inUse(old)) return;
  const ru = (obj.spec as { updateStrategy?: { rollingUpdate?: { maxUnavailable?: unknown } } } | undefined)?.updateStrategy?.rollingUpdate;
  if (ru) delete ru.maxUnavailable;
}
export const statefulsets = workloadResource('statefulsets', 'StatefulSet', ['sts'], (o) => defaultStatefulSet(o as never), (o) => validateStatefulSet(o as never), (o, old) => validateStatefulSetUpdate(o as never, old as never), {
  prepareForCreate(obj) {
    obj.status = {};
    withStatusZeros('StatefulSet', obj);
    dropStatefulSetMaxUnavailable(obj, undefined);
    defaultStatefulSet(obj as never);
  },
  prepareForUpdate(obj, old) {
    obj.status = old.status;
    dropStatefulSetMaxUnavailable(obj, old);
    defaultStatefulSet(obj as never);
  },
});
/** Snapshots the DaemonSet and StatefulSet controllers keep; data is immutable, there is no status. */
export const controllerrevisions = base({
  name: 'controllerrevisions',
  kind: 'ControllerRevision',
  group: 'apps',
  writable: {},
  validate: (obj) => validateControllerRevision(obj as never),
  validateUpdate: (obj, old) => validateControllerRevisionUpdate(obj as never, old as never),
});

export const services = base({
  name: 'services',
  kind: 'Service',
  shortNames: ['svc'],
  categories: ['all'],
  subresources: ['status', 'proxy'],
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
    defaultService(obj as never, false);
  },
  // (the allocator's IP families and clusterIPs belong to nobody)
  afterFieldManager: (obj) => defaultServiceIPFamilies(obj as never),
  prepareForUpdate: keepingStatus((obj, old) => prepareServiceUpdate(obj as never, old as never)),
  validate: (obj) => validateService(obj as never),
  validateUpdate: (obj, old) => validateServiceUpdate(obj as never, old as never),
  writable: { status: loadBalancerStatusSubresource((obj, old) => validateServiceStatusUpdate(obj as never, old as never)) },
});

export const endpoints = base({
  name: 'endpoints',
  kind: 'Endpoints',
  shortNames: ['ep'],
  defaults: (obj) => defaultEndpoints(obj as never),
  validate: (obj) => validateEndpoints(obj as never),
  validateUpdate: (obj, old) => validateEndpointsUpdate(obj as never, old as never),
  writable: {},
});

export const endpointslices = base({
  // (anything outside metadata, or the labels: endpointSliceStrategy.PrepareForUpdate)
  generationChanged: (obj, old) => !semanticEqual({ ...obj, metadata: undefined }, { ...old, metadata: undefined }, 'EndpointSlice') || differs('ObjectMeta', 'labels', obj.metadata?.labels, old.metadata?.labels),
  name: 'endpointslices',
  kind: 'EndpointSlice',
  group: 'discovery.k8s.io',
  defaults: (obj) => defaultEndpointSlice(obj as never),
  validate: (obj) => validateEndpointSlice(obj as never),
  validateUpdate: (obj, old) => validateEndpointSliceUpdate(obj as never, old as never),
  writable: {},
});

/** networking.k8s.io/v1: status written by the ingress status controller; the class comes from admission. */
export const ingresses = base({
  generationChanged: specChanged('Ingress'),
  name: 'ingresses',
  kind: 'Ingress',
  group: 'networking.k8s.io',
  shortNames: ['ing'],
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = { loadBalancer: {} };
  },
  validate: (obj) => validateIngress(obj as never),
  validateUpdate: (obj, old) => validateIngressUpdate(obj as never, old as never),
  writable: { status: loadBalancerStatusSubresource((obj, old) => validateIngressStatusUpdate(obj as never, old as never)) },
});

export const ingressclasses = base({
  generationChanged: specChanged('IngressClass'),
  name: 'ingressclasses',
  kind: 'IngressClass',
  group: 'networking.k8s.io',
  namespaced: false,
  defaults: (obj) => defaultIngressClassObject(obj as never),
  validate: (obj) => validateIngressClass(obj as never),
  validateUpdate: (obj, old) => validateIngressClassUpdate(obj as never, old as never),
  writable: {},
});

/** Cluster-scoped volumes; their status (phase, with the time it last changed) is the PV controller's. */
export const persistentvolumes = base({
  name: 'persistentvolumes',
  kind: 'PersistentVolume',
  namespaced: false,
  shortNames: ['pv'],
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending', lastPhaseTransitionTime: rfc3339Now() };
    defaultPersistentVolume(obj as never);
  },
  prepareForUpdate: keepingStatus((obj, old) => defaultPersistentVolume(obj as never, old as never)),
  validate: (obj) => validatePersistentVolume(obj as never),
  validateUpdate: (obj, old) => validatePersistentVolumeUpdate(obj as never, old as never),
  writable: {
    // (persistentvolumeStatusStrategy.PrepareForUpdate resets spec alone: the write's metadata is
    // kept. The phase's transition time: the stored one when the phase stays and the write has
    // none, now when the phase changes and the write did not set a time of its own)
    status: (() => {
      const plain = statusSubresource((obj, old) => validatePersistentVolumeStatusUpdate(obj as never, old as never), APPS_STATUS_METADATA);
      return {
        ...plain,
        take: (body, kept) => {
          type PVStatus = { phase?: string; lastPhaseTransitionTime?: string };
          const before = (kept.status ?? {}) as PVStatus;
          plain.take({ ...body, status: { ...(body.status as object) } }, kept);
          const status = kept.status as PVStatus;
          if ((status.phase ?? '') === (before.phase ?? '')) {
            if (status.lastPhaseTransitionTime == null && before.lastPhaseTransitionTime != null) status.lastPhaseTransitionTime = before.lastPhaseTransitionTime;
          } else if (status.lastPhaseTransitionTime == null || status.lastPhaseTransitionTime === before.lastPhaseTransitionTime) {
            status.lastPhaseTransitionTime = rfc3339Now();
          }
        },
      };
    })(),
  },
});

export const persistentvolumeclaims = base({
  name: 'persistentvolumeclaims',
  kind: 'PersistentVolumeClaim',
  shortNames: ['pvc'],
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
    defaultPersistentVolumeClaim(obj as never);
  },
  prepareForUpdate: keepingStatus((obj, old) => defaultPersistentVolumeClaim(obj as never, old as never)),
  validate: (obj) => validatePersistentVolumeClaim(obj as never),
  validateUpdate: (obj, old) => validatePersistentVolumeClaimUpdate(obj as never, old as never),
  writable: {
    status: (() => {
      // (PrepareForUpdate of the status resets spec alone, so the write's metadata is kept, and
      // runs DropDisabledFieldsFromStatus against the stored status)
      const plain = statusSubresource((obj, old) => validatePersistentVolumeClaimStatusUpdate(obj as never, old as never), APPS_STATUS_METADATA);
      return { ...plain, take: (body, kept) => { const old = kept.status; plain.take(body, kept); dropDisabledClaimStatusFields(kept.status as never, old as never); } };
    })(),
  },
});

export const storageclasses = base({
  name: 'storageclasses',
  kind: 'StorageClass',
  group: 'storage.k8s.io',
  namespaced: false,
  shortNames: ['sc'],
  writable: {},
  defaults: (obj) => defaultStorageClass(obj as never),
  validate: (obj) => validateStorageClass(obj as never),
  validateUpdate: (obj, old) => validateStorageClassUpdate(obj as never, old as never),
});

// The CSI kinds of storage.k8s.io/v1, stored and validated as 1.32's registry does; no short
// names (kubectl api-resources lists none for them). tskube runs no CSI driver itself.
export const csidrivers = base({
  name: 'csidrivers',
  kind: 'CSIDriver',
  group: 'storage.k8s.io',
  namespaced: false,
  writable: {},
  allowUnconditionalUpdate: false,
  prepareForCreate: (obj) => defaultCSIDriver(obj as never),
  // (csiDriverStrategy.PrepareForUpdate bumps the generation when the spec changes, but its
  // PrepareForCreate does not set one: a new CSIDriver has none, its first spec change makes it 1)
  prepareForUpdate(obj, old) {
    defaultCSIDriver(obj as never);
    if (specChanged('CSIDriver')(obj, old)) (obj.metadata ??= {}).generation = (old.metadata?.generation ?? 0) + 1;
  },
  validate: (obj) => validateCSIDriver(obj as never),
  validateUpdate: (obj, old) => validateCSIDriverUpdate(obj as never, old as never),
});

export const csinodes = base({
  name: 'csinodes',
  kind: 'CSINode',
  group: 'storage.k8s.io',
  namespaced: false,
  writable: {},
  allowUnconditionalUpdate: false,
  defaults: (obj) => defaultCSINode(obj as never),
  validate: (obj) => validateCSINode(obj as never),
  validateUpdate: (obj, old) => validateCSINodeUpdate(obj as never, old as never),
});

export const csistoragecapacities = base({
  name: 'csistoragecapacities',
  kind: 'CSIStorageCapacity',
  group: 'storage.k8s.io',
  writable: {},
  allowUnconditionalUpdate: false,
  defaults: (obj) => defaultCSIStorageCapacity(obj as never),
  validate: (obj) => validateCSIStorageCapacity(obj as never),
  validateUpdate: (obj, old) => validateCSIStorageCapacityUpdate(obj as never, old as never),
});

/**
 * A v1 VolumeAttachment's status belongs to its attacher: cleared on create, kept on a main
 * update, written only through volumeattachments/status (which keeps spec and metadata).
 * VolumeAttachmentStatus is a struct with a non-omitempty `attached`, so it is always served.
 */
export const volumeattachments = base({
  name: 'volumeattachments',
  kind: 'VolumeAttachment',
  group: 'storage.k8s.io',
  namespaced: false,
  subresources: ['status'],
  allowUnconditionalUpdate: false,
  prepareForCreate(obj) {
    obj.status = { attached: false };
    defaultVolumeAttachment(obj as never);
  },
  prepareForUpdate: keepingStatus((obj) => defaultVolumeAttachment(obj as never)),
  validate: (obj) => validateVolumeAttachment(obj as never),
  validateUpdate: (obj, old) => validateVolumeAttachmentUpdate(obj as never, old as never),
  writable: {
    status: (() => {
      const plain = statusSubresource((obj, old) => validateVolumeAttachmentUpdate(obj as never, old as never));
      return {
        ...plain,
        take: (body, kept) => {
          plain.take(body, kept);
          ((kept.status ??= {}) as { attached?: boolean }).attached ??= false;
        },
      };
    })(),
  },
});

/** rbac.authorization.k8s.io/v1: no status; bindings get their subjects' and roleRef's apiGroup defaulted. */
function rbacResource(name: string, kind: string, namespaced: boolean, validate: (obj: KubeObject) => FieldError[], validateUpdate: (obj: KubeObject, old: KubeObject) => FieldError[]): ResourceInfo {
  const binding = kind.endsWith('Binding');
  const prepare = (obj: KubeObject) => {
    if (binding) defaultBinding(obj as never);
  };
  return base({ name, kind, group: 'rbac.authorization.k8s.io', namespaced, writable: {}, prepareForCreate: prepare, prepareForUpdate: prepare, validate, validateUpdate });
}

export const roles = rbacResource('roles', 'Role', true, (o) => validateRole(o as never), (o, old) => validateRoleUpdate(o as never, old as never));
export const clusterroles = rbacResource('clusterroles', 'ClusterRole', false, (o) => validateClusterRole(o as never), (o, old) => validateClusterRoleUpdate(o as never, old as never));
export const rolebindings = rbacResource('rolebindings', 'RoleBinding', true, (o) => validateRoleBinding(o as never), (o, old) => validateRoleBindingUpdate(o as never, old as never));
export const clusterrolebindings = rbacResource('clusterrolebindings', 'ClusterRoleBinding', false, (o) => validateClusterRoleBinding(o as never), (o, old) => validateClusterRoleBindingUpdate(o as never, old as never));

/** core/v1 ResourceQuota: hard limits per namespace; status.used kept by the apiserver (admission-quota.ts). */
export const resourcequotas = base({
  name: 'resourcequotas',
  kind: 'ResourceQuota',
  shortNames: ['quota'],
  subresources: ['status'],
  prepareForCreate: (obj) => {
    obj.status = {};
  },
  validate: (obj) => validateResourceQuota(obj as never),
  validateUpdate: (obj, old) => validateResourceQuotaUpdate(obj as never, old as never),
  // (resourcequotaStatusStrategy.PrepareForUpdate resets spec alone: the write's metadata is kept)
  // (the status strategy allows unconditional updates as the main one does, but its validation
  // wants the request's resourceVersion)
  writable: { status: statusSubresource((obj, old, sentRv) => validateResourceQuotaStatusUpdate(obj as never, old as never, sentRv), APPS_STATUS_METADATA) },
});

/** core/v1 LimitRange: enforced (and its defaults given) by the LimitRanger admission plugin. */
export const limitranges = base({
  name: 'limitranges',
  kind: 'LimitRange',
  shortNames: ['limits'],
  writable: {},
  defaults: (obj) => defaultLimitRange(obj as never),
  validate: (obj) => validateLimitRange(obj as never),
  validateUpdate: (obj, old) => validateLimitRangeUpdate(obj as never, old as never),
});

/** networking.k8s.io/v1 NetworkPolicy: enforced by each node agent. */
export const networkpolicies = base({
  generationChanged: specChanged('NetworkPolicy'),
  name: 'networkpolicies',
  kind: 'NetworkPolicy',
  group: 'networking.k8s.io',
  shortNames: ['netpol'],
  defaults: (obj) => defaultNetworkPolicy(obj as never),
  validate: (obj) => validateNetworkPolicy(obj as never),
  validateUpdate: (obj, old) => validateNetworkPolicyUpdate(obj as never, old as never),
  writable: {},
});

/** scheduling.k8s.io/v1: pod priorities by name; value and preemptionPolicy are fixed once created. */
export const priorityclasses = base({
  // (1 on create, never bumped: its PrepareForUpdate is empty)
  generationChanged: () => false,
  name: 'priorityclasses',
  kind: 'PriorityClass',
  group: 'scheduling.k8s.io',
  namespaced: false,
  shortNames: ['pc'],
  writable: {},
  defaults: (obj) => defaultPriorityClass(obj as never),
  validate: (obj) => validatePriorityClass(obj as never),
  validateUpdate: (obj, old) => validatePriorityClassUpdate(obj as never, old as never),
});

/**
 * flowcontrol.apiserver.k8s.io/v1 (pkg/registry/flowcontrol): cluster-scoped, status cleared on
 * create and kept on update, generation 1 on create and bumped by a spec change, status written
 * through /status (the apiserver's own Dangling conditions).
 */
function flowcontrolResource(name: string, kind: string, defaults: (obj: KubeObject) => void, validate: (obj: KubeObject) => FieldError[], validateUpdate: (obj: KubeObject, old: KubeObject) => FieldError[], validateStatus: (obj: KubeObject) => FieldError[]): ResourceInfo {
  return base({
    name,
    singularName: name.slice(0, -1),
    kind,
    typeName: kind,
    group: 'flowcontrol.apiserver.k8s.io',
    namespaced: false,
    subresources: ['status'],
    generationChanged: specChanged(kind),
    prepareForCreate(obj) {
      delete obj.status;
      defaults(obj);
    },
    prepareForUpdate: keepingStatus(defaults),
    validate,
    validateUpdate,
    writable: { status: statusSubresource((obj, old) => [...validateGenericObjectMetaUpdate(obj.metadata, old.metadata, false), ...validateStatus(obj)]) },
  });
}
export const flowschemas = flowcontrolResource('flowschemas', 'FlowSchema', (o) => defaultFlowSchema(o as never), (o) => validateFlowSchema(o as never), (o, old) => validateFlowSchemaUpdate(o as never, old as never), (o) => validateFlowSchemaStatus(o as never));
export const prioritylevelconfigurations = flowcontrolResource(
  'prioritylevelconfigurations',
  'PriorityLevelConfiguration',
  (o) => defaultPriorityLevelConfiguration(o as never),
  (o) => validatePriorityLevelConfiguration(o as never),
  (o, old) => validatePriorityLevelConfigurationUpdate(o as never, old as never),
  (o) => validatePriorityLevelConfigurationStatus(o as never),
);

/** node.k8s.io/v1: runtime handlers pods may name; the handler is fixed once created. */
export const runtimeclasses = base({
  name: 'runtimeclasses',
  kind: 'RuntimeClass',
  group: 'node.k8s.io',
  namespaced: false,
  writable: {},
  // (as Kubernetes' strategy: a PUT must name the resourceVersion it replaces)
  allowUnconditionalUpdate: false,
  defaults: (obj) => defaultRuntimeClass(obj as never),
  validate: (obj) => validateRuntimeClass(obj as never),
  validateUpdate: (obj, old) => validateRuntimeClassUpdate(obj as never, old as never),
});

type CsrCondition = { type?: string; status?: string; lastUpdateTime?: string | null; lastTransitionTime?: string | null };
const csrConditions = (o: KubeObject): CsrCondition[] => (o.status as { conditions?: CsrCondition[] } | undefined)?.conditions ?? [];
/** populateConditionTimestamps: a condition without times gets now, its transition time kept from the same type and status before. */
function withConditionTimes(conditions: CsrCondition[], old: CsrCondition[]): CsrCondition[] {
  const now = rfc3339Now();
  return conditions.map((c) => ({
    ...c,
    lastUpdateTime: c.lastUpdateTime || now,
    lastTransitionTime: c.lastTransitionTime || old.find((o) => o.type === c.type && o.status === c.status && o.lastTransitionTime)?.lastTransitionTime || now,
  }));
}

/** certificates.k8s.io/v1: requests made by their users, approved through `approval`, signed through `status`. */
export const certificatesigningrequests = base({
  name: 'certificatesigningrequests',
  kind: 'CertificateSigningRequest',
  group: 'certificates.k8s.io',
  namespaced: false,
  shortNames: ['csr'],
  subresources: ['status', 'approval'],
  prepareForCreate(obj) {
    // (the requester's identity is set by the CertificateSigningRequest admission plugin)
    delete obj.status;
  },
  validate: (obj) => validateCertificateSigningRequest(obj as never),
  validateUpdate: (obj, old) => validateCertificateSigningRequestUpdate(obj as never, old as never),
  writable: {
    // The signer's: the certificate and its own conditions; Approved and Denied stay as stored
    // (only the approval subresource, which needs `approve` on the signer, decides those).
    status: {
      take: (body, kept) => {
        const decided = ((kept.status as { conditions?: { type?: string }[] } | undefined)?.conditions ?? []).filter((c) => c.type === 'Approved' || c.type === 'Denied');
        const others = ((body.status as { conditions?: { type?: string }[] } | undefined)?.conditions ?? []).filter((c) => c.type !== 'Approved' && c.type !== 'Denied');
        const old = csrConditions(kept);
        kept.status = { ...((body.status as Record<string, unknown> | undefined) ?? {}), conditions: withConditionTimes([...decided, ...others], old) };
        if (!(kept.status as { conditions: unknown[] }).conditions.length) delete (kept.status as Record<string, unknown>).conditions;
      },
      validateUpdate: (obj, old) => validateCertificateSigningRequestStatusUpdate(obj as never, old as never),
    },
    approval: {
      take: (body, kept) => {
        const old = csrConditions(kept);
        (kept.status ??= {}) as Record<string, unknown>;
        const next = (body.status as { conditions?: CsrCondition[] } | undefined)?.conditions;
        (kept.status as Record<string, unknown>).conditions = next && withConditionTimes(next, old);
      },
      validateUpdate: (obj, old) => validateCertificateSigningRequestApprovalUpdate(obj as never, old as never),
    },
  },
});

/** admissionregistration.k8s.io/v1: the webhooks the admission chain calls (admission-webhook.ts). */
export const validatingwebhookconfigurations = base({
  generationChanged: fieldChanged('ValidatingWebhookConfiguration', 'webhooks'),
  name: 'validatingwebhookconfigurations',
  kind: 'ValidatingWebhookConfiguration',
  group: 'admissionregistration.k8s.io',
  namespaced: false,
  categories: ['api-extensions'],
  writable: {},
  defaults: (obj) => defaultValidatingWebhookConfiguration(obj as never),
  validate: (obj) => validateValidatingWebhookConfiguration(obj as never),
});

export const mutatingwebhookconfigurations = base({
  generationChanged: fieldChanged('MutatingWebhookConfiguration', 'webhooks'),
  name: 'mutatingwebhookconfigurations',
  kind: 'MutatingWebhookConfiguration',
  group: 'admissionregistration.k8s.io',
  namespaced: false,
  categories: ['api-extensions'],
  writable: {},
  defaults: (obj) => defaultMutatingWebhookConfiguration(obj as never),
  validate: (obj) => validateMutatingWebhookConfiguration(obj as never),
});

/** admissionregistration.k8s.io/v1: CEL policies the admission chain evaluates (admission-policy.ts); status from its type checking. */
export const validatingadmissionpolicies = base({
  generationChanged: specChanged('ValidatingAdmissionPolicy'),
  name: 'validatingadmissionpolicies',
  kind: 'ValidatingAdmissionPolicy',
  group: 'admissionregistration.k8s.io',
  namespaced: false,
  categories: ['api-extensions'],
  subresources: ['status'],
  prepareForCreate(obj) {
    delete obj.status;
    defaultValidatingAdmissionPolicy(obj as never);
  },
  prepareForUpdate: keepingStatus((obj) => defaultValidatingAdmissionPolicy(obj as never)),
  validate: (obj) => validateValidatingAdmissionPolicy(obj as never),
  writable: { status: statusSubresource() },
});

export const validatingadmissionpolicybindings = base({
  generationChanged: specChanged('ValidatingAdmissionPolicyBinding'),
  name: 'validatingadmissionpolicybindings',
  kind: 'ValidatingAdmissionPolicyBinding',
  group: 'admissionregistration.k8s.io',
  namespaced: false,
  categories: ['api-extensions'],
  writable: {},
  defaults: (obj) => defaultValidatingAdmissionPolicyBinding(obj as never),
  validate: (obj) => validateValidatingAdmissionPolicyBinding(obj as never),
});

/** policy/v1: the status is the disruption controller's, and the eviction subresource's (disruptedPods). */
export const poddisruptionbudgets = base({
  generationChanged: specChanged('PodDisruptionBudget'),
  name: 'poddisruptionbudgets',
  kind: 'PodDisruptionBudget',
  group: 'policy',
  shortNames: ['pdb'],
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate: (obj) => validatePodDisruptionBudget(obj as never),
  validateUpdate: (obj, old) => validatePodDisruptionBudgetUpdate(obj as never, old as never),
  // (podDisruptionBudgetStatusStrategy.PrepareForUpdate resets spec alone and its ValidateUpdate
  // checks the status alone: the write's metadata is kept, checked only as the generic registry
  // checks every update's, validateCommonFields)
  writable: { status: statusSubresource((obj, old) => [...validateGenericObjectMetaUpdate(obj.metadata, old.metadata, true), ...validatePodDisruptionBudgetStatus(obj.status as never)], APPS_STATUS_METADATA) },
});

/** autoscaling/v2, the stored version: status written by the horizontal pod autoscaler controller. */
export const horizontalpodautoscalers = base({
  name: 'horizontalpodautoscalers',
  kind: 'HorizontalPodAutoscaler',
  group: 'autoscaling',
  version: 'v2',
  shortNames: ['hpa'],
  categories: ['all'],
  subresources: ['status'],
  prepareForCreate(obj) {
    obj.status = { desiredReplicas: 0 };
    defaultHorizontalPodAutoscaler(obj as never);
  },
  prepareForUpdate: keepingStatus((obj) => defaultHorizontalPodAutoscaler(obj as never)),
  validate: (obj) => validateHorizontalPodAutoscaler(obj as never),
  validateUpdate: (obj, old) => validateHorizontalPodAutoscalerUpdate(obj as never, old as never),
  // (the autoscaler status strategy resets spec alone: the write's metadata is kept, and
  // ValidateHorizontalPodAutoscalerStatusUpdate checks it as ValidateObjectMetaUpdate does)
  writable: { status: statusSubresource((obj, old) => [...validateObjectMetaUpdate(obj.metadata, old.metadata, true), ...validateHorizontalPodAutoscalerStatus(obj.status as never)], APPS_STATUS_METADATA) },
});

/** autoscaling/v1 (what kubectl 1.32's `kubectl autoscale` writes), converted to and from v2. */
export const horizontalpodautoscalersV1: ResourceInfo = {
  ...horizontalpodautoscalers,
  version: 'v1',
  typeName: 'HorizontalPodAutoscalerV1',
  view: {
    storage: horizontalpodautoscalers,
    defaults: (obj) => {
      ((obj.spec ??= {}) as { minReplicas?: number }).minReplicas ??= 1;
    },
    toStorage: (obj) => hpaFromV1(obj as never),
    fromStorage: (obj) => hpaToV1(obj as never),
    applyConfig: (obj) => hpaApplyConfigFromV1(obj as never),
  },
};

/** events.k8s.io/v1: the core/v1 Events under the newer API's field names, with its stricter rules for what it writes. */
export const eventsV1: ResourceInfo = {
  ...events,
  group: 'events.k8s.io',
  typeName: 'EventsEvent',
  view: {
    storage: events,
    defaults: () => {},
    toStorage: (obj) => eventFromEventsV1(obj as never),
    fromStorage: (obj) => eventToEventsV1(obj as never),
    // (a renaming: a partial configuration converts as it is)
    applyConfig: (obj) => eventFromEventsV1(obj as never),
    validate: (obj, old) => (old ? validateEventsV1Update(obj as never, old as never) : validateEventsV1Create(obj as never)),
    fieldLabel: eventsV1FieldLabel,
  },
};

// (autoscaling/v2 before v1: the first version of a group is its preferred one)
export const allResources: ResourceInfo[] = [pods, nodes, namespaces, events, leases, podtemplates, configmaps, secrets, serviceaccounts, services, endpoints, endpointslices, replicationcontrollers, replicasets, deployments, daemonsets, statefulsets, controllerrevisions, jobs, cronjobs, priorityclasses, runtimeclasses, flowschemas, prioritylevelconfigurations, limitranges, resourcequotas, networkpolicies, poddisruptionbudgets, horizontalpodautoscalers, horizontalpodautoscalersV1, eventsV1, ingresses, ingressclasses, persistentvolumes, persistentvolumeclaims, storageclasses, csidrivers, csinodes, csistoragecapacities, volumeattachments, roles, clusterroles, rolebindings, clusterrolebindings, validatingwebhookconfigurations, mutatingwebhookconfigurations, validatingadmissionpolicies, validatingadmissionpolicybindings, certificatesigningrequests];

/** Where Kubernetes keeps resources whose etcd prefix is not `/registry/<group/>resource/`. */
const ETCD_PREFIXES: Record<string, string> = {
  leases: '/registry/leases/',
  services: '/registry/services/specs/',
  endpoints: '/registry/services/endpoints/',
  endpointslices: '/registry/endpointslices/',
  networkpolicies: '/registry/networkpolicies/',
  roles: '/registry/roles/',
  clusterroles: '/registry/clusterroles/',
  rolebindings: '/registry/rolebindings/',
  clusterrolebindings: '/registry/clusterrolebindings/',
  priorityclasses: '/registry/priorityclasses/',
  runtimeclasses: '/registry/runtimeclasses/',
  csidrivers: '/registry/csidrivers/',
  csinodes: '/registry/csinodes/',
  csistoragecapacities: '/registry/csistoragecapacities/',
  volumeattachments: '/registry/volumeattachments/',
  flowschemas: '/registry/flowschemas/',
  prioritylevelconfigurations: '/registry/prioritylevelconfigurations/',
};

export function findResource(group: string, version: string, name: string): ResourceInfo | undefined {
  return allResources.find((r) => r.group === group && r.version === version && r.name === name);
}

/** Each resource's prefix, made once: etcdKey asks for it at every request. */
const etcdPrefixes = new WeakMap<ResourceInfo, string>();

export function etcdPrefix(r: ResourceInfo): string {
  let prefix = etcdPrefixes.get(r);
  if (prefix !== undefined) return prefix;
  prefix = (r.custom ? undefined : ETCD_PREFIXES[r.name]) ?? `/registry/${r.group ? `${r.group}/${r.name}` : r.name}/`;
  // (every store and cache asks for its prefix: etcd_request_duration_seconds learns its type here)
  registerEtcdType(prefix, groupResource(r));
  etcdPrefixes.set(r, prefix);
  return prefix;
}

export function etcdKey(r: ResourceInfo, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${etcdPrefix(r)}${namespace}/${name}` : `${etcdPrefix(r)}${name}`;
}
