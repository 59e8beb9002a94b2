import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-error.js';
import { validatePod } from './validation-pod.js';
import type { Pod, Volume } from './types.js';

const podWith = (volume: Volume): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', volumes: [{ name: 'v', ...volume }] } }) as Pod;
const errors = (volume: Volume) => validatePod(podWith(volume)).map(formatFieldError);

describe('volume files stay inside their volume (ValidateLocalNonReservedPath)', () => {
  it.each([
    [{ configMap: { name: 'cm', items: [{ key: 'k', path: '../a' }] } }, `spec.volumes[0].configMap.items[0].path: Invalid value: "../a": must not contain '..'`],
    [{ secret: { secretName: 's', items: [{ key: 'k', path: '/etc/passwd' }] } }, 'spec.volumes[0].secret.items[0].path: Invalid value: "/etc/passwd": must be a relative path'],
    [{ configMap: { name: 'cm', items: [{ key: 'k', path: '..data' }] } }, `spec.volumes[0].configMap.items[0].path: Invalid value: "..data": must not start with '..'`],
    [{ downwardAPI: { items: [{ path: 'a/../../b', fieldRef: { fieldPath: 'metadata.name' } }] } }, `spec.volumes[0].downwardAPI.path: Invalid value: "a/../../b": must not contain '..'`],
    [{ projected: { sources: [{ serviceAccountToken: { path: '../token', expirationSeconds: 3600 } }] } }, `spec.volumes[0].projected.path: Invalid value: "../token": must not contain '..'`],
    [{ projected: { sources: [{ secret: { name: 's', items: [{ key: 'k', path: '/abs' }] } }] } }, 'spec.volumes[0].projected.sources[0].secret.items[0].path: Invalid value: "/abs": must be a relative path'],
  ])('%j', (volume, message) => {
    expect(errors(volume as Volume)).toContain(message);
  });

  it('checks keys, modes, downward API sources and colliding projected paths', () => {
    expect(errors({ configMap: { name: 'cm', defaultMode: 0o1000, items: [{ path: 'a' }] } } as Volume)).toEqual([
      'spec.volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive',
      'spec.volumes[0].configMap.items[0].key: Required value',
    ]);
    expect(errors({ downwardAPI: { items: [{ path: 'a' }, { path: 'b', fieldRef: { fieldPath: 'spec.nodeName' } }] } } as Volume)).toEqual([
      'spec.volumes[0].downwardAPI: Required value: one of fieldRef and resourceFieldRef is required',
      'spec.volumes[0].downwardAPI.fieldRef.fieldPath: Unsupported value: "spec.nodeName": supported values: "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid"',
    ]);
    expect(errors({ downwardAPI: { items: [{ path: 'l', fieldRef: { fieldPath: "metadata.labels['app']" } }] } } as Volume)).toEqual([]);
    expect(errors({ downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }] } } as Volume)).toEqual(['spec.volumes[0].downwardAPI.resourceFieldRef.containerName: Required value']);
    expect(errors({ projected: { sources: [{ configMap: { name: 'cm', items: [{ key: 'a', path: 'x' }] } }, { secret: { name: 's', items: [{ key: 'b', path: 'x' }] } }] } } as Volume)).toEqual([
      'spec.volumes[0].projected: Invalid value: "s": conflicting duplicate paths',
    ]);
    expect(errors({ projected: { sources: [{ configMap: { name: 'cm' }, secret: { name: 's' } }] } } as Volume)).toEqual(['spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type']);
  });
});

describe('pod DNS and sysctl validation (validatePodDNSConfig, validateSysctls)', () => {
  const pod = (spec: Record<string, unknown>): Pod => ({ ...podWith({ emptyDir: {} } as Volume), spec: { ...podWith({ emptyDir: {} } as Volume).spec, ...spec } }) as Pod;
  it('checks each search domain as a DNS subdomain (a trailing dot is fine)', () => {
    expect(validatePod(pod({ dnsConfig: { searches: ['ok.example.', 'a..b', 'UPPER.case'] } })).map(formatFieldError)).toEqual([
      expect.stringMatching(/^spec\.dnsConfig\.searches\[1\]: Invalid value: "a\.\.b": a lowercase RFC 1123 subdomain/),
      expect.stringMatching(/^spec\.dnsConfig\.searches\[2\]: Invalid value: "UPPER\.case": a lowercase RFC 1123 subdomain/),
    ]);
  });
  it('refuses a sysctl of a namespace shared with the node, and a duplicate', () => {
    expect(validatePod(pod({ hostNetwork: true, securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }, { name: 'kernel.shm_rmid_forced', value: '1' }, { name: 'kernel.shm_rmid_forced', value: '1' }] } })).map(formatFieldError)).toEqual([
      `spec.securityContext.sysctls[0].name: Invalid value: "net.ipv4.ip_local_port_range": may not be specified when 'hostNetwork' is true`,
      'spec.securityContext.sysctls[2].name: Duplicate value: "kernel.shm_rmid_forced"',
    ]);
    expect(validatePod(pod({ hostIPC: true, securityContext: { sysctls: [{ name: 'kernel.msg_next_id', value: '1' }] } }))).toEqual([]);
    expect(validatePod(pod({ hostIPC: true, securityContext: { sysctls: [{ name: 'kernel/shm_rmid_forced', value: '1' }] } })).map(formatFieldError)).toEqual([
      `spec.securityContext.sysctls[0].name: Invalid value: "kernel/shm_rmid_forced": may not be specified when 'hostIPC' is true`,
    ]);
  });
});
