// Server-side printing: meta.k8s.io/v1 Table responses, so `kubectl get` shows its usual
// columns (NAME READY STATUS RESTARTS AGE for pods) and `tsctl get` prints the same.
import { eventFromEventsV1 } from '../../api/event-conversion.js';
import type { KubeObject, LabelSelector, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from '../../api/types.js';
import { asLabelSelector, formatLabelSelector, labelSelectorFromObject } from '../../api/selectors.js';
import { endpointSliceCells, endpointsCell, serviceCells } from './service-columns.js';
import { cronJobCells, jobCells } from './batch-columns.js';
import { hpaCells, pdbCells } from './policy-columns.js';
import { ingressCells, ingressClassParameters } from './ingress-columns.js';
import { csiDriverCells, persistentVolumeCells, persistentVolumeClaimCells, storageClassCells, volumeAttachmentCells } from './storage-columns.js';
import { bindingCells } from './rbac-columns.js';

export interface Column {
  name: string;
  type: string;
  format?: string;
  description: string;
  priority: number;
}

type Row = (obj: KubeObject, now: number) => unknown[];

export interface Printer {
  columns: Column[];
  row: Row;
}

// kubectl prefixes names with the kind (`configmap/x` in `get cm,secrets`) in the column of format `name`.
const col = (name: string, type = 'string', priority = 0, format = name === 'Name' ? 'name' : ''): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

/** Human-readable duration as kubectl prints ages: 45s, 3m12s, 5h, 3d. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y${d % 365 ? `${d % 365}d` : ''}`;
}

export const age = (obj: KubeObject, now: number) => {
  const t = obj.metadata?.creationTimestamp;
  return t ? humanDuration(now - Date.parse(t)) : '<unknown>';
};

interface CS {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number }; running?: unknown };
  lastState?: { terminated?: { finishedAt?: string } };
  started?: boolean;
}

/** The STATUS column as kubectl's printPod computes it (sidecars count among the containers, READY once started and ready). */
export function podStatusReason(pod: KubeObject): { reason: string; ready: number; total: number; restarts: number; lastRestart?: string } {
  const spec = (pod.spec ?? {}) as { containers?: unknown[]; initContainers?: { name?: string; restartPolicy?: string }[] };
  const status = (pod.status ?? {}) as { phase?: string; reason?: string; containerStatuses?: CS[]; initContainerStatuses?: CS[]; conditions?: { type?: string; status?: string }[] };
  const sidecars = new Set((spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always').map((c) => c.name));
  const total = (spec.containers?.length ?? 0) + sidecars.size;
  let reason = status.reason || status.phase || 'Pending';
  if (status.conditions?.some((c) => c.type === 'PodScheduled' && (c as { reason?: string }).reason === 'SchedulingGated')) reason = 'SchedulingGated';
  let restarts = 0;
  let ready = 0;
  let lastRestart: string | undefined;
  // (once initialized, only the sidecars' restarts count among the init containers')
  let sidecarRestarts = 0;
  let sidecarLastRestart: string | undefined;
  let initializing = false;
  const inits = status.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount ?? 0;
    const fin = c.lastState?.terminated?.finishedAt;
    if (fin && (!lastRestart || fin > lastRestart)) lastRestart = fin;
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      if (fin && (!sidecarLastRestart || fin > sidecarLastRestart)) sidecarLastRestart = fin;
    }
    if (c.state?.terminated?.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (c.state?.terminated) {
      const t = c.state.terminated;
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    } else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${c.state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec.initContainers?.length ?? inits.length}`;
    }
    initializing = true;
    break;
  }
  const initialized = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = sidecarLastRestart;
    let hasRunning = false;
    const cs = status.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount ?? 0;
      const fin = c.lastState?.terminated?.finishedAt;
      if (fin && (!lastRestart || fin > lastRestart)) lastRestart = fin;
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const isReady = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      reason = isReady ? 'Running' : 'NotReady';
    }
  }
  // (a pod that has ended keeps what it ended as while it is deleted)
  const ended = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !ended) reason = 'Terminating';
  return { reason, ready, total, restarts, lastRestart };
}

// ReplicaSets and Deployments: -o wide adds the template's containers, images and the selector.
const workloadWide = [col('Containers', 'string', 1), col('Images', 'string', 1), col('Selector', 'string', 1)];
type Workload = {
  spec: { replicas?: number; selector?: LabelSelector | Record<string, string>; template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
  status: { replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
};
const workload = (o: KubeObject): Workload => ({ spec: (o.spec ?? {}) as Workload['spec'], status: (o.status ?? {}) as Workload['status'] });
/** metav1.FormatLabelSelector: `a=b,c in (x,y)`, `<none>` for the empty selector. */
function selectorText(sel: LabelSelector | undefined): string {
  try {
    return formatLabelSelector(labelSelectorFromObject(sel ?? {})) || '<none>';
  } catch {
    return '<none>'; // stored selectors are valid
  }
}
/** ReplicaSets and ReplicationControllers: NAME DESIRED CURRENT READY AGE. */
const replicaTable = {
  columns: [col('Name'), col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Age'), ...workloadWide],
  row: (o: KubeObject, now: number) => {
    const { spec, status } = workload(o);
    return [o.metadata?.name, spec.replicas ?? 0, status.replicas ?? 0, status.readyReplicas ?? 0, age(o, now), ...workloadWideCells(o)];
  },
};

function workloadWideCells(o: KubeObject): string[] {
  const { spec } = workload(o);
  const containers = spec.template?.spec?.containers ?? [];
  const selector = spec.selector ? selectorText(asLabelSelector(spec.selector)) : '<none>';
  return [containers.map((c) => c.name ?? '').join(','), containers.map((c) => c.image ?? '').join(','), selector];
}

// Roles print their creation time (kubectl's CREATED AT), bindings their role and subjects.
const rolePrinter: Printer = { columns: [col('Name'), col('Created At', 'date')], row: (r) => [r.metadata?.name, r.metadata?.creationTimestamp ?? ''] };
const bindingPrinter: Printer = {
  columns: [col('Name'), col('Role'), col('Age'), col('Users', 'string', 1), col('Groups', 'string', 1), col('ServiceAccounts', 'string', 1)],
  row: (b, now) => {
    const c = bindingCells(b as never);
    return [b.metadata?.name, c.role, age(b, now), c.users, c.groups, c.serviceAccounts];
  },
};
const webhookConfigurations: Printer = {
  columns: [col('Name'), col('Webhooks', 'integer'), col('Age')],
  row: (c, now) => [c.metadata?.name, ((c.webhooks as unknown[] | undefined) ?? []).length, age(c, now)],
};
// kubectl's columns for admission policies: PARAMKIND apiVersion/kind, PARAMREF ns/name, */name or the selector
const admissionPolicyPrinter: Printer = {
  columns: [col('Name'), col('Validations', 'integer'), col('ParamKind'), col('Age')],
  row: (p, now) => {
    const spec = (p.spec ?? {}) as ValidatingAdmissionPolicy['spec'] & object;
    const pk = spec.paramKind;
    return [p.metadata?.name, (spec.validations ?? []).length, pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>', age(p, now)];
  },
};
const admissionPolicyBindingPrinter: Printer = {
  columns: [col('Name'), col('PolicyName'), col('ParamRef'), col('Age')],
  row: (b, now) => {
    const spec = (b.spec ?? {}) as ValidatingAdmissionPolicyBinding['spec'] & object;
    const pr = spec.paramRef;
    let param = '<unset>';
    if (pr?.name) param = `${pr.namespace || '*'}/${pr.name}`;
    else if (pr?.selector) param = selectorText(asLabelSelector(pr.selector));
    return [b.metadata?.name, spec.policyName ?? '', param, age(b, now)];
  },
};
const printers: Record<string, Printer> = {
  validatingadmissionpolicies: admissionPolicyPrinter,
  validatingadmissionpolicybindings: admissionPolicyBindingPrinter,
  customresourcedefinitions: { columns: [col('Name'), col('Created At', 'date')], row: (o) => [o.metadata?.name, o.metadata?.creationTimestamp] },
  roles: rolePrinter,
  clusterroles: rolePrinter,
  rolebindings: bindingPrinter,
  clusterrolebindings: bindingPrinter,
  pods: {
    columns: [col('Name'), col('Ready'), col('Status'), col('Restarts', 'string'), col('Age'), col('IP', 'string', 1), col('Node', 'string', 1), col('Nominated Node', 'string', 1), col('Readiness Gates', 'string', 1)],
    row: (pod, now) => {
      const s = podStatusReason(pod);
      const status = (pod.status ?? {}) as { podIP?: string; nominatedNodeName?: string };
      const spec = (pod.spec ?? {}) as { nodeName?: string; readinessGates?: { conditionType?: string }[] };
      const restarts = s.lastRestart ? `${s.restarts} (${humanDuration(now - Date.parse(s.lastRestart))} ago)` : String(s.restarts);
      // READINESS GATES: how many of the gates' conditions are True
      const conditions = ((pod.status ?? {}) as { conditions?: { type?: string; status?: string }[] }).conditions ?? [];
      const gates = spec.readinessGates ?? [];
      const open = gates.filter((g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True').length;
      return [pod.metadata?.name, `${s.ready}/${s.total}`, s.reason, restarts, age(pod, now), status.podIP || '<none>', spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gates.length ? `${open}/${gates.length}` : '<none>'];
    },
  },
  nodes: {
    columns: [col('Name'), col('Status'), col('Roles'), col('Age'), col('Version'), col('Internal-IP', 'string', 1), col('External-IP', 'string', 1), col('OS-Image', 'string', 1), col('Kernel-Version', 'string', 1), col('Container-Runtime', 'string', 1)],
    row: (node, now) => {
      const st = (node.status ?? {}) as { conditions?: { type: string; status: string }[]; nodeInfo?: Record<string, string>; addresses?: { type: string; address: string }[] };
      const spec = (node.spec ?? {}) as { unschedulable?: boolean };
      const ready = st.conditions?.find((c) => c.type === 'Ready');
      // (printNode: Ready when True, NotReady for any other status; Unknown only with no Ready condition)
      let status = ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown';
      if (spec.unschedulable) status += ',SchedulingDisabled';
      // (findNodeRoles: node-role.kubernetes.io/<role> and kubernetes.io/role=<role>, sorted)
      const roles = new Set<string>();
      for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
        if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
        else if (k === 'kubernetes.io/role' && v) roles.add(v);
      }
      const addr = (t: string) => st.addresses?.find((a) => a.type === t)?.address ?? '<none>';
      const info = (k: string) => st.nodeInfo?.[k] || '<unknown>';
      return [node.metadata?.name, status, [...roles].sort().join(',') || '<none>', age(node, now), st.nodeInfo?.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info('osImage'), info('kernelVersion'), info('containerRuntimeVersion')];
    },
  },
  namespaces: {
    columns: [col('Name'), col('Status'), col('Age')],
    row: (ns, now) => [ns.metadata?.name, (ns.status as { phase?: string } | undefined)?.phase ?? 'Active', age(ns, now)],
  },
  events: {
    // As Kubernetes' printEvent; the server always sends the -o wide cells (priority 1 columns).
    columns: [col('Last Seen'), col('Type'), col('Reason'), col('Object'), col('Subobject', 'string', 1), col('Source', 'string', 1), col('Message'), col('First Seen', 'string', 1), col('Count', 'string', 1), col('Name', 'string', 1)],
    row: (ev, now) => {
      const e = (ev.apiVersion === 'events.k8s.io/v1' ? eventFromEventsV1(ev as never) : ev) as KubeObject & {
        firstTimestamp?: string;
        lastTimestamp?: string;
        eventTime?: string;
        series?: { count?: number; lastObservedTime?: string };
        type?: string;
        reason?: string;
        message?: string;
        involvedObject?: { kind?: string; name?: string; fieldPath?: string };
        count?: number;
        source?: { component?: string; host?: string };
        reportingComponent?: string;
        reportingInstance?: string;
      };
      const since = (t: string | undefined) => (t ? humanDuration(now - Date.parse(t)) : '<unknown>');
      const first = since(e.firstTimestamp || e.eventTime);
      let last = e.lastTimestamp ? since(e.lastTimestamp) : first;
      let count = e.count || 1;
      if (e.series) {
        last = since(e.series.lastObservedTime);
        count = e.series.count ?? count;
      }
      const kind = (e.involvedObject?.kind ?? '').toLowerCase();
      const target = e.involvedObject?.name ? `${kind}/${e.involvedObject.name}` : kind;
      const component = e.source?.component || e.reportingComponent || '';
      const instance = e.source?.host || e.reportingInstance || '';
      const source = instance ? `${component}, ${instance}` : component;
      return [last, e.type ?? '', e.reason ?? '', target, e.involvedObject?.fieldPath ?? '', source, (e.message ?? '').trim(), first, count, e.metadata?.name];
    },
  },
  podtemplates: {
    // As Kubernetes' printPodTemplate: no AGE; the template's containers, images and labels.
    columns: [col('Name'), col('Containers'), col('Images'), col('Pod Labels')],
    row: (pt) => {
      const t = (pt as { template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { name?: string; image?: string }[] } } }).template ?? {};
      const containers = t.spec?.containers ?? [];
      const labels = Object.entries(t.metadata?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join(',');
      return [pt.metadata?.name, containers.map((c) => c.name ?? '').join(','), containers.map((c) => c.image ?? '').join(','), labels || '<none>'];
    },
  },
  leases: {
    columns: [col('Name'), col('Holder'), col('Age')],
    row: (l, now) => [l.metadata?.name, (l.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '', age(l, now)],
  },
  resourcequotas: {
    // As kubectl: AGE, then "used/hard" for requests (REQUEST) and for limits.* (LIMIT).
    columns: [col('Name'), col('Age'), col('Request'), col('Limit')],
    row: (q, now) => {
      const hard = ((q.status as { hard?: Record<string, string> } | undefined)?.hard ?? (q.spec as { hard?: Record<string, string> } | undefined)?.hard ?? {}) as Record<string, string>;
      const used = ((q.status as { used?: Record<string, string> } | undefined)?.used ?? {}) as Record<string, string>;
      const cells = (limits: boolean) =>
        Object.keys(hard)
          .filter((k) => k.startsWith('limits.') === limits)
          .sort()
          .map((k) => `${k}: ${used[k] ?? '0'}/${hard[k]}`)
          .join(', ');
      return [q.metadata?.name, age(q, now), cells(false), cells(true)];
    },
  },
  limitranges: {
    columns: [col('Name'), col('Created At', 'date')],
    row: (lr) => [lr.metadata?.name, lr.metadata?.creationTimestamp ?? ''],
  },
  certificatesigningrequests: {
    columns: [col('Name'), col('Age'), col('SignerName'), col('Requestor'), col('RequestedDuration'), col('Condition')],
    row: (c, now) => {
      const spec = (c.spec ?? {}) as { signerName?: string; username?: string; expirationSeconds?: number };
      const st = (c.status ?? {}) as { conditions?: { type: string; status: string }[]; certificate?: string };
      const conds = (st.conditions ?? []).filter((x) => x.status === 'True').map((x) => x.type);
      if (st.certificate) conds.push('Issued');
      const d = spec.expirationSeconds;
      const dur = d === undefined ? '<none>' : d % 3600 === 0 ? `${d / 3600}h` : d % 60 === 0 ? `${d / 60}m` : `${d}s`;
      return [c.metadata?.name, age(c, now), spec.signerName ?? '', spec.username ?? '', dur, conds.length ? conds.join(',') : 'Pending'];
    },
  },
  validatingwebhookconfigurations: webhookConfigurations,
  mutatingwebhookconfigurations: webhookConfigurations,
  priorityclasses: {
    columns: [col('Name'), col('Value', 'integer'), col('Global-Default', 'boolean'), col('Age'), col('PreemptionPolicy')],
    row: (pc, now) => [pc.metadata?.name, pc.value ?? 0, pc.globalDefault ?? false, age(pc, now), pc.preemptionPolicy ?? ''],
  },
  // (printFlowSchema and printPriorityLevelConfiguration: every column a string, <none> for what
  // the spec leaves out, MissingPL the Dangling condition's status or ?)
  flowschemas: {
    columns: [col('Name'), col('PriorityLevel'), col('MatchingPrecedence'), col('DistinguisherMethod'), col('Age'), col('MissingPL')],
    row: (f, now) => {
      const spec = (f.spec ?? {}) as { priorityLevelConfiguration?: { name?: string }; matchingPrecedence?: number; distinguisherMethod?: { type?: string } };
      const conditions = ((f.status as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions ?? []);
      return [f.metadata?.name, spec.priorityLevelConfiguration?.name ?? '', spec.matchingPrecedence ?? 0, spec.distinguisherMethod ? (spec.distinguisherMethod.type ?? '') : '<none>', age(f, now), conditions.find((c) => c.type === 'Dangling')?.status ?? '?'];
    },
  },
  prioritylevelconfigurations: {
    columns: [col('Name'), col('Type'), col('NominalConcurrencyShares'), col('Queues'), col('HandSize'), col('QueueLengthLimit'), col('Age')],
    row: (p, now) => {
      const spec = (p.spec ?? {}) as { type?: string; limited?: { nominalConcurrencyShares?: number; limitResponse?: { queuing?: { queues?: number; handSize?: number; queueLengthLimit?: number } } } };
      const q = spec.limited?.limitResponse?.queuing;
      return [p.metadata?.name, spec.type ?? '', spec.limited ? (spec.limited.nominalConcurrencyShares ?? 0) : '<none>', q ? (q.queues ?? 0) : '<none>', q ? (q.handSize ?? 0) : '<none>', q ? (q.queueLengthLimit ?? 0) : '<none>', age(p, now)];
    },
  },
  runtimeclasses: {
    columns: [col('Name'), col('Handler'), col('Age')],
    row: (rc, now) => [rc.metadata?.name, rc.handler ?? '', age(rc, now)],
  },
  configmaps: {
    columns: [col('Name'), col('Data', 'integer'), col('Age')],
    row: (cm, now) => [cm.metadata?.name, keyCount(cm.data) + keyCount(cm.binaryData), age(cm, now)],
  },
  secrets: {
    columns: [col('Name'), col('Type'), col('Data', 'integer'), col('Age')],
    row: (s, now) => [s.metadata?.name, s.type ?? '', keyCount(s.data), age(s, now)],
  },
  serviceaccounts: {
    columns: [col('Name'), col('Secrets', 'integer'), col('Age')],
    row: (sa, now) => [sa.metadata?.name, Array.isArray(sa.secrets) ? sa.secrets.length : 0, age(sa, now)],
  },
  deployments: {
    columns: [col('Name'), col('Ready'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Age'), ...workloadWide],
    row: (d, now) => {
      const { spec, status } = workload(d);
      return [d.metadata?.name, `${status.readyReplicas ?? 0}/${spec.replicas ?? 0}`, status.updatedReplicas ?? 0, status.availableReplicas ?? 0, age(d, now), ...workloadWideCells(d)];
    },
  },
  replicationcontrollers: replicaTable,
  replicasets: replicaTable,
  jobs: {
    columns: [col('Name'), col('Status'), col('Completions'), col('Duration'), col('Age'), ...workloadWide],
    row: (j, now) => {
      const c = jobCells(j as never, now, humanDuration);
      return [j.metadata?.name, c.status, c.completions, c.duration, age(j, now), ...workloadWideCells(j)];
    },
  },
  cronjobs: {
    columns: [col('Name'), col('Schedule'), col('Timezone'), col('Suspend'), col('Active', 'integer'), col('Last Schedule'), col('Age'), ...workloadWide],
    row: (cj, now) => {
      const c = cronJobCells(cj as never, now, humanDuration);
      const jobSpec = ((cj.spec as { jobTemplate?: { spec?: Record<string, unknown> } } | undefined)?.jobTemplate?.spec ?? {}) as Record<string, unknown>;
      return [cj.metadata?.name, (cj.spec as { schedule?: string } | undefined)?.schedule ?? '', c.timeZone, c.suspend, c.active, c.lastSchedule, age(cj, now), ...workloadWideCells({ spec: jobSpec })];
    },
  },
  services: {
    columns: [col('Name'), col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), col('Age'), col('Selector', 'string', 1)],
    row: (svc, now) => {
      const c = serviceCells(svc as never);
      return [svc.metadata?.name, c.type, c.clusterIP, c.externalIP, c.ports, age(svc, now), c.selector];
    },
  },
  endpoints: {
    columns: [col('Name'), col('Endpoints'), col('Age')],
    row: (ep, now) => [ep.metadata?.name, endpointsCell(ep as never), age(ep, now)],
  },
  daemonsets: {
    columns: [col('Name'), col('Desired', 'integer'), col('Current', 'integer'), col('Ready', 'integer'), col('Up-to-date', 'integer'), col('Available', 'integer'), col('Node Selector'), col('Age'), ...workloadWide],
    row: (ds, now) => {
      const st = (ds.status ?? {}) as Record<string, number | undefined>;
      const nodeSelector = Object.entries((ds.spec as Workload['spec'] & { template?: { spec?: { nodeSelector?: Record<string, string> } } })?.template?.spec?.nodeSelector ?? {});
      const cells = [st.desiredNumberScheduled, st.currentNumberScheduled, st.numberReady, st.updatedNumberScheduled, st.numberAvailable].map((n) => n ?? 0);
      return [ds.metadata?.name, ...cells, nodeSelector.map(([k, v]) => `${k}=${v}`).join(',') || '<none>', age(ds, now), ...workloadWideCells(ds)];
    },
  },
  statefulsets: {
    columns: [col('Name'), col('Ready'), col('Age'), ...workloadWide.slice(0, 2)],
    row: (sts, now) => {
      const { spec, status } = workload(sts);
      return [sts.metadata?.name, `${status.readyReplicas ?? 0}/${spec.replicas ?? 0}`, age(sts, now), ...workloadWideCells(sts).slice(0, 2)];
    },
  },
  controllerrevisions: {
    columns: [col('Name'), col('Controller'), col('Revision', 'integer'), col('Age')],
    row: (cr, now) => {
      const owner = cr.metadata?.ownerReferences?.find((r) => r.controller);
      const controller = owner ? `${owner.kind?.toLowerCase()}.${owner.apiVersion?.split('/')[0]}/${owner.name}` : '<none>';
      return [cr.metadata?.name, controller, (cr as { revision?: number }).revision ?? 0, age(cr, now)];
    },
  },
  networkpolicies: {
    columns: [col('Name'), col('Pod-Selector'), col('Age')],
    row: (np, now) => [np.metadata?.name, selectorText((np.spec as { podSelector?: LabelSelector } | undefined)?.podSelector), age(np, now)],
  },
  poddisruptionbudgets: {
    columns: [col('Name'), col('Min Available'), col('Max Unavailable'), col('Allowed Disruptions', 'integer'), col('Age')],
    row: (pdb, now) => [pdb.metadata?.name, ...pdbCells(pdb as never), age(pdb, now)],
  },
  horizontalpodautoscalers: {
    columns: [col('Name'), col('Reference'), col('Targets'), col('MinPods'), col('MaxPods'), col('Replicas'), col('Age')],
    row: (hpa, now) => [hpa.metadata?.name, ...hpaCells(hpa), age(hpa, now)],
  },
  ingresses: {
    columns: [col('Name'), col('Class'), col('Hosts'), col('Address'), col('Ports'), col('Age')],
    row: (ing, now) => {
      const c = ingressCells(ing as never);
      return [ing.metadata?.name, c.className, c.hosts, c.address, c.ports, age(ing, now)];
    },
  },
  ingressclasses: {
    columns: [col('Name'), col('Controller'), col('Parameters'), col('Age')],
    row: (c, now) => [c.metadata?.name, (c.spec as { controller?: string } | undefined)?.controller ?? '', ingressClassParameters(c as never), age(c, now)],
  },
  persistentvolumes: {
    columns: [col('Name'), col('Capacity'), col('Access Modes'), col('Reclaim Policy'), col('Status'), col('Claim'), col('StorageClass'), col('VolumeAttributesClass'), col('Reason'), col('Age'), col('VolumeMode', 'string', 1)],
    row: (pv, now) => {
      const c = persistentVolumeCells(pv as never);
      return [pv.metadata?.name, c.capacity, c.accessModes, c.reclaimPolicy, c.status, c.claim, c.storageClass, c.volumeAttributesClass, c.reason, age(pv, now), c.volumeMode];
    },
  },
  persistentvolumeclaims: {
    columns: [col('Name'), col('Status'), col('Volume'), col('Capacity'), col('Access Modes'), col('StorageClass'), col('VolumeAttributesClass'), col('Age'), col('VolumeMode', 'string', 1)],
    row: (pvc, now) => {
      const c = persistentVolumeClaimCells(pvc as never);
      return [pvc.metadata?.name, c.status, c.volume, c.capacity, c.accessModes, c.storageClass, c.volumeAttributesClass, age(pvc, now), c.volumeMode];
    },
  },
  storageclasses: {
    columns: [col('Name'), col('Provisioner'), col('ReclaimPolicy'), col('VolumeBindingMode'), col('AllowVolumeExpansion'), col('Age')],
    row: (sc, now) => {
      const c = storageClassCells(sc as never);
      return [c.name, c.provisioner, c.reclaimPolicy, c.volumeBindingMode, c.allowVolumeExpansion, age(sc, now)];
    },
  },
  csidrivers: {
    columns: [col('Name'), col('AttachRequired', 'boolean'), col('PodInfoOnMount', 'boolean'), col('StorageCapacity', 'boolean'), col('TokenRequests'), col('RequiresRepublish', 'boolean'), col('Modes'), col('Age')],
    row: (d, now) => [d.metadata?.name, ...csiDriverCells(d as never), age(d, now)],
  },
  csinodes: {
    columns: [col('Name'), col('Drivers', 'integer'), col('Age')],
    row: (n, now) => [n.metadata?.name, ((n.spec as { drivers?: unknown[] } | undefined)?.drivers ?? []).length, age(n, now)],
  },
  // (1.32's store gives CSIStorageCapacities the default table convertor, not printers.go's columns)
  csistoragecapacities: rolePrinter,
  volumeattachments: {
    columns: [col('Name'), col('Attacher'), col('PV'), col('Node'), col('Attached', 'boolean'), col('Age')],
    row: (va, now) => [va.metadata?.name, ...volumeAttachmentCells(va as never), age(va, now)],
  },
  endpointslices: {
    columns: [col('Name'), col('AddressType'), col('Ports'), col('Endpoints'), col('Age')],
    row: (s, now) => {
      const c = endpointSliceCells(s as never);
      return [s.metadata?.name, c.addressType, c.ports, c.endpoints, age(s, now)];
    },
  },
};

/** autoscaling/v1 Scale, the scale subresource (`kubectl get deploy web --subresource=scale`). */
export const scalePrinter: Printer = {
  columns: [col('Name'), col('Desired', 'integer'), col('Available', 'integer'), col('Age')],
  row: (s, now) => [s.metadata?.name, (s.spec as { replicas?: number } | undefined)?.replicas ?? 0, (s.status as { replicas?: number } | undefined)?.replicas ?? 0, age(s, now)],
};

const keyCount = (m: unknown) => (m && typeof m === 'object' ? Object.keys(m).length : 0);

const fallback: Printer = { columns: [col('Name'), col('Age')], row: (o, now) => [o.metadata?.name, age(o, now)] };

export function tableColumns(resource: string): Column[] {
  return (printers[resource] ?? fallback).columns;
}

/** `resource` names a built-in printer (pods, ...) or is the printer itself (custom resources). */
export function toTable(resource: string | Printer, items: KubeObject[], listMeta: Record<string, unknown>, includeObject: string, withColumns = true): Record<string, unknown> {
  const p = typeof resource === 'string' ? (printers[resource] ?? fallback) : resource;
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? p.columns : [],
    rows: items.map((obj) => ({
      cells: p.row(obj, now),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? obj
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata },
    })),
  };
}
