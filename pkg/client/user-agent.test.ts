import { describe, expect, it } from 'vitest';
import { managerFromUserAgent } from '../apiserver/registry/field-manager.js';
import { serverVersion } from '../apiserver/rest/discovery.js';
import { GIT_COMMIT, GIT_VERSION, goPlatform } from '../util/version.js';
import { controllerManagerUserAgent, defaultKubernetesUserAgent, kubeletUserAgent, schedulerUserAgent } from './user-agent.js';

describe('component user agents', () => {
  it('are built as client-go builds them: the version cut at its "-", the commit at 7 characters, Go platform names', () => {
    expect(defaultKubernetesUserAgent('kubelet', 'v1.32.4-rc.1+abc', '5ec2fc8a1f0e', { os: 'linux', arch: 'amd64' })).toBe('kubelet/v1.32.4 (linux/amd64) kubernetes/5ec2fc8');
    expect(defaultKubernetesUserAgent('', '', '', { os: 'linux', arch: 'arm64' })).toBe('unknown/unknown (linux/arm64) kubernetes/unknown');
    expect(goPlatform('linux', 'x64')).toEqual({ os: 'linux', arch: 'amd64' });
    const p = goPlatform();
    expect(kubeletUserAgent()).toBe(`kubelet/v1.32.0 (${p.os}/${p.arch}) kubernetes/tskube`);
    expect(schedulerUserAgent()).toBe(`kube-scheduler/v1.32.0 (${p.os}/${p.arch}) kubernetes/tskube/scheduler`);
    expect(controllerManagerUserAgent()).toBe(`kube-controller-manager/v1.32.0 (${p.os}/${p.arch}) kubernetes/tskube/kube-controller-manager`);
    expect(controllerManagerUserAgent('system:serviceaccount:kube-system:replicaset-controller')).toMatch(/kubernetes\/tskube\/system:serviceaccount:kube-system:replicaset-controller$/);
  });

  it('carry the version the apiserver reports at /version', () => {
    expect([GIT_VERSION, GIT_COMMIT]).toEqual([serverVersion.gitVersion, serverVersion.gitCommit]);
    expect(serverVersion.platform).toBe(`${goPlatform().os}/${goPlatform().arch}`);
  });

  it("give the field managers of 1.32's components", () => {
    expect(managerFromUserAgent(kubeletUserAgent())).toBe('kubelet');
    expect(managerFromUserAgent(schedulerUserAgent())).toBe('kube-scheduler');
    expect(managerFromUserAgent(controllerManagerUserAgent())).toBe('kube-controller-manager');
  });
});
