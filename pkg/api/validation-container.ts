// Container validation (pkg/apis/core/validation: validateContainers and friends): ports, env,
// resources, volume mounts, probes, lifecycle hooks, security context, enums.
import { duplicate, forbidden, invalid, notFound, notSupported, required, type FieldError } from './field-error.js';
import { isConfigMapKey, isDNS1123Label, isRelaxedEnvVarName, isValidIP, isValidPortName, isValidPortNum } from './names.js';
import { canonicalQuantity, compareQuantities, quantityToMilli } from './quantity.js';
import { goQuantity } from './quota.js';
import { isExtendedResourceName, isHugePageResourceName, isNativeResource, isOvercommitAllowed, isStandardContainerResourceName } from './resource-names.js';
import type { Container, EnvVar, LifecycleHandler, Probe, SecurityContext } from './types.js';
import { ENV_FIELD_PATHS, validateObjectFieldSelector, validateResourceFieldSelector } from './validation-downward-api.js';
import { nameIsDNSSubdomain, nonNegative, oneOf, validateResourceList } from './validation-meta.js';

export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
export const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
// (sorted, as 1.32's sets.List lists them in its NotSupported error)
const MOUNT_PROPAGATION = ['Bidirectional', 'HostToContainer', 'None'];
const PROC_MOUNT = ['Default', 'Unmasked'];
const SECCOMP_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'];
const URI_SCHEMES = ['HTTP', 'HTTPS'];

export interface ContainerContext {
  /** Volume names defined by the pod. */
  volumes: Set<string>;
  /** True for spec.initContainers. */
  init: boolean;
  /** The pod's terminationGracePeriodSeconds: a sleep hook may not outlast it. */
  gracePeriod?: number | null;
}

/** IntOrString ports (probes, httpGet, tcpSocket): a number 1..65535 or an IANA port name. */
function validatePortNumOrName(port: unknown, path: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => invalid(path, port, m));
  if (typeof port === 'string') {
    if (port === '') return [required(path)];
    if (/^\d+$/.test(port)) return isValidPortNum(Number(port)).map((m) => invalid(path, port, m));
    return isValidPortName(port).map((m) => invalid(path, port, m));
  }
  return [required(path)];
}

function validateHandler(h: LifecycleHandler & { grpc?: unknown }, path: string, kind: 'probe' | 'lifecycle', gracePeriod?: number | null): FieldError[] {
  const errs: FieldError[] = [];
  const set = (['exec', 'httpGet', 'tcpSocket', 'grpc', 'sleep'] as const).filter((k) => (h as Record<string, unknown>)[k] != null);
  if (set.length === 0) return [required(path, 'must specify a handler type')];
  if (set.length > 1) errs.push(forbidden(`${path}.${set[1]}`, 'may not specify more than 1 handler type'));
  if (h.exec && !(h.exec.command ?? []).length) errs.push(required(`${path}.exec.command`));
  if (h.httpGet) {
    errs.push(...validatePortNumOrName(h.httpGet.port, `${path}.httpGet.port`));
    errs.push(...oneOf(h.httpGet.scheme, URI_SCHEMES, `${path}.httpGet.scheme`));
    (h.httpGet.httpHeaders ?? []).forEach((hd, i) => {
      if (!hd.name || !/^[-!#$%&'*+.^_`|~0-9A-Za-z]+$/.test(hd.name)) errs.push(invalid(`${path}.httpGet.httpHeaders[${i}].name`, hd.name ?? '', 'a valid HTTP header must consist of alphanumeric characters or \'-\''));
    });
  }
  if (h.tcpSocket) errs.push(...validatePortNumOrName(h.tcpSocket.port, `${path}.tcpSocket.port`));
  const grpc = (h as { grpc?: { port?: number } }).grpc;
  if (grpc) errs.push(...isValidPortNum(grpc.port ?? 0).map((m) => invalid(`${path}.grpc.port`, grpc.port ?? 0, m)));
  if (h.sleep) {
    if (kind === 'probe') errs.push(forbidden(`${path}.sleep`, 'may not be set for probes'));
    else {
      // validateSleepAction, with PodLifecycleSleepActionAllowZero (alpha in 1.32) off: more than
      // 0 and no longer than the pod's grace period, reported on the sleep action itself
      const secs = h.sleep.seconds ?? 0;
      if (gracePeriod != null && (secs <= 0 || secs > gracePeriod)) {
        errs.push(invalid(`${path}.sleep`, secs, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod}). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.`));
      }
    }
  }
  return errs;
}

function validateProbe(p: Probe, path: string, mustSucceedOnce: boolean): FieldError[] {
  const errs = validateHandler(p as LifecycleHandler, path, 'probe');
  errs.push(...nonNegative(p.initialDelaySeconds, `${path}.initialDelaySeconds`));
  errs.push(...nonNegative(p.timeoutSeconds, `${path}.timeoutSeconds`));
  errs.push(...nonNegative(p.periodSeconds, `${path}.periodSeconds`));
  errs.push(...nonNegative(p.successThreshold, `${path}.successThreshold`));
  errs.push(...nonNegative(p.failureThreshold, `${path}.failureThreshold`));
  if (p.terminationGracePeriodSeconds != null && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  if (mustSucceedOnce && p.successThreshold != null && p.successThreshold !== 1) errs.push(invalid(`${path}.successThreshold`, p.successThreshold, 'must be 1'));
  // (validateReadinessProbe: a readiness probe kills nothing, so it has no grace period of its own)
  if (!mustSucceedOnce && p.terminationGracePeriodSeconds != null) errs.push(invalid(`${path}.terminationGracePeriodSeconds`, p.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  return errs;
}

function validateEnv(env: EnvVar[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  env.forEach((e, i) => {
    const p = `${path}[${i}]`;
    if (!e.name) errs.push(required(`${p}.name`));
    else for (const m of isRelaxedEnvVarName(e.name)) errs.push(invalid(`${p}.name`, e.name, m));
    const vf = e.valueFrom;
    if (!vf) return;
    // validateEnvVarValueFrom: each source's own errors, then how many sources there are.
    const sources = (['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'] as const).filter((k) => vf[k] != null);
    if (vf.fieldRef) errs.push(...validateObjectFieldSelector(vf.fieldRef, ENV_FIELD_PATHS, `${p}.valueFrom.fieldRef`));
    if (vf.resourceFieldRef) errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, `${p}.valueFrom.resourceFieldRef`, false));
    for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const ref = vf[k];
      if (ref) errs.push(...validateKeySelector(ref, `${p}.valueFrom.${k}`));
    }
    if (sources.length === 0) errs.push(invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (e.value) errs.push(invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty'));
    else if (sources.length > 1) errs.push(invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/**
 * A configMapKeyRef or secretKeyRef (validateConfigMapKeySelector, validateSecretKeySelector): the
 * name a DNS subdomain (an empty one is invalid, not missing), the key a config key.
 */
function validateKeySelector(ref: { name?: string; key?: string }, path: string): FieldError[] {
  const errs = nameIsDNSSubdomain(ref.name ?? '', false).map((m) => invalid(`${path}.name`, ref.name ?? '', m));
  if (!ref.key) errs.push(required(`${path}.key`));
  else for (const m of isConfigMapKey(ref.key)) errs.push(invalid(`${path}.key`, ref.key, m));
  return errs;
}

/** A configMapRef or secretRef of envFrom (validateConfigMapEnvSource, validateSecretEnvSource): a name, valid as a prefix. */
function validateEnvSourceName(name: string | undefined, path: string): FieldError[] {
  if (!name) return [required(`${path}.name`)];
  return nameIsDNSSubdomain(name, true).map((m) => invalid(`${path}.name`, name, m));
}

function validateSecurityContext(sc: SecurityContext, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['runAsUser', 'runAsGroup'] as const) {
    const v = sc[k];
    if (v != null && (v < 0 || v > 2147483647)) errs.push(invalid(`${path}.${k}`, v, 'must be between 0 and 2147483647, inclusive'));
  }
  errs.push(...oneOf(sc.procMount, PROC_MOUNT, `${path}.procMount`));
  if (sc.privileged && sc.allowPrivilegeEscalation === false) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  if (sc.seccompProfile) {
    errs.push(...oneOf(sc.seccompProfile.type, SECCOMP_TYPES, `${path}.seccompProfile.type`));
    if (!sc.seccompProfile.type) errs.push(required(`${path}.seccompProfile.type`));
    if (sc.seccompProfile.type === 'Localhost' && !sc.seccompProfile.localhostProfile) errs.push(required(`${path}.seccompProfile.localhostProfile`, 'must be set when seccomp type is Localhost'));
  }
  for (const k of ['add', 'drop'] as const) {
    (sc.capabilities?.[k] ?? []).forEach((c, i) => {
      if (!/^[A-Za-z_]+$/.test(c)) errs.push(invalid(`${path}.capabilities.${k}[${i}]`, c, 'must be a capability name such as NET_ADMIN'));
    });
  }
  return errs;
}

/**
 * What ValidateResourceRequirements checks of a container's resources beyond any resource list:
 * names a container may have (validateContainerResourceName), whole numbers of extended
 * resources (ValidateResourceQuantityValue), a request no more than its limit, and equal to it
 * for what cannot be overcommitted (extended resources and huge pages, which need a limit), and
 * huge pages only beside cpu or memory. `quantitiesValid`: the lists' quantities all parse.
 */
function containerResourceErrors(limits: Record<string, string>, requests: Record<string, string>, path: string, quantitiesValid: boolean): FieldError[] {
  const errs: FieldError[] = [];
  for (const [which, list] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(list)) {
      const p = `${path}.${which}[${name}]`;
      if (!name.includes('/')) {
        if (!isStandardContainerResourceName(name)) errs.push(invalid(p, name, 'must be a standard resource for containers'));
      } else if (!isNativeResource(name) && !isExtendedResourceName(name)) errs.push(invalid(p, name, "doesn't follow extended resource name standard"));
      if (quantitiesValid && isExtendedResourceName(name) && quantityToMilli(q) % 1000 !== 0) errs.push(invalid(p, goQuantity(q), 'must be an integer'));
    }
  }
  for (const [name, req] of Object.entries(requests)) {
    const lim = limits[name];
    if (lim === undefined) {
      if (!isOvercommitAllowed(name)) errs.push(required(`${path}.limits`, 'Limit must be set for non overcommitable resources'));
    } else if (!quantitiesValid) continue;
    else if (!isOvercommitAllowed(name) && compareQuantities(req, lim) !== 0) errs.push(invalid(`${path}.requests`, canonicalQuantity(req), `must be equal to ${name} limit of ${canonicalQuantity(lim)}`));
    else if (compareQuantities(req, lim) > 0) errs.push(invalid(`${path}.requests`, req, `must be less than or equal to ${name} limit of ${lim}`));
  }
  const names = [...Object.keys(limits), ...Object.keys(requests)];
  if (names.some(isHugePageResourceName) && !names.some((n) => n === 'cpu' || n === 'memory')) errs.push(forbidden(path, 'HugePages require cpu or memory'));
  return errs;
}

/** Validates one container; `names` collects names across containers and init containers. */
export function validateContainer(c: Container, path: string, ctx: ContainerContext, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(`${path}.name`));
  else {
    for (const m of isDNS1123Label(c.name)) errs.push(invalid(`${path}.name`, c.name, m));
    if (names.has(c.name)) errs.push(duplicate(`${path}.name`, c.name));
    names.add(c.name);
  }
  if (!c.image) errs.push(required(`${path}.image`));
  else if (c.image.trim() !== c.image) errs.push(invalid(`${path}.image`, c.image, 'must not have leading or trailing whitespace'));

  const portNames = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = `${path}.ports[${i}]`;
    if (port.name) {
      for (const m of isValidPortName(port.name)) errs.push(invalid(`${p}.name`, port.name, m));
      if (portNames.has(port.name)) errs.push(duplicate(`${p}.name`, port.name));
      portNames.add(port.name);
    }
    if (!port.containerPort) errs.push(required(`${p}.containerPort`));
    else for (const m of isValidPortNum(port.containerPort)) errs.push(invalid(`${p}.containerPort`, port.containerPort, m));
    if (port.hostPort) for (const m of isValidPortNum(port.hostPort)) errs.push(invalid(`${p}.hostPort`, port.hostPort, m));
    errs.push(...oneOf(port.protocol, PROTOCOLS, `${p}.protocol`));
    if (port.hostIP && !isValidIP(port.hostIP)) errs.push(invalid(`${p}.hostIP`, port.hostIP, 'must be a valid IP address'));
  });

  (c.envFrom ?? []).forEach((ef, i) => {
    const p = `${path}.envFrom[${i}]`;
    if (ef.prefix) for (const m of isRelaxedEnvVarName(ef.prefix)) errs.push(invalid(`${p}.prefix`, ef.prefix, m));
    if (ef.configMapRef) errs.push(...validateEnvSourceName(ef.configMapRef.name, `${p}.configMapRef`));
    if (ef.secretRef) errs.push(...validateEnvSourceName(ef.secretRef.name, `${p}.secretRef`));
    // (ValidateEnvFrom reports these at the list, not the entry)
    const n = (ef.configMapRef ? 1 : 0) + (ef.secretRef ? 1 : 0);
    if (n === 0) errs.push(invalid(`${path}.envFrom`, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (n > 1) errs.push(invalid(`${path}.envFrom`, '', 'may not have more than one field specified at a time'));
  });
  errs.push(...validateEnv(c.env ?? [], `${path}.env`));

  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  const resErrs = [...validateResourceList(limits, `${path}.resources.limits`), ...validateResourceList(requests, `${path}.resources.requests`)];
  errs.push(...resErrs);
  errs.push(...containerResourceErrors(limits, requests, `${path}.resources`, !resErrs.length));

  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((vm, i) => {
    const p = `${path}.volumeMounts[${i}]`;
    if (!vm.name) errs.push(required(`${p}.name`));
    else if (!ctx.volumes.has(vm.name)) errs.push(notFound(`${p}.name`, vm.name));
    if (!vm.mountPath) errs.push(required(`${p}.mountPath`));
    else if (mountPaths.has(vm.mountPath)) errs.push(invalid(`${p}.mountPath`, vm.mountPath, 'must be unique'));
    if (vm.mountPath) mountPaths.add(vm.mountPath);
    // (1.32's ValidateVolumeMounts reports subPath, subPathExpr, mountPropagation and
    // recursiveReadOnly at the list's path, 'spec.containers[0].volumeMounts.subPath', not the entry's)
    const list = `${path}.volumeMounts`;
    const descending = (v: string, at: string) => {
      if (v.startsWith('/')) errs.push(invalid(at, v, 'must be a relative path'));
      if (v.split('/').includes('..')) errs.push(invalid(at, v, "must not contain '..'"));
    };
    if (vm.subPath) descending(vm.subPath, `${list}.subPath`);
    if (vm.subPathExpr) {
      if (vm.subPath) errs.push(invalid(`${p}.subPathExpr`, vm.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      descending(vm.subPathExpr, `${list}.subPathExpr`);
    }
    errs.push(...oneOf(vm.mountPropagation, MOUNT_PROPAGATION, `${list}.mountPropagation`));
    if (vm.mountPropagation === 'Bidirectional' && !c.securityContext?.privileged) errs.push(forbidden(`${list}.mountPropagation`, 'Bidirectional mount propagation is available only to privileged containers'));
    // validateMountRecursiveReadOnly
    const rro = `${list}.recursiveReadOnly`;
    if (vm.recursiveReadOnly === 'Enabled' || vm.recursiveReadOnly === 'IfPossible') {
      if (!vm.readOnly) errs.push(forbidden(rro, 'may only be specified when readOnly is true'));
      if (vm.mountPropagation && vm.mountPropagation !== 'None') errs.push(forbidden(rro, 'may only be specified when mountPropagation is None or not specified'));
    } else errs.push(...oneOf(vm.recursiveReadOnly, ['Disabled', 'Enabled', 'IfPossible'], rro));
  });

  // (Kubernetes' switch on an init container's restartPolicy: unset forbids probes and hooks,
  // Always validates them as an app container's, another value is only an unsupported value)
  const ordinaryInit = ctx.init && !c.restartPolicy;
  for (const k of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
    const probe = c[k];
    if (!probe) continue;
    if (ordinaryInit) {
      errs.push(forbidden(`${path}.${k}`, 'may not be set for init containers without restartPolicy=Always'));
      continue;
    }
    errs.push(...validateProbe(probe, `${path}.${k}`, k !== 'readinessProbe'));
  }
  if (ordinaryInit && c.lifecycle) errs.push(forbidden(`${path}.lifecycle`, 'may not be set for init containers without restartPolicy=Always'));
  else {
    if (c.lifecycle?.postStart) errs.push(...validateHandler(c.lifecycle.postStart, `${path}.lifecycle.postStart`, 'lifecycle', ctx.gracePeriod));
    if (c.lifecycle?.preStop) errs.push(...validateHandler(c.lifecycle.preStop, `${path}.lifecycle.preStop`, 'lifecycle', ctx.gracePeriod));
  }

  if (c.restartPolicy) {
    if (!ctx.init) errs.push(forbidden(`${path}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') errs.push(notSupported(`${path}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  errs.push(...oneOf(c.imagePullPolicy, PULL_POLICIES, `${path}.imagePullPolicy`));
  errs.push(...oneOf(c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES, `${path}.terminationMessagePolicy`));
  if (c.securityContext) errs.push(...validateSecurityContext(c.securityContext, `${path}.securityContext`));
  return errs;
}
