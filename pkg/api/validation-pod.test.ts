import { describe, expect, it } from 'vitest';
import { load as loadYaml } from 'js-yaml';
import { formatFieldError, type FieldError } from './field-error.js';
import { defaultPod } from './defaults.js';
import { applyAffinityLabelKeys } from './pod-affinity-label-keys.js';
import { decodeStrict } from './schema-validate.js';
import type { Pod } from './types.js';
import { validatePod } from './validation.js';

/** The apiserver's create pipeline for a pod manifest: strict decode, default, validate. */
function admit(manifest: unknown): FieldError[] {
  const decodeErrs = decodeStrict('Pod', manifest);
  if (decodeErrs.length) return decodeErrs;
  const pod = structuredClone(manifest) as Pod;
  pod.metadata = { namespace: 'default', ...pod.metadata };
  defaultPod(pod);
  applyAffinityLabelKeys(pod); // as the pod registry does on create
  return validatePod(pod);
}

const base = (): Record<string, any> => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    containers: [{ name: 'app', image: 'nginx:1.27', ports: [{ containerPort: 80, name: 'http' }] }],
  },
});

function mutate(fn: (p: Record<string, any>) => void): Record<string, any> {
  const p = base();
  fn(p);
  return p;
}

describe('valid pods', () => {
  it('accepts any emptyDir medium, as 1.32 does (StorageMedium is no enum; the kubelet refuses an unknown one when it mounts)', () => {
    for (const medium of ['', 'Memory', 'HugePages', 'HugePages-2Mi', 'memory']) expect(admit(mutate((p) => (p.spec.volumes = [{ name: 'v', emptyDir: { medium, sizeLimit: '0' } }])))).toEqual([]);
  });
  it('accepts the base pod and a rich manifest', () => {
    expect(admit(base())).toEqual([]);
    const rich = loadYaml(`
apiVersion: v1
kind: Pod
metadata:
  generateName: web-
  annotations: {note: "x"}
spec:
  volumes:
  - name: data
    emptyDir: {}
  - name: host
    hostPath: {path: /var/log, type: Directory}
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        metadata: {labels: {type: scratch}}
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  initContainers:
  - name: init
    image: busybox
    command: [sh, -c, "echo hi"]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: sidecar
    image: busybox
    restartPolicy: Always
    readinessProbe: {exec: {command: ["true"]}}
  containers:
  - name: app
    image: registry.local:5000/app@sha256:0123
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: CPU, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: LABEL, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    resources:
      requests: {cpu: 100m, memory: 64Mi}
      limits: {cpu: "1", memory: 128Mi}
    livenessProbe: {httpGet: {path: /healthz, port: http}, initialDelaySeconds: 3}
    readinessProbe: {tcpSocket: {port: 8080}}
    startupProbe: {grpc: {port: 9000}}
    lifecycle:
      preStop: {sleep: {seconds: 5}}
      postStart: {exec: {command: [sh, -c, "true"]}}
    ports: [{name: http, containerPort: 8080}]
    volumeMounts: [{name: data, mountPath: /data}, {name: host, mountPath: /host, readOnly: true}]
    securityContext: {capabilities: {add: [NET_ADMIN], drop: [ALL]}, runAsUser: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true}
  restartPolicy: OnFailure
  nodeSelector: {kubernetes.io/os: linux}
  tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}, {operator: Exists}]
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: zone, operator: In, values: [a, b]}]
          matchFields: [{key: metadata.name, operator: In, values: [n1]}]
      preferredDuringSchedulingIgnoredDuringExecution:
      - {weight: 10, preference: {matchExpressions: [{key: ssd, operator: Exists}]}}
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}
  hostAliases: [{ip: 10.0.0.1, hostnames: [foo.local]}]
  dnsConfig: {nameservers: [1.1.1.1], options: [{name: ndots, value: "2"}]}
  activeDeadlineSeconds: 600
  topologySpreadConstraints: [{maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}]
`);
    expect(admit(rich).map(formatFieldError)).toEqual([]);
  });
});

type Case = [string, Record<string, any>, string, FieldError['type'], RegExp?];

const cases: Case[] = [
  ['unknown container field', mutate((p) => (p.spec.containers[0].imagePullPolicyy = 'Always')), 'spec.containers[0].imagePullPolicyy', 'FieldValueUnknown'],
  ['unknown top-level spec field', mutate((p) => (p.spec.container = [])), 'spec.container', 'FieldValueUnknown'],
  ['unknown metadata field', mutate((p) => (p.metadata.lables = { a: 'b' })), 'metadata.lables', 'FieldValueUnknown'],
  ['containerPort as a string', mutate((p) => (p.spec.containers[0].ports[0].containerPort = 'abc')), 'spec.containers[0].ports[0].containerPort', 'FieldValueTypeInvalid', /cannot unmarshal string into Go struct field ContainerPort\.spec\.containers\.ports\.containerPort of type int32/],
  ['containers as an object', mutate((p) => (p.spec.containers = { name: 'app' })), 'spec.containers', 'FieldValueTypeInvalid', /cannot unmarshal object into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container/],
  ['command as a string', mutate((p) => (p.spec.containers[0].command = 'sleep 10')), 'spec.containers[0].command', 'FieldValueTypeInvalid', /of type \[\]string/],
  ['hostNetwork as a string', mutate((p) => (p.spec.hostNetwork = 'yes')), 'spec.hostNetwork', 'FieldValueTypeInvalid', /of type bool/],
  ['label value as a number', mutate((p) => (p.metadata.labels.version = 2)), 'metadata.labels[version]', 'FieldValueTypeInvalid', /cannot unmarshal number into Go struct field ObjectMeta\.metadata\.labels of type string/],
  ['spec as a string', mutate((p) => (p.spec = 'nginx')), 'spec', 'FieldValueTypeInvalid', /of type v1\.PodSpec/],
  ['missing name', mutate((p) => delete p.metadata.name), 'metadata.name', 'FieldValueRequired', /name or generateName is required/],
  ['upper-case name', mutate((p) => (p.metadata.name = 'Web')), 'metadata.name', 'FieldValueInvalid', /RFC 1123 subdomain/],
  ['name with underscore', mutate((p) => (p.metadata.name = 'web_1')), 'metadata.name', 'FieldValueInvalid', /RFC 1123 subdomain/],
  ['name too long', mutate((p) => (p.metadata.name = 'a'.repeat(254))), 'metadata.name', 'FieldValueInvalid', /no more than 253/],
  ['bad namespace', mutate((p) => (p.metadata.namespace = 'my.ns')), 'metadata.namespace', 'FieldValueInvalid', /^must not contain dots$/],
  ['bad label key', mutate((p) => (p.metadata.labels = { 'bad key': 'x' })), 'metadata.labels', 'FieldValueInvalid', /name part must consist/],
  ['bad label value', mutate((p) => (p.metadata.labels = { app: '-web' })), 'metadata.labels', 'FieldValueInvalid', /valid label must be/],
  ['annotations too large', mutate((p) => (p.metadata.annotations = { big: 'x'.repeat(256 * 1024) })), 'metadata.annotations', 'FieldValueTooLong'],
  ['no containers', mutate((p) => (p.spec.containers = [])), 'spec.containers', 'FieldValueRequired'],
  ['no spec at all', mutate((p) => delete p.spec), 'spec.containers', 'FieldValueRequired'],
  ['container without a name', mutate((p) => delete p.spec.containers[0].name), 'spec.containers[0].name', 'FieldValueRequired'],
  ['container name not a label', mutate((p) => (p.spec.containers[0].name = 'App.1')), 'spec.containers[0].name', 'FieldValueInvalid', /RFC 1123 label/],
  ['duplicate container names', mutate((p) => p.spec.containers.push({ name: 'app', image: 'busybox' })), 'spec.containers[1].name', 'FieldValueDuplicate'],
  ['init container named like an app container', mutate((p) => (p.spec.initContainers = [{ name: 'app', image: 'busybox' }])), 'spec.containers[0].name', 'FieldValueDuplicate'],
  ['missing image', mutate((p) => delete p.spec.containers[0].image), 'spec.containers[0].image', 'FieldValueRequired'],
  ['image with whitespace', mutate((p) => (p.spec.containers[0].image = ' nginx')), 'spec.containers[0].image', 'FieldValueInvalid', /whitespace/],
  ['port 0', mutate((p) => (p.spec.containers[0].ports[0].containerPort = 0)), 'spec.containers[0].ports[0].containerPort', 'FieldValueRequired'],
  ['port 70000', mutate((p) => (p.spec.containers[0].ports[0].containerPort = 70000)), 'spec.containers[0].ports[0].containerPort', 'FieldValueInvalid', /between 1 and 65535/],
  ['hostPort 70000', mutate((p) => (p.spec.containers[0].ports[0].hostPort = 70000)), 'spec.containers[0].ports[0].hostPort', 'FieldValueInvalid', /between 1 and 65535/],
  ['bad protocol', mutate((p) => (p.spec.containers[0].ports[0].protocol = 'HTTP')), 'spec.containers[0].ports[0].protocol', 'FieldValueNotSupported', /"TCP", "UDP", "SCTP"/],
  ['duplicate port names', mutate((p) => p.spec.containers[0].ports.push({ name: 'http', containerPort: 81 })), 'spec.containers[0].ports[1].name', 'FieldValueDuplicate'],
  ['port name too long', mutate((p) => (p.spec.containers[0].ports[0].name = 'a-very-long-port-name')), 'spec.containers[0].ports[0].name', 'FieldValueInvalid', /no more than 15/],
  ['bad cpu quantity', mutate((p) => (p.spec.containers[0].resources = { limits: { cpu: 'lots' } })), 'spec.containers[0].resources.limits[cpu]', 'FieldValueInvalid', /quantities must match/],
  ['bad memory request', mutate((p) => (p.spec.containers[0].resources = { requests: { memory: '1GB' } })), 'spec.containers[0].resources.requests[memory]', 'FieldValueInvalid', /quantities must match/],
  ['negative memory', mutate((p) => (p.spec.containers[0].resources = { requests: { memory: '-1Mi' } })), 'spec.containers[0].resources.requests[memory]', 'FieldValueInvalid', /greater than or equal to 0/],
  ['request above limit', mutate((p) => (p.spec.containers[0].resources = { requests: { cpu: '2' }, limits: { cpu: '1' } })), 'spec.containers[0].resources.requests', 'FieldValueInvalid', /less than or equal to cpu limit of 1/],
  ['unknown resource name', mutate((p) => (p.spec.containers[0].resources = { limits: { gpu: '1' } })), 'spec.containers[0].resources.limits[gpu]', 'FieldValueInvalid', /standard resource/],
  ['bad restartPolicy', mutate((p) => (p.spec.restartPolicy = 'Sometimes')), 'spec.restartPolicy', 'FieldValueNotSupported', /"Always", "OnFailure", "Never"/],
  ['bad dnsPolicy', mutate((p) => (p.spec.dnsPolicy = 'Google')), 'spec.dnsPolicy', 'FieldValueNotSupported'],
  ['dnsPolicy None without dnsConfig', mutate((p) => (p.spec.dnsPolicy = 'None')), 'spec.dnsConfig', 'FieldValueRequired'],
  ['bad imagePullPolicy', mutate((p) => (p.spec.containers[0].imagePullPolicy = 'Sometimes')), 'spec.containers[0].imagePullPolicy', 'FieldValueNotSupported', /"Always", "IfNotPresent", "Never"/],
  ['bad terminationMessagePolicy', mutate((p) => (p.spec.containers[0].terminationMessagePolicy = 'Logs')), 'spec.containers[0].terminationMessagePolicy', 'FieldValueNotSupported'],
  ['duplicate volume names', mutate((p) => (p.spec.volumes = [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }])), 'spec.volumes[1].name', 'FieldValueDuplicate'],
  ['volume with two sources', mutate((p) => (p.spec.volumes = [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }])), 'spec.volumes[0].hostPath', 'FieldValueForbidden', /more than 1 volume type/],
  ['hostPath without path', mutate((p) => (p.spec.volumes = [{ name: 'v', hostPath: {} }])), 'spec.volumes[0].hostPath.path', 'FieldValueRequired'],
  ['emptyDir with a negative sizeLimit', mutate((p) => (p.spec.volumes = [{ name: 'v', emptyDir: { sizeLimit: '-1Mi' } }])), 'spec.volumes[0].emptyDir.sizeLimit', 'FieldValueForbidden', /^SizeLimit field must be a valid resource quantity$/],
  ['mount of a missing volume', mutate((p) => (p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }])), 'spec.containers[0].volumeMounts[0].name', 'FieldValueNotFound'],
  ['recursiveReadOnly on a read-write mount', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/d', recursiveReadOnly: 'Enabled' }]; }), 'spec.containers[0].volumeMounts.recursiveReadOnly', 'FieldValueForbidden', /^may only be specified when readOnly is true$/],
  ['recursiveReadOnly with HostToContainer propagation', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/d', readOnly: true, recursiveReadOnly: 'IfPossible', mountPropagation: 'HostToContainer' }]; }), 'spec.containers[0].volumeMounts.recursiveReadOnly', 'FieldValueForbidden', /^may only be specified when mountPropagation is None or not specified$/],
  ['an unknown recursiveReadOnly', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/d', readOnly: true, recursiveReadOnly: 'Always' }]; }), 'spec.containers[0].volumeMounts.recursiveReadOnly', 'FieldValueNotSupported', /"Disabled", "Enabled", "IfPossible"/],
  ['mount without path', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data' }]; }), 'spec.containers[0].volumeMounts[0].mountPath', 'FieldValueRequired'],
  ['probe without handler', mutate((p) => (p.spec.containers[0].livenessProbe = { periodSeconds: 5 })), 'spec.containers[0].livenessProbe', 'FieldValueRequired', /must specify a handler type/],
  ['probe with two handlers', mutate((p) => (p.spec.containers[0].readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } })), 'spec.containers[0].readinessProbe.tcpSocket', 'FieldValueForbidden', /more than 1 handler type/],
  ['liveness successThreshold 2', mutate((p) => (p.spec.containers[0].livenessProbe = { exec: { command: ['true'] }, successThreshold: 2 })), 'spec.containers[0].livenessProbe.successThreshold', 'FieldValueInvalid', /must be 1/],
  ['probe port out of range', mutate((p) => (p.spec.containers[0].livenessProbe = { httpGet: { port: 0 } })), 'spec.containers[0].livenessProbe.httpGet.port', 'FieldValueInvalid'],
  ['Bidirectional propagation in an unprivileged container', mutate((p) => { p.spec.volumes = [{ name: 'data', hostPath: { path: '/mnt' } }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/mnt', mountPropagation: 'Bidirectional' }]; }), 'spec.containers[0].volumeMounts.mountPropagation', 'FieldValueForbidden', /available only to privileged containers/],
  ['an unknown mountPropagation', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/mnt', mountPropagation: 'Shared' }]; }), 'spec.containers[0].volumeMounts.mountPropagation', 'FieldValueNotSupported', /"Bidirectional", "HostToContainer", "None"/],
  ['an absolute subPath', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/mnt', subPath: '/etc' }]; }), 'spec.containers[0].volumeMounts.subPath', 'FieldValueInvalid', /^must be a relative path$/],
  ['a subPathExpr with ..', mutate((p) => { p.spec.volumes = [{ name: 'data', emptyDir: {} }]; p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/mnt', subPathExpr: '$(POD)/../x' }]; }), 'spec.containers[0].volumeMounts.subPathExpr', 'FieldValueInvalid', /^must not contain '\.\.'$/],
  ['ephemeral volume without a template', mutate((p) => (p.spec.volumes = [{ name: 'v', ephemeral: {} }])), 'spec.volumes[0].ephemeral.volumeClaimTemplate', 'FieldValueRequired'],
  ['ephemeral volume whose claim asks no storage', mutate((p) => (p.spec.volumes = [{ name: 'v', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'] } } } }])), 'spec.volumes[0].ephemeral.volumeClaimTemplate.spec.resources[storage]', 'FieldValueRequired'],
  ['ephemeral volume with a bad template label', mutate((p) => (p.spec.volumes = [{ name: 'v', ephemeral: { volumeClaimTemplate: { metadata: { labels: { 'bad key!': 'x' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } }])), 'spec.volumes[0].ephemeral.volumeClaimTemplate.metadata.labels', 'FieldValueInvalid'],
  ['probe port as bool', mutate((p) => (p.spec.containers[0].livenessProbe = { tcpSocket: { port: true } })), 'spec.containers[0].livenessProbe.tcpSocket.port', 'FieldValueTypeInvalid'],
  ['negative periodSeconds', mutate((p) => (p.spec.containers[0].readinessProbe = { exec: { command: ['true'] }, periodSeconds: -1 })), 'spec.containers[0].readinessProbe.periodSeconds', 'FieldValueInvalid'],
  // (1.32's relaxed names: '1FOO' or 'has space' are fine, '=' is not)
  ['bad env var name', mutate((p) => (p.spec.containers[0].env = [{ name: '1FOO', value: 'x' }, { name: 'A=B', value: 'x' }])), 'spec.containers[0].env[1].name', 'FieldValueInvalid', /printable ASCII characters other than '='/],
  ['env with value and valueFrom', mutate((p) => (p.spec.containers[0].env = [{ name: 'A', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])), 'spec.containers[0].env[0].valueFrom', 'FieldValueInvalid', /may not be specified when `value` is not empty/],
  // (a path ConvertDownwardAPIFieldLabel does not know is refused before the list of supported ones)
  ['env fieldRef unconvertible', mutate((p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'spec.containers' } } }])), 'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', 'FieldValueInvalid', /error converting fieldPath: field label not supported: spec.containers/],
  ['env fieldRef unsupported', mutate((p) => (p.spec.containers[0].env = [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }])), 'spec.containers[0].env[0].valueFrom.fieldRef.fieldPath', 'FieldValueNotSupported'],
  ['bad toleration operator', mutate((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Matches', value: 'v' }])), 'spec.tolerations[0].operator', 'FieldValueNotSupported'],
  ['bad toleration effect', mutate((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }])), 'spec.tolerations[0].effect', 'FieldValueNotSupported'],
  ['tolerationSeconds without NoExecute', mutate((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }])), 'spec.tolerations[0].effect', 'FieldValueInvalid', /must be 'NoExecute'/],
  ['Exists toleration with value', mutate((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }])), 'spec.tolerations[0].operator', 'FieldValueInvalid', /value must be empty/],
  ['bad nodeSelector key', mutate((p) => (p.spec.nodeSelector = { 'disk type': 'ssd' })), 'spec.nodeSelector', 'FieldValueInvalid'],
  ['empty nodeSelectorTerms', mutate((p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } })), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms', 'FieldValueRequired'],
  ['bad node selector operator', mutate((p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] }] } } })), 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator', 'FieldValueInvalid', /^not a valid selector operator$/],
  ['preferred weight 0', mutate((p) => (p.spec.affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } })), 'spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight', 'FieldValueInvalid'],
  ['pod affinity term without topologyKey', mutate((p) => (p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } } }] } })), 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey', 'FieldValueRequired', /can not be empty/],
  ['preferred anti-affinity term without topologyKey', mutate((p) => (p.spec.affinity = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { labelSelector: {} } }] } })), 'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey', 'FieldValueRequired'],
  ['pod affinity term with a bad namespace', mutate((p) => (p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: 'zone', namespaces: ['Bad_NS'] }] } })), 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespace', 'FieldValueInvalid', /RFC 1123 label/],
  ['matchLabelKeys without labelSelector', mutate((p) => (p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', matchLabelKeys: ['rev'] }] } })), 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys', 'FieldValueForbidden', /must not be specified when labelSelector is not set/],
  ['matchLabelKeys also in mismatchLabelKeys', mutate((p) => (p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: {}, matchLabelKeys: ['rev'], mismatchLabelKeys: ['rev'] }] } })), 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]', 'FieldValueInvalid', /exists in both matchLabelKeys and mismatchLabelKeys/],
  ['matchLabelKeys also in the labelSelector', mutate((p) => (p.metadata.labels.rev = '1') && (p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: { matchLabels: { rev: '1' } }, matchLabelKeys: ['rev'] }] } })), 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]', 'FieldValueInvalid', /exists in both matchLabelKeys and labelSelector/],
  ['spread maxSkew 0', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }])), 'spec.topologySpreadConstraints[0].maxSkew', 'FieldValueInvalid', /must be greater than zero/],
  ['spread without topologyKey', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule' }])), 'spec.topologySpreadConstraints[0].topologyKey', 'FieldValueRequired', /can not be empty/],
  ['spread whenUnsatisfiable unknown', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Never' }])), 'spec.topologySpreadConstraints[0].whenUnsatisfiable', 'FieldValueNotSupported', /"DoNotSchedule", "ScheduleAnyway"/],
  ['spread whenUnsatisfiable missing', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone' }])), 'spec.topologySpreadConstraints[0].whenUnsatisfiable', 'FieldValueNotSupported'],
  ['spread constraints repeated', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }, { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }])), 'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}', 'FieldValueDuplicate'],
  ['spread minDomains with ScheduleAnyway', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 2 }])), 'spec.topologySpreadConstraints[0].minDomains', 'FieldValueInvalid', /can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway/],
  ['spread minDomains 0', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', minDomains: 0 }])), 'spec.topologySpreadConstraints[0].minDomains', 'FieldValueInvalid', /must be greater than zero/],
  ['spread nodeTaintsPolicy unknown', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', nodeTaintsPolicy: 'Always' }])), 'spec.topologySpreadConstraints[0].nodeTaintsPolicy', 'FieldValueNotSupported', /"Honor", "Ignore"/],
  ['spread bad labelSelector', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } }])), 'spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].values', 'FieldValueRequired'],
  ['spread matchLabelKeys in the labelSelector', mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'a' } }, matchLabelKeys: ['app'] }])), 'spec.topologySpreadConstraints[0].matchLabelKeys[0]', 'FieldValueInvalid', /exists in both matchLabelKeys and labelSelector/],
  ['negative grace period', mutate((p) => (p.spec.terminationGracePeriodSeconds = -5)), 'spec.terminationGracePeriodSeconds', 'FieldValueInvalid'],
  ['activeDeadlineSeconds 0', mutate((p) => (p.spec.activeDeadlineSeconds = 0)), 'spec.activeDeadlineSeconds', 'FieldValueInvalid', /between 1 and 2147483647/],
  ['bad nodeName', mutate((p) => (p.spec.nodeName = 'Node_1')), 'spec.nodeName', 'FieldValueInvalid'],
  ['restartPolicy on an app container', mutate((p) => (p.spec.containers[0].restartPolicy = 'Always')), 'spec.containers[0].restartPolicy', 'FieldValueForbidden'],
  ['readiness probe with a grace period of its own', mutate((p) => (p.spec.containers[0].readinessProbe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 })), 'spec.containers[0].readinessProbe.terminationGracePeriodSeconds', 'FieldValueInvalid', /^must not be set for readinessProbes$/],
  ['preStop sleep past the grace period', mutate((p) => (p.spec.containers[0].lifecycle = { preStop: { sleep: { seconds: 40 } } })), 'spec.containers[0].lifecycle.preStop.sleep', 'FieldValueInvalid', /^must be greater than 0 and less than terminationGracePeriodSeconds \(30\)\. Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep\.$/],
  ['preStop sleep of 0', mutate((p) => { p.spec.terminationGracePeriodSeconds = 10; p.spec.containers[0].lifecycle = { preStop: { sleep: { seconds: 0 } } }; }), 'spec.containers[0].lifecycle.preStop.sleep', 'FieldValueInvalid', /less than terminationGracePeriodSeconds \(10\)/],
  ['liveness probe on a plain init container', mutate((p) => (p.spec.initContainers = [{ name: 'init', image: 'busybox', livenessProbe: { exec: { command: ['true'] } } }])), 'spec.initContainers[0].livenessProbe', 'FieldValueForbidden'],
  ['hostNetwork with mismatched hostPort', mutate((p) => { p.spec.hostNetwork = true; p.spec.containers[0].ports[0].hostPort = 8080; }), 'spec.containers[0].ports[0].hostPort', 'FieldValueInvalid', /must match `containerPort`/],
  ['host port claimed twice', mutate((p) => { p.spec.containers[0].ports[0].hostPort = 8080; p.spec.containers.push({ name: 'b', image: 'busybox', ports: [{ containerPort: 81, hostPort: 8080 }] }); }), 'spec.containers[1].ports[0].hostPort', 'FieldValueDuplicate'],
  ['shareProcessNamespace with hostPID', mutate((p) => { p.spec.hostPID = true; p.spec.shareProcessNamespace = true; }), 'spec.securityContext.shareProcessNamespace', 'FieldValueInvalid'],
  ['privileged without escalation', mutate((p) => (p.spec.containers[0].securityContext = { privileged: true, allowPrivilegeEscalation: false })), 'spec.containers[0].securityContext', 'FieldValueInvalid'],
  ['negative runAsUser', mutate((p) => (p.spec.containers[0].securityContext = { runAsUser: -1 })), 'spec.containers[0].securityContext.runAsUser', 'FieldValueInvalid'],
  ['bad hostAlias ip', mutate((p) => (p.spec.hostAliases = [{ ip: '999.1.1.1', hostnames: ['a'] }])), 'spec.hostAliases[0].ip', 'FieldValueInvalid'],
  ['two controllers', mutate((p) => (p.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true }])), 'metadata.ownerReferences', 'FieldValueInvalid', /^Only one reference can have Controller set to true\. Found "true" in references for A\/a and B\/b$/],
];

describe('malformed pods', () => {
  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  it.each(cases)('%s', (_name, manifest, field, type, detail) => {
    const errs = admit(manifest);
    const hit = errs.find((e) => e.field === field && e.type === type);
    expect(hit, `got ${JSON.stringify(errs.map(formatFieldError))}`).toBeDefined();
    if (detail) expect(hit!.detail).toMatch(detail);
  });
});

describe('messages', () => {
  it('reads like kubectl', () => {
    expect(admit(mutate((p) => (p.spec.containers[0].foo = 1))).map(formatFieldError)).toEqual(['unknown field "spec.containers[0].foo"']);
    expect(admit(mutate((p) => (p.spec.containers = []))).map(formatFieldError)).toEqual(['spec.containers: Required value']);
    expect(admit(mutate((p) => (p.metadata.annotations = { big: 'x'.repeat(300 * 1024) }))).map(formatFieldError)).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
    expect(admit(mutate((p) => (p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }, { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }]))).map(formatFieldError)).toEqual([
      'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
    ]);
    expect(admit(mutate((p) => (p.spec.restartPolicy = 'X'))).map(formatFieldError)).toEqual([
      'spec.restartPolicy: Unsupported value: "X": supported values: "Always", "OnFailure", "Never"',
    ]);
  });
});

describe('scheduling constraints in pkg/apis/core/validation\'s words', () => {
  const nodeTerm = (e: unknown) => mutate((p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [e] }] } } }));
  const expr = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0]';

  it('an unknown node selector operator is Invalid (ValidateNodeSelectorRequirement), and a Gt or Lt value is not checked for an integer', () => {
    expect(admit(nodeTerm({ key: 'a', operator: 'Equals', values: ['b'] })).map(formatFieldError)).toEqual([`${expr}.operator: Invalid value: "Equals": not a valid selector operator`]);
    expect(admit(nodeTerm({ key: 'gen', operator: 'Gt', values: ['x'] }))).toEqual([]);
    expect(admit(nodeTerm({ key: 'gen', operator: 'Lt', values: ['1', '2'] })).map(formatFieldError)).toEqual([`${expr}.values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`]);
  });

  it('a pod affinity labelSelector with an unknown operator is Invalid, and its values must be label values (ValidateLabelSelectorRequirement)', () => {
    const sel = 'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector';
    const term = { topologyKey: 'zone', labelSelector: { matchExpressions: [{ key: 'a', operator: 'Near', values: ['x'] }, { key: 'b', operator: 'In', values: ['ok', 'bad value!'] }] } };
    expect(admit(mutate((p) => (p.spec.affinity = { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } }))).map(formatFieldError)).toEqual([
      `${sel}.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator`,
      expect.stringMatching(/^spec\.affinity\.podAffinity\.requiredDuringSchedulingIgnoredDuringExecution\[0\]\.labelSelector\.matchExpressions\[1\]\.values\[1\]: Invalid value: "bad value!": a valid label must be an empty string or consist of/),
    ]);
  });

  it('a matchFields requirement is checked operator first, then its key, whose values must be node names (ValidateNodeFieldSelectorRequirement)', () => {
    const fieldTerm = (f: unknown) => mutate((p) => (p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [f] }] } } }));
    const f = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0]';
    expect(admit(fieldTerm({ key: 'metadata.label', operator: 'Exists' })).map(formatFieldError)).toEqual([
      `${f}.operator: Invalid value: "Exists": not a valid selector operator`,
      `${f}.key: Invalid value: "metadata.label": not a valid field selector key`,
    ]);
    expect(admit(fieldTerm({ key: 'metadata.name', operator: 'In', values: ['Node_1'] })).map(formatFieldError)).toEqual([
      expect.stringMatching(/^spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution\.nodeSelectorTerms\[0\]\.matchFields\[0\]\.values\[0\]: Invalid value: "Node_1": a lowercase RFC 1123 subdomain must consist of/),
    ]);
    expect(admit(fieldTerm({ key: 'metadata.name', operator: 'NotIn', values: ['a', 'b'] })).map(formatFieldError)).toEqual([
      `${f}.values: Required value: must be only one value when \`operator\` is 'In' or 'NotIn' for node field selector`,
    ]);
  });

  it('an Exists toleration with a value shows the whole toleration as the bad value (ValidateTolerations)', () => {
    expect(admit(mutate((p) => (p.spec.tolerations = [{ key: 'k', operator: 'Exists', value: 'v', effect: 'NoSchedule' }]))).map(formatFieldError)).toEqual([
      'spec.tolerations[0].operator: Invalid value: core.Toleration{Key:"k", Operator:"Exists", Value:"v", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
    ]);
  });

  it('an empty pod affinity topologyKey is Required and also fails as a label name (validatePodAffinityTerm)', () => {
    const path = 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey';
    expect(admit(mutate((p) => (p.spec.affinity = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: '' }] } }))).map(formatFieldError)).toEqual([
      `${path}: Required value: can not be empty`,
      `${path}: Invalid value: "": name part must be non-empty`,
      `${path}: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
  });
});

describe('env and envFrom references (validateEnvVarValueFrom, ValidateEnvFrom)', () => {
  const subdomain = 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')';
  const errs = (env: unknown[], envFrom?: unknown[]) => admit(mutate((p) => Object.assign(p.spec.containers[0], { env, ...(envFrom ? { envFrom } : {}) }))).map(formatFieldError);

  it('checks the names and keys a pod refers to, so a typo is refused instead of holding the pod', () => {
    expect(errs([{ name: 'K', valueFrom: { configMapKeyRef: { name: 'Bad_Name', key: 'bad key' } } }, { name: 'S', valueFrom: { secretKeyRef: { name: '', key: 'k/x' } } }])).toEqual([
      `spec.containers[0].env[0].valueFrom.configMapKeyRef.name: Invalid value: "Bad_Name": ${subdomain}`,
      expect.stringMatching(/^spec\.containers\[0\]\.env\[0\]\.valueFrom\.configMapKeyRef\.key: Invalid value: "bad key": a valid config key must consist of alphanumeric characters/),
      `spec.containers[0].env[1].valueFrom.secretKeyRef.name: Invalid value: "": ${subdomain}`,
      expect.stringMatching(/^spec\.containers\[0\]\.env\[1\]\.valueFrom\.secretKeyRef\.key: Invalid value: "k\/x": a valid config key/),
    ]);
    expect(errs([{ name: 'K', valueFrom: { configMapKeyRef: { name: 'cm' } } }])).toEqual(['spec.containers[0].env[0].valueFrom.configMapKeyRef.key: Required value']);
  });

  it('reports a value beside several sources once, after the sources\' own errors', () => {
    expect(errs([{ name: 'K', value: 'v', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' }, secretKeyRef: { name: 's', key: '' } } }])).toEqual([
      'spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value',
      'spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    ]);
  });

  it('checks envFrom names (a trailing dash allowed, as for a prefix) and reports an empty entry at the list', () => {
    expect(errs([], [{ configMapRef: { name: 'Bad_Name' } }, { secretRef: { name: '' } }, { prefix: 'P_' }, { configMapRef: { name: 'ok-' } }])).toEqual([
      `spec.containers[0].envFrom[0].configMapRef.name: Invalid value: "Bad_Name": ${subdomain}`,
      'spec.containers[0].envFrom[1].secretRef.name: Required value',
      'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`',
    ]);
  });
});

describe('sidecar containers (init containers with restartPolicy Always)', () => {
  const withInit = (init: Record<string, any>) => mutate((p) => (p.spec.initContainers = [{ name: 'side', image: 'busybox', ...init }]));
  const probe = { exec: { command: ['true'] } };

  it('accepts probes and lifecycle hooks on a sidecar', () => {
    expect(admit(withInit({ restartPolicy: 'Always', startupProbe: probe, livenessProbe: probe, readinessProbe: probe, lifecycle: { postStart: probe, preStop: probe } }))).toEqual([]);
  });

  it('refuses them on an ordinary init container, and other restartPolicy values, with Kubernetes\' messages', () => {
    expect(admit(withInit({ startupProbe: probe, livenessProbe: probe, readinessProbe: probe, lifecycle: { preStop: probe } })).map(formatFieldError).sort()).toEqual([
      'spec.initContainers[0].lifecycle: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
      'spec.initContainers[0].startupProbe: Forbidden: may not be set for init containers without restartPolicy=Always',
    ]);
    expect(admit(withInit({ restartPolicy: 'OnFailure' })).map(formatFieldError)).toEqual(['spec.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"']);
    expect(admit(mutate((p) => (p.spec.containers[0].restartPolicy = 'Always'))).map(formatFieldError)).toEqual(['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers']);
  });

  it('validates a sidecar\'s probes as an app container\'s (liveness and startup must succeed once)', () => {
    expect(admit(withInit({ restartPolicy: 'Always', livenessProbe: { ...probe, successThreshold: 2 } })).map(formatFieldError)).toEqual(['spec.initContainers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']);
  });

  it('counts a sidecar\'s host ports with the app containers\'', () => {
    const p = withInit({ restartPolicy: 'Always', ports: [{ containerPort: 9000, hostPort: 8080 }] });
    p.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
    expect(admit(p).map(formatFieldError)).toEqual(['spec.containers[0].ports[0].hostPort: Duplicate value: "/TCP/8080"']);
    // an ordinary init container runs alone: its host ports are its own
    const q = withInit({ ports: [{ containerPort: 9000, hostPort: 8080 }] });
    q.spec.initContainers.push({ name: 'init-2', image: 'busybox', ports: [{ containerPort: 9000, hostPort: 8080 }] });
    q.spec.containers[0].ports = [{ containerPort: 80, hostPort: 8080 }];
    expect(admit(q)).toEqual([]);
    q.spec.initContainers[1].ports.push({ containerPort: 9001, hostPort: 8080 });
    expect(admit(q).map(formatFieldError)).toEqual(['spec.initContainers[1].ports[1].hostPort: Duplicate value: "/TCP/8080"']);
  });
});

describe('extended resources and huge pages of a container (ValidateResourceRequirements)', () => {
  const withResources = (resources: Record<string, any>) => mutate((p) => (p.spec.containers[0].resources = resources));
  const errs = (resources: Record<string, any>) => admit(withResources(resources)).map(formatFieldError);
  it('takes a limit alone (the request defaults to it) and a request equal to the limit', () => {
    expect(errs({ limits: { 'example.com/dongle': '2' } })).toEqual([]);
    expect(errs({ requests: { 'example.com/dongle': '1', cpu: '100m' }, limits: { 'example.com/dongle': '1' } })).toEqual([]);
    expect(errs({ requests: { memory: '10Mi', 'hugepages-2Mi': '4Mi' }, limits: { 'hugepages-2Mi': '4Mi' } })).toEqual([]);
  });
  it('refuses what cannot be overcommitted without a limit, or with another one', () => {
    expect(errs({ requests: { 'example.com/dongle': '1' } })).toEqual(['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources']);
    expect(errs({ requests: { 'example.com/dongle': '1' }, limits: { 'example.com/dongle': '2' } })).toEqual(['spec.containers[0].resources.requests: Invalid value: "1": must be equal to example.com/dongle limit of 2']);
  });
  it('counts extended resources in whole numbers', () => {
    expect(errs({ limits: { 'example.com/dongle': '500m' } })).toEqual([
      'spec.containers[0].resources.limits[example.com/dongle]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: must be an integer',
      'spec.containers[0].resources.requests[example.com/dongle]: Invalid value: resource.Quantity{i:resource.int64Amount{value:500, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:"500m", Format:"DecimalSI"}: must be an integer',
    ]);
  });
  it('names what a container may have', () => {
    expect(errs({ limits: { pods: '1' } })).toEqual(['spec.containers[0].resources.limits[pods]: Invalid value: "pods": must be a standard resource for containers', 'spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for containers']);
  });
  it('wants cpu or memory beside huge pages', () => {
    expect(errs({ limits: { 'hugepages-2Mi': '2Mi' } })).toEqual(['spec.containers[0].resources: Forbidden: HugePages require cpu or memory']);
  });
});
