import { describe, expect, it } from 'vitest';
import { podCreateWarnings, podSpecWarnings, podTemplateWarnings } from './pod-warnings.js';
import type { PodSpec } from './types.js';

const spec = (extra: Record<string, unknown> = {}, c: Record<string, unknown> = {}) => ({ containers: [{ name: 'c', image: 'x', ...c }], ...extra }) as PodSpec;

describe('pod warnings (warningsForPodSpecAndMeta)', () => {
  it('says nothing of an ordinary pod', () => {
    expect(podCreateWarnings({ metadata: { name: 'web-1' }, spec: spec({ nodeSelector: { 'kubernetes.io/os': 'linux' } }, { resources: { limits: { memory: '64Mi' } }, ports: [{ containerPort: 80, protocol: 'TCP' }] }) })).toEqual([]);
  });

  it('a name that is no DNS label, deprecated node labels, fractional bytes, an env var defined twice', () => {
    expect(
      podCreateWarnings({
        metadata: { name: 'web.1' },
        spec: spec(
          { nodeSelector: { 'beta.kubernetes.io/os': 'linux' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'failure-domain.beta.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' }] },
          { resources: { requests: { memory: '100m' } }, env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }, { name: 'B', value: 'x' }, { name: 'B', value: '$(B)-y' }] },
        ),
      }),
    ).toEqual([
      "metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: [must not contain dots]",
      'spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use "kubernetes.io/os" instead',
      'spec.topologySpreadConstraints[0].topologyKey: failure-domain.beta.kubernetes.io/zone is deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
      'spec.topologySpreadConstraints[0].labelSelector: a null labelSelector results in matching no pod',
      'spec.containers[0].resources.requests[memory]: fractional byte value "100m" is invalid, must be an integer',
      'spec.containers[0].env[1]: hides previous definition of "A", which may be dropped when using apply',
    ]);
  });

  it('ports: hostIP without hostPort, duplicates across containers, overlaps, ambiguous host IPs', () => {
    const s = {
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP', hostIP: '10.0.0.1' }, { containerPort: 81, protocol: 'TCP', hostPort: 8081 }] },
        { name: 'b', image: 'x', ports: [{ containerPort: 80, protocol: 'TCP', hostIP: '10.0.0.1' }, { containerPort: 81, protocol: 'TCP' }, { containerPort: 82, protocol: 'TCP', hostPort: 82 }] },
        { name: 'c', image: 'x', ports: [{ containerPort: 82, protocol: 'TCP', hostPort: 82, hostIP: '10.0.0.2' }] },
      ],
    } as PodSpec;
    expect(podSpecWarnings(s, {})).toEqual([
      'spec.containers[0].ports[0]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:80 Protocol:TCP HostIP:10.0.0.1}',
      'spec.containers[1].ports[0]: hostIP set without hostPort: {Name: HostPort:0 ContainerPort:80 Protocol:TCP HostIP:10.0.0.1}',
      'spec.containers[1].ports[0]: duplicate port definition with spec.containers[0].ports[0]',
      'spec.containers[1].ports[1]: overlapping port definition with spec.containers[0].ports[1]',
      'spec.containers[2].ports[0]: dangerously ambiguous port definition with spec.containers[1].ports[2]',
    ]);
  });

  it('annotations, volumes, pull secrets, host aliases, grace period and affinity', () => {
    const s = spec({
      volumes: [{ name: 'g', gitRepo: { repository: 'r' } }, { name: 's', storageos: {} }, { name: 'e', ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '1.5' } } } } } }],
      imagePullSecrets: [{ name: 'a' }, { name: 'a' }, { name: '' }],
      hostAliases: [{ ip: '1.2.3.4' }, { ip: '1.2.3.4' }],
      terminationGracePeriodSeconds: -1,
      affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } },
    });
    expect(podSpecWarnings(s, { annotations: { 'scheduler.alpha.kubernetes.io/critical-pod': '', 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' } })).toEqual([
      'metadata.annotations[scheduler.alpha.kubernetes.io/critical-pod]: non-functional in v1.16+; use the "priorityClassName" field instead',
      'spec.volumes[0].gitRepo: deprecated in v1.11',
      'spec.volumes[1].storageOS: deprecated in v1.22, non-functional in v1.25+',
      'spec.volumes[2].ephemeral.volumeClaimTemplate.spec.resources.requests[storage]: fractional byte value "1500m" is invalid, must be an integer',
      'spec.hostAliases[1].ip: duplicate ip "1.2.3.4"',
      'spec.imagePullSecrets[1].name: duplicate name "a"',
      'spec.imagePullSecrets[2].name: invalid empty name ""',
      'metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; use the "seccompProfile" field instead',
      'spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1',
      'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: a null labelSelector results in matching no pod',
    ]);
  });

  it('a template is warned of under its path, its AppArmor annotation too, and not again when unchanged', () => {
    // (0.5Ki is 512 bytes, a whole number; 0.5 is not)
    const t = { metadata: { annotations: { 'container.apparmor.security.beta.kubernetes.io/c': 'runtime/default' } }, spec: spec({}, { resources: { limits: { 'ephemeral-storage': '0.5Ki' }, requests: { 'ephemeral-storage': '0.5' } } }) };
    expect(podTemplateWarnings(t, 'spec.template')).toEqual([
      'spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/c]: deprecated since v1.30; use the "appArmorProfile" field instead',
      'spec.template.spec.containers[0].resources.requests[ephemeral-storage]: fractional byte value "500m" is invalid, must be an integer',
    ]);
    expect(podTemplateWarnings(t, 'spec.template', structuredClone(t))).toEqual([]);
  });
});
