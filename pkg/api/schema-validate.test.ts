import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { decodeStrict } from './schema-validate.js';

describe('decodeStrict', () => {
  it('accepts a full pod and nulls anywhere', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' }, annotations: null, ownerReferences: [{ kind: 'X', name: 'y', uid: 'z', controller: true }] },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'busybox',
            ports: [{ containerPort: 80, protocol: 'TCP' }],
            livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            readinessProbe: { tcpSocket: { port: 8080 } },
            resources: { limits: { cpu: '1', memory: '1Gi' } },
            env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            securityContext: null,
          },
        ],
        terminationGracePeriodSeconds: 30,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['b'] }] }] } } },
      },
      status: { phase: 'Pending' },
    };
    expect(decodeStrict('Pod', pod)).toEqual([]);
  });

  it("parses time stamps as metav1.Time and MicroTime do, with Go's errors", () => {
    const detail = (type: string, obj: unknown) => decodeStrict(type, obj).map((e) => `${e.field}: ${e.detail}`);
    expect(detail('Event', { firstTimestamp: 'yesterday', lastTimestamp: '2026-01-02T03:04:05Z', eventTime: null })).toEqual(['firstTimestamp: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"']);
    expect(detail('Lease', { spec: { renewTime: '2026-01-02T03:04:05Z', acquireTime: '2026-01-02T03:04:05.000000Z' } })).toEqual(['spec.renewTime: parsing time "2026-01-02T03:04:05Z" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "Z" as ".000000"']);
    expect(detail('Pod', { metadata: { creationTimestamp: 5 }, status: { conditions: [{ type: 'Ready', lastTransitionTime: '2026-02-30T00:00:00Z' }] } })).toEqual([
      'metadata.creationTimestamp: json: cannot unmarshal number into Go value of type string',
      'status.conditions[0].lastTransitionTime: parsing time "2026-02-30T00:00:00Z": day out of range',
    ]);
  });

  it('makes a null element of a list or value of a map its Go zero value, as encoding/json leaves it', () => {
    const pod = {
      metadata: { name: 'p', labels: { a: null } },
      spec: {
        containers: [null, { name: 'c', args: ['x', null], ports: [{ containerPort: null }], resources: { limits: { cpu: null } } }],
        volumes: [{ name: 'v', projected: { sources: [null] } }],
      },
    };
    expect(decodeStrict('Pod', pod)).toEqual([]);
    expect(pod).toEqual({
      metadata: { name: 'p', labels: { a: '' } },
      spec: {
        containers: [{}, { name: 'c', args: ['x', ''], ports: [{ containerPort: null }], resources: { limits: { cpu: '0' } } }],
        volumes: [{ name: 'v', projected: { sources: [{}] } }],
      },
    });
  });

  it('reports unknown fields with their path', () => {
    const errs = decodeStrict('Pod', { metadata: { name: 'p', labelz: {} }, spec: { containers: [{ name: 'c', image: 'i', imagePullPolicyy: 'Always' }] } });
    expect(errs.map(formatFieldError)).toEqual(['unknown field "metadata.labelz"', 'unknown field "spec.containers[0].imagePullPolicyy"']);
  });

  it('reports mistyped values', () => {
    const errs = decodeStrict('Pod', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'abc' }] }] } });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ type: 'FieldValueTypeInvalid', field: 'spec.containers[0].ports[0].containerPort' });
    expect(formatFieldError(errs[0])).toBe('spec.containers[0].ports[0].containerPort: Invalid value: "abc": json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32');
  });

  it('takes a number for a quantity and keeps it as a string, as resource.Quantity does', () => {
    const pod = { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '1Gi' }, requests: { cpu: 0.5 } } }], volumes: [{ name: 'v', emptyDir: { sizeLimit: 1024 } }] } };
    expect(decodeStrict('Pod', pod)).toEqual([]);
    // (in canonical form, as Quantity re-encodes it)
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } });
    expect(pod.spec.volumes[0].emptyDir.sizeLimit).toBe('1024');
    const quota = { spec: { hard: { 'requests.storage': 1e9, pods: '10' } } };
    decodeStrict('ResourceQuota', quota);
    expect(quota.spec.hard).toEqual({ 'requests.storage': '1G', pods: '10' });
    expect(decodeStrict('Pod', { spec: { containers: [{ resources: { limits: { cpu: true } } }] } })[0]?.detail).toMatch(/^quantities must match the regular expression/);
    // (a string that is no quantity is left to validation, which names the field)
    expect(decodeStrict('Pod', { spec: { containers: [{ resources: { limits: { cpu: 'lots' } } }] } })).toEqual([]);
  });

  it.each([
    [{ spec: 'x' }, 'spec', 'string into Go struct field Pod.spec of type v1.PodSpec'],
    [{ spec: { containers: {} } }, 'spec.containers', 'object into Go struct field PodSpec.spec.containers of type []v1.Container'],
    [{ spec: { hostNetwork: 'true' } }, 'spec.hostNetwork', 'string into Go struct field PodSpec.spec.hostNetwork of type bool'],
    [{ metadata: { labels: { a: 1 } } }, 'metadata.labels[a]', 'number into Go struct field ObjectMeta.metadata.labels of type string'],
    [{ metadata: { labels: ['a'] } }, 'metadata.labels', 'array into Go struct field ObjectMeta.metadata.labels of type map[string]string'],
    [{ spec: { containers: [{ livenessProbe: { httpGet: { port: true } } }] } }, 'spec.containers[0].livenessProbe.httpGet.port', 'bool into Go struct field HTTPGetAction.spec.containers.livenessProbe.httpGet.port of type int32'],
    [{ spec: { containers: [{ ports: [{ containerPort: 1.5 }] }] } }, 'spec.containers[0].ports[0].containerPort', 'number 1.5 into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32'],
    [{ spec: { priority: 2 ** 40 } }, 'spec.priority', 'number 1099511627776 into Go struct field PodSpec.spec.priority of type int32'],
    [{ spec: { containers: ['busybox'] } }, 'spec.containers[0]', 'string into Go struct field PodSpec.spec.containers of type v1.Container'],
    [{ spec: { containers: [{ command: 'sleep 1' }] } }, 'spec.containers[0].command', 'string into Go struct field Container.spec.containers.command of type []string'],
    // (named types as reflect prints them: the field's, or a slice's or map's element's)
    [{ spec: { containers: [{ ports: [{ protocol: 6 }] }] } }, 'spec.containers[0].ports[0].protocol', 'number into Go struct field ContainerPort.spec.containers.ports.protocol of type v1.Protocol'],
    [{ spec: { restartPolicy: true } }, 'spec.restartPolicy', 'bool into Go struct field PodSpec.spec.restartPolicy of type v1.RestartPolicy'],
    [{ spec: { containers: [{ securityContext: { capabilities: { drop: 'ALL' } } }] } }, 'spec.containers[0].securityContext.capabilities.drop', 'string into Go struct field Capabilities.spec.containers.securityContext.capabilities.drop of type []v1.Capability'],
    [{ spec: { containers: [{ securityContext: { capabilities: { add: [1] } } }] } }, 'spec.containers[0].securityContext.capabilities.add[0]', 'number into Go struct field Capabilities.spec.containers.securityContext.capabilities.add of type v1.Capability'],
    [{ spec: { containers: [{ resources: { limits: ['1'] } }] } }, 'spec.containers[0].resources.limits', 'array into Go struct field ResourceRequirements.spec.containers.resources.limits of type v1.ResourceList'],
    [{ spec: { tolerations: [{ operator: 1 }] } }, 'spec.tolerations[0].operator', 'number into Go struct field Toleration.spec.tolerations.operator of type v1.TolerationOperator'],
  ])('%j → %s', (obj, field, text) => {
    const errs = decodeStrict('Pod', obj);
    expect(errs).toHaveLength(1);
    expect(errs[0].type).toBe('FieldValueTypeInvalid');
    expect(errs[0].field).toBe(field);
    expect(errs[0].detail).toBe(`json: cannot unmarshal ${text}`);
  });

  it("names Go's types for the other groups", () => {
    expect(decodeStrict('Service', { spec: { type: 1 } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field ServiceSpec.spec.type of type v1.ServiceType');
    expect(decodeStrict('NetworkPolicy', { spec: { policyTypes: [1] } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field NetworkPolicySpec.spec.policyTypes of type v1.PolicyType');
    expect(decodeStrict('HorizontalPodAutoscaler', { spec: { metrics: [{ type: 1 }] } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field MetricSpec.spec.metrics.type of type v2.MetricSourceType');
    expect(decodeStrict('Deployment', { spec: { selector: { matchExpressions: [{ operator: 1 }] } } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field LabelSelectorRequirement.spec.selector.matchExpressions.operator of type v1.LabelSelectorOperator');
    expect(decodeStrict('Deployment', { spec: { replicas: '3' } })[0]?.detail).toBe('json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
    expect(decodeStrict('HorizontalPodAutoscaler', { spec: { metrics: 'x' } })[0]?.detail).toBe('json: cannot unmarshal string into Go struct field HorizontalPodAutoscalerSpec.spec.metrics of type []v2.MetricSpec');
    expect(decodeStrict('HorizontalPodAutoscalerV1', { spec: 'x' })[0]?.detail).toBe('json: cannot unmarshal string into Go struct field HorizontalPodAutoscaler.spec of type v1.HorizontalPodAutoscalerSpec');
    expect(decodeStrict('Secret', { data: { a: 5 } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field Secret.data of type []uint8');
    // flowcontrol.apiserver.k8s.io/v1: its named strings, its Subject (FlowSubject here), its condition times parsed as metav1.Time
    expect(decodeStrict('FlowSchema', { spec: { distinguisherMethod: { type: 2 } } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field FlowDistinguisherMethod.spec.distinguisherMethod.type of type v1.FlowDistinguisherMethodType');
    expect(decodeStrict('FlowSchema', { spec: { rules: [{ subjects: [{ kind: 1 }] }] } })[0]?.detail).toBe('json: cannot unmarshal number into Go struct field Subject.spec.rules.subjects.kind of type v1.SubjectKind');
    expect(decodeStrict('PriorityLevelConfiguration', { spec: { limited: { limitResponse: { type: true } } } })[0]?.detail).toBe('json: cannot unmarshal bool into Go struct field LimitResponse.spec.limited.limitResponse.type of type v1.LimitResponseType');
    expect(decodeStrict('FlowSchema', { status: { conditions: [{ type: 'Dangling', lastTransitionTime: 'yesterday' }] } })[0]?.field).toBe('status.conditions[0].lastTransitionTime');
    expect(decodeStrict('ObjectMeta', { labels: 'x' }, 'metadata')[0]).toMatchObject({ field: 'metadata.labels', detail: 'json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string' });
  });

  it('accepts int64 values beyond 32 bits and the Port spelling of daemon endpoints', () => {
    expect(decodeStrict('Pod', { spec: { activeDeadlineSeconds: 2 ** 40 } })).toEqual([]);
    expect(decodeStrict('Node', { status: { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } })).toEqual([]);
  });

  it('knows every served kind', () => {
    for (const t of ['Pod', 'Node', 'Namespace', 'Event', 'Lease', 'Binding', 'Status']) {
      expect(decodeStrict(t, { apiVersion: 'v1', kind: t, metadata: {} })).toEqual([]);
    }
    expect(decodeStrict('DeleteOptions', { kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: 'u' } })).toEqual([]);
    expect(() => decodeStrict('Nope', {})).toThrow(/unknown type/);
  });
});
