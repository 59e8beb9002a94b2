import { describe, expect, it } from 'vitest';
import { defaultPod } from './defaults.js';
import { formatFieldError } from './field-error.js';
import type { EphemeralContainer, Pod } from './types.js';
import { validatePod, validatePodEphemeralContainersUpdate } from './validation.js';

function podWith(ecs: EphemeralContainer[]): Pod {
  const p: Pod = {
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: {
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [{ name: 'app', image: 'nginx:1.27' }],
      volumes: [{ name: 'data', emptyDir: {} }],
      ephemeralContainers: ecs,
    },
  };
  return defaultPod(p);
}

const messages = (p: Pod) => validatePod(p).map(formatFieldError);

describe('ephemeral containers', () => {
  it('accepts what kubectl debug sends: an empty resources struct, stdin, tty, a target, a security context', () => {
    const ec: EphemeralContainer = { name: 'debugger-x', image: 'busybox:1.36', resources: {}, stdin: true, tty: true, targetContainerName: 'app', securityContext: { capabilities: { add: ['SYS_PTRACE'] } } };
    expect(messages(podWith([ec]))).toEqual([]);
  });

  it('may target an init container, not another ephemeral container', () => {
    expect(messages(podWith([{ name: 'd1', image: 'b', targetContainerName: 'init' }]))).toEqual([]);
    expect(messages(podWith([{ name: 'd1', image: 'b' }, { name: 'd2', image: 'b', targetContainerName: 'd1' }]))).toEqual(['spec.ephemeralContainers[1].targetContainerName: Not found: "d1"']);
  });

  it('forbids the fields that make a container part of the workload, and volume subpaths', () => {
    const ec: EphemeralContainer = {
      name: 'd',
      image: 'b',
      ports: [{ containerPort: 80 }],
      resources: { requests: { cpu: '1' } },
      startupProbe: { exec: { command: ['true'] } },
      restartPolicy: 'Always',
      volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'x' }],
    };
    expect(messages(podWith([ec]))).toEqual([
      'spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].restartPolicy: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].startupProbe: Forbidden: cannot be set for an Ephemeral Container',
      'spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set for an Ephemeral Container',
    ]);
  });

  it('names are unique across init, app and ephemeral containers', () => {
    expect(messages(podWith([{ name: 'init', image: 'b' }, { name: 'x', image: 'b' }, { name: 'x', image: 'b' }]))).toEqual([
      'spec.ephemeralContainers[0].name: Duplicate value: "init"',
      'spec.ephemeralContainers[2].name: Duplicate value: "x"',
    ]);
  });

  it('update: additions pass; a change or a removal is forbidden on spec.ephemeralContainers; key order does not count', () => {
    const old = podWith([{ name: 'd1', image: 'busybox:1.36', command: ['sh'] }]);
    const added = podWith([{ command: ['sh'], image: 'busybox:1.36', name: 'd1' }, { name: 'd2', image: 'b' }]);
    expect(validatePodEphemeralContainersUpdate(added, old)).toEqual([]);
    const changed = podWith([{ name: 'd1', image: 'busybox:1.37', command: ['sh'] }]);
    expect(validatePodEphemeralContainersUpdate(changed, old).map(formatFieldError)).toEqual(['spec.ephemeralContainers: Forbidden: existing ephemeral containers "d1" may not be changed\n  changed: image']);
    expect(validatePodEphemeralContainersUpdate(podWith([]), old).map(formatFieldError)).toEqual(['spec.ephemeralContainers: Forbidden: existing ephemeral containers "d1" may not be removed\n']);
  });
});
