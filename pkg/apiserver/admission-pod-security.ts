// The PodSecurity admission plugin, as Kubernetes 1.32 builds it into kube-apiserver
// (k8s.io/pod-security-admission/admission). A namespace's `pod-security.kubernetes.io/*` labels
// choose a level per mode: `enforce` refuses violating pods (403), `warn` returns Warning headers,
// `audit` records the violation (tskube has no audit log: a structured log line). Workload
// resources with a pod template are warned about and audited, never refused. A namespace whose
// labels are invalid is refused (422); one whose enforce level becomes stricter gets warnings
// naming its existing pods that would now be refused. Unlabelled namespaces are privileged.
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../api/types.js';
import {
  aggregate,
  compareLevels,
  DEFAULT_POLICY,
  evaluatePod,
  existingPodWarnings,
  forbiddenDetail,
  fullyPrivileged,
  LABEL_PREFIX,
  levelVersionString,
  MODES,
  policyFromLabels,
  sameLevelVersion,
  sameVersion,
  isSignificantPodUpdate,
  type CheckedPodMeta,
  type CheckedPodSpec,
  type Policy,
  type PodForCheck,
} from '../api/pod-security.js';
import { logger } from '../util/log.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission.js';
import * as errors from './errors.js';

const log = logger('pod-security');

/** Kubernetes' PodSecurityConfiguration exemptions: requests these match are not checked. */
export interface PodSecurityExemptions {
  usernames?: string[];
  namespaces?: string[];
  runtimeClasses?: string[];
}

export interface PodSecurityConfig {
  /** The policy of namespaces without labels (Kubernetes' default: privileged for every mode). */
  defaults?: Policy;
  exemptions?: PodSecurityExemptions;
}

export interface PodSecurityAccess {
  /** A namespace by name (undefined when there is none). */
  namespace(name: string): Promise<KubeObject | undefined>;
  /** The pods of a namespace (from the watch cache). */
  pods(namespace: string): KubeObject[];
}

/** The pod template of each workload resource (Kubernetes' DefaultPodSpecExtractor). */
const TEMPLATE_OF: Record<string, (o: KubeObject) => unknown> = {
  podtemplates: (o) => o.template,
  replicationcontrollers: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  replicasets: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  deployments: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  daemonsets: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  statefulsets: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  jobs: (o) => (o.spec as { template?: unknown } | undefined)?.template,
  cronjobs: (o) => (o.spec as { jobTemplate?: { spec?: { template?: unknown } } } | undefined)?.jobTemplate?.spec?.template,
};

/** Pod subresources PodSecurity does not look at (Kubernetes' ignoredPodSubresources); ephemeralcontainers it does. */
const IGNORED_POD_SUBRESOURCES = new Set(['exec', 'attach', 'binding', 'eviction', 'log', 'portforward', 'proxy', 'status']);

type Labels = Record<string, string> | undefined;
const labelsOf = (o: KubeObject | undefined): Labels => (o?.metadata as { labels?: Record<string, string> } | undefined)?.labels;

export function podSecurityAdmission(access: PodSecurityAccess, config: PodSecurityConfig = {}): AdmissionPlugin {
  const defaults = config.defaults ?? DEFAULT_POLICY;
  const ex = config.exemptions ?? {};
  const exemptNamespace = (ns: string | undefined) => !!ns && (ex.namespaces ?? []).includes(ns);
  const exemptUser = (user: string) => !!user && (ex.usernames ?? []).includes(user);
  const exemptRuntimeClass = (rc: string | undefined) => !!rc && (ex.runtimeClasses ?? []).includes(rc);

  /** What a pod or template in namespace ns meets; enforce only for pods. */
  async function evaluate(req: AdmissionRequest, meta: CheckedPodMeta, spec: CheckedPodSpec & { runtimeClassName?: string }, policy: Policy, policyErrors: unknown[], enforce: boolean): Promise<void> {
    if (exemptRuntimeClass(spec.runtimeClassName)) return;
    const where = { resource: req.resource.name, namespace: req.namespace, name: req.name, operation: req.operation, user: req.ctx.user.name };
    if (policyErrors.length) log.info('failed to parse PodSecurity namespace labels', { ...where, errors: policyErrors });
    const enforced = enforce ? aggregate(evaluatePod(policy.enforce, meta, spec)) : undefined;
    const audit = aggregate(evaluatePod(policy.audit, meta, spec));
    if (!audit.allowed) {
      // (Kubernetes puts this into the request's audit event; tskube has no audit log)
      log.warn('PodSecurity audit violation', { ...where, 'pod-security.kubernetes.io/audit-violations': `would violate PodSecurity "${levelVersionString(policy.audit)}": ${forbiddenDetail(audit)}` });
    }
    if (enforced && !enforced.allowed) {
      throw errors.admissionForbidden(req.resource.group, req.resource.name, req.name, `violates PodSecurity "${levelVersionString(policy.enforce)}": ${forbiddenDetail(enforced)}`);
    }
    const warn = aggregate(evaluatePod(policy.warn, meta, spec));
    if (!warn.allowed) req.ctx.warnings.push(`would violate PodSecurity "${levelVersionString(policy.warn)}": ${forbiddenDetail(warn)}`);
  }

  async function policyOf(req: AdmissionRequest): Promise<ReturnType<typeof policyFromLabels>> {
    const ns = await access.namespace(req.namespace ?? '');
    if (!ns) throw errors.internal(`failed to lookup namespace "${req.namespace}"`);
    return policyFromLabels(labelsOf(ns), defaults);
  }

  async function validatePod(req: AdmissionRequest): Promise<void> {
    if (req.subresource && IGNORED_POD_SUBRESOURCES.has(req.subresource)) return;
    if (exemptNamespace(req.namespace) || exemptUser(req.ctx.user.name)) return;
    const { policy, errors: errs } = await policyOf(req);
    if (!errs.length && fullyPrivileged(policy)) return;
    const pod = req.obj as PodForCheck;
    const old = req.old as PodForCheck | undefined;
    if (req.operation === 'UPDATE' && !isSignificantPodUpdate(pod.spec ?? {}, old?.spec ?? {}, pod.metadata?.annotations, old?.metadata?.annotations)) return;
    await evaluate(req, pod.metadata ?? {}, pod.spec ?? {}, policy, errs, true);
  }

  async function validateTemplate(req: AdmissionRequest): Promise<void> {
    if (req.subresource) return;
    if (exemptNamespace(req.namespace) || exemptUser(req.ctx.user.name)) return;
    let found;
    try {
      found = await policyOf(req);
    } catch (e) {
      // (workloads fail open: Kubernetes records the error and allows)
      log.warn('PodSecurity could not read the namespace', { namespace: req.namespace, err: e as Error });
      return;
    }
    const { policy, errors: errs } = found;
    if (!errs.length && policy.warn.level === 'privileged' && policy.audit.level === 'privileged') return;
    const template = TEMPLATE_OF[req.resource.name]!(req.obj!) as PodForCheck | undefined;
    if (!template) return;
    await evaluate(req, template.metadata ?? {}, template.spec ?? {}, policy, errs, false);
  }

  /** `namespace "ns" is exempt from Pod Security, and the policy (enforce=...) will be ignored`, or nothing. */
  function exemptNamespaceWarning(name: string, policy: Policy, labels: Labels): string | undefined {
    if (fullyPrivileged(policy) || MODES.every((m) => (policy[m].level === 'privileged' && defaults[m].level === 'privileged') || sameLevelVersion(policy[m], defaults[m]))) return undefined;
    const parts = MODES.filter((m) => policy[m].level !== 'privileged' && (labels?.[LABEL_PREFIX + m] !== undefined || labels?.[`${LABEL_PREFIX}${m}-version`] !== undefined)).map((m) => `${m}=${levelVersionString(policy[m])}`);
    return `namespace "${name}" is exempt from Pod Security, and the policy (${parts.join(', ')}) will be ignored`;
  }

  function validateNamespace(req: AdmissionRequest): void {
    if (req.subresource) return;
    const ns = req.obj!;
    const name = ns.metadata?.name ?? req.name;
    const labels = labelsOf(ns);
    const next = policyFromLabels(labels, defaults);
    const refuse = () => errors.invalid('Namespace', '', name, next.errors);
    if (req.operation === 'CREATE') {
      if (next.errors.length) throw refuse();
      if (exemptNamespace(name)) {
        const w = exemptNamespaceWarning(name, next.policy, labels);
        if (w) req.ctx.warnings.push(w);
      }
      return;
    }
    const prev = policyFromLabels(labelsOf(req.old), defaults);
    if (next.errors.length && (!prev.errors.length || !isDeepStrictEqual(next.errors, prev.errors))) throw refuse();
    const enforce = next.policy.enforce;
    const was = prev.policy.enforce;
    if (sameLevelVersion(enforce, was) || enforce.level === 'privileged') return;
    if (sameVersion(enforce.version, was.version) && compareLevels(enforce.level, was.level) < 1) return;
    if (exemptNamespace(name)) {
      const w = exemptNamespaceWarning(name, next.policy, labels);
      if (w) req.ctx.warnings.push(w);
      return;
    }
    const pods = access.pods(name) as PodForCheck[];
    req.ctx.warnings.push(...existingPodWarnings(name, enforce, pods, { exemptRuntimeClass }));
  }

  return {
    name: 'PodSecurity',
    resources: ['pods', 'namespaces', ...Object.keys(TEMPLATE_OF)],
    reads: ['namespaces'],
    async validate(req) {
      if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return;
      if (req.resource.group === '' && req.resource.name === 'namespaces') return validateNamespace(req);
      if (req.resource.group === '' && req.resource.name === 'pods') return validatePod(req);
      return validateTemplate(req);
    },
  };
}
