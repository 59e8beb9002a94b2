// The tsctl describers of StatefulSets, DaemonSets, CronJobs, PersistentVolumeClaims,
// PersistentVolumes, ServiceAccounts, Endpoints, EndpointSlices, Ingresses, the class kinds
// (StorageClass, PriorityClass, IngressClass), HorizontalPodAutoscalers, ResourceQuotas, LimitRanges,
// ReplicationControllers, PodDisruptionBudgets, NetworkPolicies, CSINodes, CertificateSigningRequests
// and the RBAC kinds: each fetches what
// kubectl 1.32's describer of that kind fetches (the pods a controller owns, the pods using a
// claim, an account's secrets, an ingress's backends) and says whether events follow, as some
// of kubectl's describers (the RBAC and ResourceQuota ones) list none.
import type { Ingress, KubeObject, NetworkPolicy, Pod, PodDisruptionBudget } from '../api/types.js';
import { core, Pods, type RestClient } from '../client/rest-client.js';
import { selectorString } from './describe-deployment.js';
import { describeEndpointSlice, describeIngressClass, describePriorityClass, describeStorageClass, type EndpointSlice, type IngressClass, type PriorityClass, type StorageClass } from './describe-classes.js';
import { describeCronJob, type CronJob } from './describe-cronjob.js';
import { describeHorizontalPodAutoscaler, type HorizontalPodAutoscaler } from './describe-hpa.js';
import { describeLimitRange, describeResourceQuota, type LimitRange, type ResourceQuota } from './describe-namespace.js';
import { describeCertificateSigningRequest, type CertificateSigningRequest } from './describe-csr.js';
import { describeNetworkPolicyObject } from './describe-netpol.js';
import { describePodDisruptionBudget } from './describe-pdb.js';
import { describeReplicationController, type ReplicationControllerDescribed } from './describe-replicaset.js';
import { ingressDescription } from './describe-ingress.js';
import { describeRole, describeRoleBinding, type Role, type RoleBinding } from './describe-rbac.js';
import { describeEndpoints, describeServiceAccount, type EndpointsDescribed, type SecretMeta, type ServiceAccount } from './describe-serviceaccount.js';
import { describeDaemonSet, describeStatefulSet, type DaemonSet, type StatefulSet } from './describe-statefulset.js';
import { describeCSINode, describePersistentVolume, describePersistentVolumeClaim, type CSINode, type PersistentVolume, type PersistentVolumeClaim } from './describe-storage.js';
import type { ApiResource } from './resources.js';

export interface KindDescription {
  /** Tab-ended cells, laid out by ./tabwriter.ts. */
  lines: string[];
  /** Whether the object's events follow, as its kubectl describer lists them. */
  events: boolean;
}

/** The pods of a namespace that a selector matches (none when they may not be listed). */
const podsMatching = (client: RestClient, namespace: string, selector: Parameters<typeof selectorString>[0]) =>
  client.list<Pod>(Pods, namespace, { labelSelector: selectorString(selector) }).then((l) => l.items, () => [] as Pod[]);

/** The description of `obj` by one of these describers, or undefined for another kind. */
export async function describeKind(client: RestClient, r: ApiResource, obj: KubeObject & Record<string, unknown>, namespace: string): Promise<KindDescription | undefined> {
  const kind = `${r.resource}.${r.group}`;
  switch (kind) {
    case 'statefulsets.apps': {
      const ss = obj as StatefulSet;
      return { lines: describeStatefulSet(ss, await podsMatching(client, namespace, ss.spec?.selector)), events: true };
    }
    case 'daemonsets.apps': {
      const ds = obj as DaemonSet;
      return { lines: describeDaemonSet(ds, await podsMatching(client, namespace, ds.spec?.selector)), events: true };
    }
    case 'cronjobs.batch':
      return { lines: describeCronJob(obj as CronJob), events: true };
    case 'persistentvolumeclaims.': {
      const pods = await client.list<Pod>(Pods, namespace).then((l) => l.items, () => [] as Pod[]);
      return { lines: describePersistentVolumeClaim(obj as PersistentVolumeClaim, pods), events: true };
    }
    case 'persistentvolumes.':
      return { lines: describePersistentVolume(obj as PersistentVolume), events: true };
    case 'serviceaccounts.': {
      // (errors are tolerated: the account is described with the secrets it names)
      const secrets = await client.list<SecretMeta>(core('secrets'), namespace).then((l) => l.items, () => undefined);
      return { lines: describeServiceAccount(obj as ServiceAccount, secrets), events: true };
    }
    case 'endpoints.':
      return { lines: describeEndpoints(obj as EndpointsDescribed), events: true };
    case 'ingresses.networking.k8s.io':
      return { lines: await ingressDescription(client, obj as Ingress, namespace), events: true };
    case 'horizontalpodautoscalers.autoscaling':
      return { lines: describeHorizontalPodAutoscaler(obj as HorizontalPodAutoscaler), events: true };
    case 'resourcequotas.':
      return { lines: describeResourceQuota(obj as ResourceQuota), events: false };
    case 'limitranges.':
      // (LimitRangeDescriber lists no labels and no events)
      return { lines: describeLimitRange(obj as LimitRange), events: false };
    case 'replicationcontrollers.': {
      const rc = obj as ReplicationControllerDescribed;
      // (its selector is a label set, labels.SelectorFromSet's; its own pods are counted among them)
      const pods = await podsMatching(client, namespace, { matchLabels: rc.spec?.selector });
      return { lines: describeReplicationController(rc, pods), events: true };
    }
    case 'networkpolicies.networking.k8s.io':
      // (NetworkPolicyDescriber lists no events)
      return { lines: describeNetworkPolicyObject(obj as NetworkPolicy), events: false };
    case 'certificatesigningrequests.certificates.k8s.io':
      return { lines: describeCertificateSigningRequest(obj as CertificateSigningRequest), events: true };
    case 'csinodes.storage.k8s.io':
      return { lines: describeCSINode(obj as CSINode), events: true };
    case 'poddisruptionbudgets.policy':
      return { lines: describePodDisruptionBudget(obj as unknown as PodDisruptionBudget), events: true };
    case 'storageclasses.storage.k8s.io':
      return { lines: describeStorageClass(obj as StorageClass), events: true };
    case 'priorityclasses.scheduling.k8s.io':
      return { lines: describePriorityClass(obj as PriorityClass), events: true };
    case 'ingressclasses.networking.k8s.io':
      return { lines: describeIngressClass(obj as IngressClass), events: true };
    case 'endpointslices.discovery.k8s.io':
      return { lines: describeEndpointSlice(obj as EndpointSlice), events: true };
    case 'roles.rbac.authorization.k8s.io':
    case 'clusterroles.rbac.authorization.k8s.io':
      return { lines: describeRole(obj as Role), events: false };
    case 'rolebindings.rbac.authorization.k8s.io':
    case 'clusterrolebindings.rbac.authorization.k8s.io':
      return { lines: describeRoleBinding(obj as RoleBinding), events: false };
  }
  return undefined;
}
