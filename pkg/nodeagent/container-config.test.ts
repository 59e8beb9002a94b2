import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { containerConfig } from './container-config.js';

const pod = (podSc: Record<string, unknown> | undefined, containerSc: Record<string, unknown> | undefined): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { securityContext: podSc, containers: [{ name: 'c', image: 'busybox', securityContext: containerSc }] },
});
const seccompOf = (p: Pod) => containerConfig(p, p.spec!.containers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: {} }).securityContext?.seccomp;

describe('containerConfig: seccomp', () => {
  it('is Unconfined (no filter) unless asked, as the kubelet does by default', () => {
    expect(seccompOf(pod(undefined, undefined))).toBeUndefined();
    expect(seccompOf(pod({ seccompProfile: { type: 'Unconfined' } }, undefined))).toBeUndefined();
  });

  it("takes the container's profile over the pod's", () => {
    expect(seccompOf(pod({ seccompProfile: { type: 'RuntimeDefault' } }, undefined))).toEqual({ type: 'RuntimeDefault' });
    expect(seccompOf(pod({ seccompProfile: { type: 'RuntimeDefault' } }, { seccompProfile: { type: 'Unconfined' } }))).toBeUndefined();
    expect(seccompOf(pod(undefined, { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/audit.json' } }))).toEqual({ type: 'Localhost', localhostProfile: 'profiles/audit.json' });
  });
});
