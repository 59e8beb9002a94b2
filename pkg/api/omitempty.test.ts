// What 1.32 keeps of a request body once decoded into the Go struct and encoded again with its
// json tags (k8s.io/api v0.32.9 types.go): omitempty pointers, slices and maps given null or empty
// are gone, omitempty scalars at their zero value too; what is always written stays.
import { describe, expect, it } from 'vitest';
import { omitEmptyFields, omitZero } from './omitempty.js';

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
    expect(pod.spec).toEqual({ containers: [container({ ports: [{ containerPort: 80, protocol: 'TCP' }] })] });
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
      template: {
        metadata: { labels: { a: 'b' }, creationTimestamp: null },
        spec: { securityContext: {}, terminationGracePeriodSeconds: 0, containers: [container({ resources: {}, securityContext: { privileged: false } })] },
      },
    });
  });

  it('writes a null for a field without omitempty as its zero value, and keeps a null Go writes as null', () => {
    const rs = { spec: { selector: null, template: { spec: { containers: [{ name: null, image: 'x' }] } } }, status: { replicas: null, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: null }] } };
    omitEmptyFields('ReplicaSet', rs);
    expect(rs).toEqual({ spec: { selector: null, template: { spec: { containers: [{ name: '', image: 'x' }] } } }, status: { replicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', lastTransitionTime: null }] } });
  });

  it('walks lists and maps of structs and the templates of every workload', () => {
    const cj = {
      spec: {
        schedule: '* * * * *',
        jobTemplate: { metadata: { labels: {} }, spec: { template: { metadata: { annotations: {} }, spec: { restartPolicy: 'Never', containers: [container({ volumeMounts: null })], imagePullSecrets: [] } } } },
      },
    };
    omitEmptyFields('CronJob', cj);
    expect(cj.spec.jobTemplate).toEqual({ metadata: {}, spec: { template: { metadata: {}, spec: { restartPolicy: 'Never', containers: [container({})] } } } });
    const quota = { spec: { hard: {}, scopes: null }, status: { hard: { pods: '2' }, used: {} } };
    omitEmptyFields('ResourceQuota', quota);
    expect(quota).toEqual({ spec: {}, status: { hard: { pods: '2' } } });
  });

  it('leaves free-form content, fields it does not know and types with no Go struct alone', () => {
    const ev = { metadata: { name: 'e' }, spec: { unknownThing: null }, involvedObject: { kind: 'Pod', name: 'p', fieldPath: '' }, message: '', count: 0, eventTime: null };
    omitEmptyFields('Event', ev);
    expect(ev).toEqual({ metadata: { name: 'e' }, spec: { unknownThing: null }, involvedObject: { kind: 'Pod', name: 'p' }, eventTime: null });
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
    const slice = { addressType: 'IPv4', endpoints: [], ports: [{ port: 80, name: '' }] };
    omitEmptyFields('EndpointSlice', slice, true);
    expect(slice).toEqual({ addressType: 'IPv4', endpoints: null, ports: [{ port: 80, name: '' }] });
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
