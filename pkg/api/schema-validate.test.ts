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

  it('reports unknown fields with their path', () => {
    const errs = decodeStrict('Pod', { metadata: { name: 'p', labelz: {} }, spec: { containers: [{ name: 'c', image: 'i', imagePullPolicyy: 'Always' }] } });
    expect(errs.map(formatFieldError)).toEqual(['unknown field "metadata.labelz"', 'unknown field "spec.containers[0].imagePullPolicyy"']);
  });

  it('reports mistyped values', () => {
    const errs = decodeStrict('Pod', { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'abc' }] }] } });
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ type: 'FieldValueTypeInvalid', field: 'spec.containers[0].ports[0].containerPort' });
    expect(formatFieldError(errs[0])).toBe('spec.containers[0].ports[0].containerPort: Invalid value: "abc": expected integer, got string');
  });

  it.each([
    [{ spec: 'x' }, 'spec', /expected object/],
    [{ spec: { containers: {} } }, 'spec.containers', /expected array/],
    [{ spec: { hostNetwork: 'true' } }, 'spec.hostNetwork', /expected boolean/],
    [{ metadata: { labels: { a: 1 } } }, 'metadata.labels[a]', /expected string/],
    [{ metadata: { labels: ['a'] } }, 'metadata.labels', /expected object/],
    [{ spec: { containers: [{ livenessProbe: { httpGet: { port: true } } }] } }, 'spec.containers[0].livenessProbe.httpGet.port', /integer or string/],
    [{ spec: { containers: [{ ports: [{ containerPort: 1.5 }] }] } }, 'spec.containers[0].ports[0].containerPort', /expected integer, got number/],
    [{ spec: { priority: 2 ** 40 } }, 'spec.priority', /32-bit/],
    [{ spec: { containers: ['busybox'] } }, 'spec.containers[0]', /expected object, got string/],
  ])('%j → %s', (obj, field, re) => {
    const errs = decodeStrict('Pod', obj);
    expect(errs).toHaveLength(1);
    expect(errs[0].type).toBe('FieldValueTypeInvalid');
    expect(errs[0].field).toBe(field);
    expect(errs[0].detail).toMatch(re);
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
