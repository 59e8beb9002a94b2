// apps/v1 defaults of DaemonSets and StatefulSets (SetDefaults_DaemonSet, SetDefaults_StatefulSet):
// the RollingUpdate strategy (a DaemonSet replaces one node's pod at a time, no surge; a
// StatefulSet updates every ordinal, partition 0), 10 revisions kept, OrderedReady pods, claims
// retained; the pod template gets the pod spec defaults, claim templates the claim defaults.
import { defaultTemplate } from './defaults-apps.js';
import { embeddedObjectMeta } from './defaults.js';
import { defaultPersistentVolumeClaim } from './defaults-storage.js';
import type { DaemonSet, StatefulSet } from './types.js';

export function defaultDaemonSet(ds: DaemonSet): DaemonSet {
  const spec = (ds.spec ??= {});
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec.template);
  return ds;
}

export function defaultStatefulSet(sts: StatefulSet): StatefulSet {
  const spec = (sts.spec ??= {});
  spec.replicas ??= 1;
  spec.podManagementPolicy ||= 'OrderedReady';
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ||= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') (strategy.rollingUpdate ??= {}).partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  const retention = (spec.persistentVolumeClaimRetentionPolicy ??= {});
  retention.whenDeleted ||= 'Retain';
  retention.whenScaled ||= 'Retain';
  for (const t of spec.volumeClaimTemplates ?? []) {
    // (Convert_apps_StatefulSetSpec_To_v1_StatefulSetSpec names every claim template's kind,
    // whatever the client sent, as conversion before 1.17 did)
    t.apiVersion = 'v1';
    t.kind = 'PersistentVolumeClaim';
    embeddedObjectMeta(t);
    defaultPersistentVolumeClaim(t);
    (t.status ??= {}).phase ||= 'Pending';
  }
  defaultTemplate(spec.template);
  return sts;
}
