// What every registry operation is given: the caller, its options, and the shapes of results.
import type { FieldError } from '../../api/field-error.js';
import type { KubeObject } from '../../api/types.js';
import type { Selectable } from '../raw-object.js';

/** Subresources that write part of an object; the rest of a body sent to them is ignored. */
export type Subresource = 'status' | 'ephemeralcontainers' | 'approval' | 'finalize';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface UserInfo {
  name: string;
  groups: string[];
  /** A unique id of the user (a service account's uid). */
  uid?: string;
  /** What the authenticator knows beyond name and groups (a service account token's pod and node). */
  extra?: Record<string, string[]>;
}

/** fieldManager, userAgent and force (field-manager.ts) come with every mutating request. */
/** What field management needs from a request. */
export interface FieldManagerRequest {
  /** The fieldManager query parameter (or gRPC field), if given. */
  fieldManager?: string;
  userAgent?: string;
  /** force=true: an Apply takes conflicting fields. */
  force?: boolean;
  /**
   * The version a write was made in when its managedFields entry is kept in that version's
   * names (ResourceInfo.managedFieldNames: events.k8s.io/v1); unset, the stored version's.
   */
  apiVersion?: string;
}

export interface RequestContext extends FieldManagerRequest {
  user: UserInfo;
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /** Warnings to return in `Warning:` headers. */
  warnings: string[];
  /** Set by authorization when a create is allowed only for this object name (a node's own Node). */
  requireName?: string;
  /** Checks of the request's version in place of the storage strategy's (a VersionView's, as events.k8s.io/v1's); `old` on update. */
  validateAs?: (obj: KubeObject, old: KubeObject | undefined) => FieldError[];
  /**
   * A write a subresource's REST makes on the object itself, which 1.32 passes
   * rest.ValidateAllObjectFunc in place of admission (an eviction's DisruptionTarget condition and
   * its delete): no admission plugin, webhook or policy is asked about it.
   */
  withoutAdmission?: boolean;
  /**
   * When the request's deadline passes (epoch ms; none for an internal write): its etcd calls end
   * there and are not retried after it, as the etcd3 store's calls end with the request's context.
   */
  deadline?: number;
}

export interface ListOptions {
  matches: (obj: Selectable) => boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** The request's deadline (epoch ms), as RequestContext's: its etcd reads end there. */
  deadline?: number;
}

/** Finalizers of the garbage collector: delete the dependents first / orphan them, then the owner goes. */
export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

/** How dependents of a deleted object are treated (the garbage collector acts on it). */
export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  /**
   * Unset: the kind's default (Orphan for ReplicationControllers and Jobs, else Background),
   * unless the object already carries the orphan or foregroundDeletion finalizer.
   */
  propagationPolicy?: PropagationPolicy;
  /**
   * The deprecated orphanDependents was sent as false: a delete that does not remove the object
   * at once is answered 202 Accepted instead of 200, as the DELETE handler does for it alone.
   */
  cascadeRequested?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type DeleteResult = { deleted: true; obj: KubeObject } | { deleted: false; obj: KubeObject };

export type Mutator = (current: KubeObject) => KubeObject | Promise<KubeObject>;
