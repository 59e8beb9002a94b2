import { describe, expect, it } from 'vitest';
import { defaultPod } from './defaults.js';
import { formatFieldError } from './field-error.js';
import type { EnvVar, Pod, Volume } from './types.js';
import { validatePod } from './validation-pod.js';

const pod = (env: EnvVar[], volumes: Volume[] = []): Pod =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent', env }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', volumes } }) as Pod;
const envErrors = (valueFrom: EnvVar['valueFrom']) => validatePod(pod([{ name: 'X', valueFrom }])).map(formatFieldError);
const volumeErrors = (items: unknown[]) => validatePod(pod([], [{ name: 'v', downwardAPI: { items } } as Volume])).map(formatFieldError);
const env = 'spec.containers[0].env[0].valueFrom';

describe('downward API selectors are validated as validateObjectFieldSelector and validateContainerResourceFieldSelector do', () => {
  it('lists the supported env field paths sorted, without subscript placeholders', () => {
    expect(envErrors({ fieldRef: { fieldPath: 'metadata.labels' } })).toEqual([
      `${env}.fieldRef.fieldPath: Unsupported value: "metadata.labels": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
    ]);
  });

  it('refuses what ConvertDownwardAPIFieldLabel cannot convert', () => {
    expect(envErrors({ fieldRef: { apiVersion: 'v2', fieldPath: 'metadata.name' } })).toEqual([`${env}.fieldRef.fieldPath: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2`]);
    expect(envErrors({ fieldRef: { fieldPath: 'spec.containers' } })).toEqual([`${env}.fieldRef.fieldPath: Invalid value: "spec.containers": error converting fieldPath: field label not supported: spec.containers`]);
    expect(envErrors({ fieldRef: { fieldPath: "spec.nodeName['x']" } })).toEqual([`${env}.fieldRef.fieldPath: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`]);
    // (spec.host is the old name of spec.nodeName)
    expect(envErrors({ fieldRef: { fieldPath: 'spec.host' } })).toEqual([]);
  });

  it('checks a label or annotation key as a qualified name, at the selector', () => {
    expect(envErrors({ fieldRef: { fieldPath: "metadata.labels['a b']" } })).toEqual([
      `${env}.fieldRef: Invalid value: "a b": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ]);
    expect(envErrors({ fieldRef: { fieldPath: "metadata.annotations['Example.com/Note']" } })).toEqual([]);
    expect(volumeErrors([{ path: 'l', fieldRef: { fieldPath: "metadata.labels['-x']" } }])).toHaveLength(1);
  });

  it('takes only the divisors each resource has', () => {
    expect(envErrors({ resourceFieldRef: { resource: 'limits.cpu', divisor: '3m' } })).toEqual([`${env}.resourceFieldRef.divisor: Invalid value: "limits.cpu": only divisor's values 1m and 1 are supported with the cpu resource`]);
    expect(envErrors({ resourceFieldRef: { resource: 'requests.memory', divisor: '1m' } })).toEqual([
      `${env}.resourceFieldRef.divisor: Invalid value: "requests.memory": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the memory resource`,
    ]);
    expect(volumeErrors([{ path: 'e', resourceFieldRef: { containerName: 'c', resource: 'limits.ephemeral-storage', divisor: '2Gi' } }])).toEqual([
      `spec.volumes[0].downwardAPI.resourceFieldRef.divisor: Invalid value: "limits.ephemeral-storage": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the local ephemeral storage resource`,
    ]);
    // (compared in canonical form; a zero divisor is an unset one)
    expect(envErrors({ resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } })).toEqual([]);
    expect(envErrors({ resourceFieldRef: { resource: 'limits.memory', divisor: '1024Ki' } })).toEqual([]);
    expect(envErrors({ resourceFieldRef: { resource: 'limits.cpu', divisor: '0' } })).toEqual([]);
    expect(envErrors({ resourceFieldRef: { resource: 'limits.foo' } })).toEqual([
      `${env}.resourceFieldRef.resource: Unsupported value: "limits.foo": supported values: "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"`,
    ]);
  });
});

describe('downward API selector defaults', () => {
  it('gives volume fieldRefs apiVersion v1 and every resourceFieldRef a canonical divisor, "0" when unset', () => {
    const p = defaultPod(
      pod(
        [
          { name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
          { name: 'B', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } } },
        ],
        [
          { name: 'd', downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'm', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1024Ki' } }] } },
          { name: 'p', projected: { sources: [{ downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] } },
        ],
      ),
    );
    const s = p.spec!;
    expect(s.containers![0]!.env!.map((e) => e.valueFrom!.resourceFieldRef!.divisor)).toEqual(['0', '1']);
    expect(s.volumes![0]!.downwardAPI!.items).toEqual([
      { path: 'l', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } },
      { path: 'm', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
    ]);
    expect(s.volumes![1]!.projected!.sources![0]!.downwardAPI!.items![0]!.fieldRef).toEqual({ apiVersion: 'v1', fieldPath: 'metadata.name' });
  });

  it('defaults a stored pod on update too, so that the same spec compares equal', () => {
    const stored = pod([{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }], [{ name: 'd', downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: 'metadata.labels' } }] } }]);
    const next = defaultPod(structuredClone(stored), stored);
    expect(stored.spec!.containers![0]!.env![0]!.valueFrom!.resourceFieldRef!.divisor).toBe('0');
    expect(stored.spec!.volumes![0]!.downwardAPI!.items![0]!.fieldRef!.apiVersion).toBe('v1');
    expect(next.spec!.volumes![0]!.downwardAPI!.items).toEqual(stored.spec!.volumes![0]!.downwardAPI!.items);
  });
});
