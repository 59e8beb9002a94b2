// apps/v1 defaults (SetDefaults_Deployment, SetDefaults_ReplicaSet): replicas 1, the
// RollingUpdate strategy with 25% surge and unavailability, 10 old ReplicaSets kept, a 600 s
// progress deadline; the pod template gets the pod spec defaults.
import { defaultPodSpec, embeddedObjectMeta } from './defaults.js';
import type { Deployment, PodTemplateSpec, ReplicaSet, ReplicationController } from './types.js';

/** A pod template: the pod spec defaults, and its metadata as Go writes it (embeddedObjectMeta). */
export function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (!t) return;
  embeddedObjectMeta(t);
  if (t.spec) defaultPodSpec(t.spec);
}

export function defaultReplicaSet(rs: ReplicaSet): ReplicaSet {
  const spec = (rs.spec ??= {});
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
  return rs;
}

/**
 * SetDefaults_ReplicationController (core/v1): with template labels, an empty selector and empty
 * object labels are taken from them; replicas 1.
 */
export function defaultReplicationController(rc: ReplicationController): ReplicationController {
  const spec = (rc.spec ??= {});
  const labels = spec.template?.metadata?.labels;
  if (labels && Object.keys(labels).length) {
    if (!spec.selector || !Object.keys(spec.selector).length) spec.selector = { ...labels };
    const meta = (rc.metadata ??= {});
    if (!meta.labels || !Object.keys(meta.labels).length) meta.labels = { ...labels };
  }
  spec.replicas ??= 1;
  defaultTemplate(spec.template);
  return rc;
}

export function defaultDeployment(d: Deployment): Deployment {
  const spec = (d.spec ??= {});
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
  return d;
}
