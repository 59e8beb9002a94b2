// What 1.32 keeps of a request body once decoded into the Go struct and encoded again with its
// json tags (k8s.io/api v0.32.9 types.go): omitempty pointers, slices and maps given null or empty
// are gone, omitempty scalars at their zero value too; what is always written stays.
import { describe, expect, it } from 'vitest';
import { lacksZeroFields, omitEmptyFields, omitZero } from './omitempty.js';

const container = (extra: Record<string, unknown>) => ({ name: 'c', image: 'busybox', ...extra });

describe('omitEmptyFields', () => {
  it('drops the nulls and empties of omitempty pointers, slices and maps in a pod', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        nodeSelector: null,
        tolerations: null,
        volumes: [],
        hostAliases: null,
        affinity: null,
        serviceAccountName: '',
        hostNetwork: false,
        containers: [container({ env: null, envFrom: [], ports: [{ containerPort: 80, hostPort: 0, name: '', protocol: 'TCP' }], args: [], command: null, stdin: false, workingDir: '' })],
      },
    };
    omitEmptyFields('Pod', pod);
    expect(pod.spec).toEqual({ containers: [container({ ports: [{ containerPort: 80, protocol: 'TCP' }], resources: {} })] });
  });

  it('keeps a pointer\'s value however empty, and what Go always writes', () => {
    const spec = {
      replicas: 0,
      selector: { matchLabels: { a: 'b' }, matchExpressions: [] },
      template: {
        metadata: { name: '', labels: { a: 'b' }, annotations: {}, creationTimestamp: null },
        spec: { securityContext: {}, terminationGracePeriodSeconds: 0, containers: [container({ resources: {}, securityContext: { privileged: false } })] },
      },
    };
    omitEmptyFields('DeploymentSpec', spec);
    expect(spec).toEqual({
      replicas: 0,
      selector: { matchLabels: { a: 'b' } },
      strategy: {},
      template: {
        metadata: { labels: { a: 'b' }, creationTimestamp: null },
        spec: { securityContext: {}, terminationGracePeriodSeconds: 0, containers: [container({ resources: {}, securityContext: { privileged: false } })] },
      },
    });
  });

  it('writes a null for a field without omitempty as its zero value, and keeps a null Go writes as null', () => {
    const rs = { spec: { selector: null, template: { spec: { containers: [{ name: null, image: 'x' }] } } }, status: { replicas: null, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: null }] } };
    omitEmptyFields('ReplicaSet', rs);
    expect(rs).toEqual({ metadata: { creationTimestamp: null }, spec: { selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: '', image: 'x', resources: {} }] } } }, status: { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: null }] } });
  });

  it('walks lists and maps of structs and the templates of every workload', () => {
    const cj = {
      spec: {
        schedule: '* * * * *',
        jobTemplate: { metadata: { labels: {} }, spec: { template: { metadata: { annotations: {} }, spec: { restartPolicy: 'Never', containers: [container({ volumeMounts: null })], imagePullSecrets: [] } } } },
      },
    };
    omitEmptyFields('CronJob', cj);
    expect(cj.spec.jobTemplate).toEqual({ metadata: {}, spec: { template: { metadata: {}, spec: { restartPolicy: 'Never', containers: [container({ resources: {} })] } } } });
    const quota = { metadata: { name: 'q' }, spec: { hard: {}, scopes: null }, status: { hard: { pods: '2' }, used: {} } };
    omitEmptyFields('ResourceQuota', quota);
    expect(quota).toEqual({ metadata: { name: 'q' }, spec: {}, status: { hard: { pods: '2' } } });
  });

  it('leaves free-form content, fields it does not know and types with no Go struct alone', () => {
    const ev = { metadata: { name: 'e' }, spec: { unknownThing: null }, involvedObject: { kind: 'Pod', name: 'p', fieldPath: '' }, message: '', count: 0, eventTime: null };
    omitEmptyFields('Event', ev);
    expect(ev).toEqual({ metadata: { name: 'e' }, spec: { unknownThing: null }, involvedObject: { kind: 'Pod', name: 'p' }, eventTime: null, source: {} });
    const cr = { spec: { nothing: null, list: [] } };
    omitEmptyFields('NoSuchType', cr);
    expect(cr).toEqual({ spec: { nothing: null, list: [] } });
  });

  it('writes an empty list without omitempty as null once stored, as protobuf storage gives it back nil', () => {
    const role = () => ({ metadata: { name: 'r' }, rules: [] as unknown[] });
    const decoded = role();
    omitEmptyFields('Role', decoded);
    expect(decoded.rules).toEqual([]);
    const stored = role();
    omitEmptyFields('Role', stored, true);
    expect(stored.rules).toBeNull();
    const slice = { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [], ports: [{ port: 80, name: '' }] };
    omitEmptyFields('EndpointSlice', slice, true);
    expect(slice).toEqual({ metadata: { name: 's', creationTimestamp: null }, addressType: 'IPv4', endpoints: null, ports: [{ port: 80, name: '' }] });
  });

  it('writes every field without omitempty a stored object left out at its zero value, as encoding/json writes the struct', () => {
    const pod = {
      metadata: { name: 'p', creationTimestamp: '2026-12-03T18:00:00Z' },
      spec: { containers: [{ name: 'c', image: 'busybox', env: [{ name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: 'c', state: { running: { startedAt: '2026-12-03T18:00:01Z' } } }],
        hostIPs: [{ ip: '10.0.0.1' }],
      },
    };
    const sent = structuredClone(pod);
    omitEmptyFields('Pod', sent);
    // (not before it is stored: defaulting and validation see what was sent)
    expect(sent.status.containerStatuses[0]).toEqual({ name: 'c', state: { running: { startedAt: '2026-12-03T18:00:01Z' } }, lastState: {} });
    omitEmptyFields('Pod', pod, true);
    expect(pod.spec.containers[0]!.env[0]!.valueFrom.resourceFieldRef).toEqual({ resource: 'limits.cpu', divisor: '0' });
    expect(pod.status.conditions[0]).toEqual({ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: null });
    expect(pod.status.containerStatuses[0]).toEqual({ name: 'c', state: { running: { startedAt: '2026-12-03T18:00:01Z' } }, lastState: {}, ready: false, restartCount: 0, image: '', imageID: '' });
    const node = { metadata: { name: 'n' }, status: { nodeInfo: { kubeletVersion: 'v1.32.0' }, conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ address: '10.0.0.1' }] } };
    omitEmptyFields('Node', node, true);
    expect(node.status).toEqual({
      nodeInfo: { machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: '', kubeletVersion: 'v1.32.0', kubeProxyVersion: '', operatingSystem: '', architecture: '' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: null, lastTransitionTime: null }],
      addresses: [{ type: '', address: '10.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
    });
    const slice = { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.2'] }] };
    omitEmptyFields('EndpointSlice', slice, true);
    expect(slice).toEqual({ metadata: { name: 's', creationTimestamp: null }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.2'], conditions: {} }], ports: null });
  });

  it('fills a struct by value left out or given null with Go\'s zero struct, as encoding/json writes it', () => {
    const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x' }, { name: 'd', image: 'x', resources: null }] } };
    omitEmptyFields('Pod', pod);
    expect(pod).toEqual({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x', resources: {} }, { name: 'd', image: 'x', resources: {} }] }, status: {} });
    const svc: Record<string, unknown> = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } };
    omitEmptyFields('Service', svc);
    expect(svc.status).toEqual({ loadBalancer: {} });
    const np = { metadata: { name: 'n' }, spec: { policyTypes: ['Ingress'] } };
    omitEmptyFields('NetworkPolicy', np);
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    // (a zero struct's own members: non-omitempty scalars at their zero value, structs by value within, lists null)
    const ds = { metadata: { name: 'd' }, spec: { selector: { matchLabels: { a: 'b' } } } };
    omitEmptyFields('DaemonSet', ds);
    expect(ds.spec).toEqual({ selector: { matchLabels: { a: 'b' } }, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, updateStrategy: {} });
    expect((ds as Record<string, unknown>).status).toEqual({ currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 });
    const rb = { metadata: { name: 'r' } };
    omitEmptyFields('RoleBinding', rb);
    expect(rb).toEqual({ metadata: { name: 'r' }, roleRef: { apiGroup: '', kind: '', name: '' } });
  });

  it('writes a time stamp back as metav1.Time and MicroTime write it: in UTC, whole seconds or six fractional digits', () => {
    const pod = { metadata: { name: 'p' }, status: { startTime: '2026-12-03T19:00:00+01:00', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T18:00:00.75Z' }] } };
    omitEmptyFields('Pod', pod);
    expect(pod.status).toEqual({ startTime: '2026-12-03T18:00:00Z', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-12-03T18:00:00Z' }] });
    const ev = { metadata: { name: 'e' }, involvedObject: { kind: 'Pod' }, eventTime: '2026-12-03T19:00:00.123456+01:00', lastTimestamp: '2026-12-03T12:00:00-06:00' };
    omitEmptyFields('Event', ev);
    expect(ev.eventTime).toBe('2026-12-03T18:00:00.123456Z');
    expect(ev.lastTimestamp).toBe('2026-12-03T18:00:00Z');
    const lease = { spec: { renewTime: '2026-12-03T18:00:00,000001Z', acquireTime: '2026-12-03T18:00:00.000000Z' } };
    omitEmptyFields('Lease', lease);
    expect(lease.spec).toEqual({ renewTime: '2026-12-03T18:00:00.000001Z', acquireTime: '2026-12-03T18:00:00.000000Z' });
    // Go's zero time, however written, is null where the time is held by value (MarshalJSON of a zero Time)
    const zero = { metadata: { name: 'e' }, involvedObject: {}, firstTimestamp: '0001-01-01T00:00:00Z', lastTimestamp: '0001-01-01T01:00:00+01:00', eventTime: '0001-01-01T00:00:00.000000Z' };
    omitEmptyFields('Event', zero);
    expect([zero.firstTimestamp, zero.lastTimestamp, zero.eventTime]).toEqual([null, null, null]);
    // A pointer to it (omitempty, set) is stored and served null too; the next write's decoding drops the null.
    const started = { metadata: { name: 'p' }, status: { phase: 'Running', startTime: '0001-01-01T00:00:00Z' } };
    omitEmptyFields('Pod', started);
    expect(started.status.startTime).toBe('0001-01-01T00:00:00Z');
    omitEmptyFields('Pod', started, true);
    expect(started.status).toEqual({ phase: 'Running', startTime: null });
    const renewed = { spec: { holderIdentity: 'a', renewTime: '0001-01-01T00:00:00.000000Z' } };
    omitEmptyFields('Lease', renewed, true);
    expect(renewed.spec).toEqual({ holderIdentity: 'a', renewTime: null });
    omitEmptyFields('Pod', started);
    expect(started.status).toEqual({ phase: 'Running' });
  });

  it('leaves a CustomResourceDefinition as apiextensions/v1\'s Go structs leave it, its JSON schema as sent', () => {
    const schema = { type: 'object', properties: { spec: { type: 'object', nullable: false, properties: {} } } };
    const crd = {
      metadata: { name: 'widgets.example.com', labels: {} },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget', shortNames: [], categories: null, singular: '' },
        scope: 'Namespaced',
        preserveUnknownFields: false,
        conversion: { strategy: 'None', webhook: null },
        versions: [{ name: 'v1', served: true, storage: true, deprecated: false, schema: { openAPIV3Schema: schema }, subresources: { status: {}, scale: null }, additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', priority: 0, format: '' }], selectableFields: [] }],
      },
      status: { conditions: [{ type: 'Established', status: 'True', lastTransitionTime: '2026-12-03T19:00:00+01:00', reason: '' }], acceptedNames: { plural: 'widgets', kind: 'Widget', shortNames: [] }, storedVersions: ['v1'] },
    };
    omitEmptyFields('CustomResourceDefinition', crd);
    expect(crd).toEqual({
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { plural: 'widgets', kind: 'Widget' },
        scope: 'Namespaced',
        conversion: { strategy: 'None' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', nullable: false, properties: {} } } } }, subresources: { status: {} }, additionalPrinterColumns: [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] }],
      },
      status: { conditions: [{ type: 'Established', status: 'True', lastTransitionTime: '2026-12-03T18:00:00Z' }], acceptedNames: { plural: 'widgets', kind: 'Widget' }, storedVersions: ['v1'] },
    });
    // Stored, what Go always writes is there: a new CRD's status before its controller ran.
    const fresh = { metadata: { name: 'w' }, spec: { group: 'example.com', names: { plural: 'w', kind: 'W' }, scope: 'Cluster', versions: [{ name: 'v1' }] }, status: { conditions: [] } };
    omitEmptyFields('CustomResourceDefinition', fresh, true);
    expect(fresh.spec.versions).toEqual([{ name: 'v1', served: false, storage: false }]);
    expect(fresh.status).toEqual({ conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: null });
  });

  it('tells an object read back that lacks a struct by value or a field Go always writes from one that has them all', () => {
    const pod = { metadata: { name: 'p', creationTimestamp: '2026-12-03T00:00:00Z' }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: {} };
    expect(lacksZeroFields('Pod', pod)).toBe(true);
    omitEmptyFields('Pod', pod);
    expect(lacksZeroFields('Pod', pod)).toBe(false);
    // (stored by an older tskube: a condition without lastProbeTime, a container status without restartCount)
    const older = { ...pod, status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: null }], containerStatuses: [{ name: 'c', state: {}, lastState: {}, ready: true, image: 'x', imageID: '' }] } };
    expect(lacksZeroFields('Pod', older)).toBe(true);
    omitEmptyFields('Pod', older, true);
    expect(lacksZeroFields('Pod', older)).toBe(false);
    expect(lacksZeroFields('NoSuchType', {})).toBe(false);
  });

  it('keeps the top-level managedFields: [] (a request to reset ownership) and drops the rest of the metadata empties', () => {
    const cm = { metadata: { name: 'c', labels: {}, annotations: null, finalizers: [], managedFields: [], generation: 0 }, data: {} };
    omitEmptyFields('ConfigMap', cm);
    expect(cm).toEqual({ metadata: { name: 'c', managedFields: [] } });
  });
});

describe('omitZero', () => {
  it('leaves out the zero counts', () => {
    expect(omitZero({ a: 0, b: 1 }, ['a', 'b'])).toEqual({ b: 1 });
  });
});
