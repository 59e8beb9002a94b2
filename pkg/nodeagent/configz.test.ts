import { describe, expect, it } from 'vitest';
import { defaultAgentConfig } from './agent-config.js';
import { kubeletConfigz } from './configz.js';

describe('kubeletConfigz', () => {
  it("tells the agent's settings in KubeletConfiguration's names, durations as Go prints them", () => {
    const z = kubeletConfigz(defaultAgentConfig('n1'), { address: '0.0.0.0', port: 10250, clusterDNS: ['10.244.0.1'] }).kubeletconfig;
    expect(z).toMatchObject({
      enableServer: true,
      syncFrequency: '1m0s',
      port: 10250,
      clusterDomain: 'cluster.local',
      clusterDNS: ['10.244.0.1'],
      nodeStatusUpdateFrequency: '10s',
      nodeStatusReportFrequency: '5m0s',
      nodeLeaseDurationSeconds: 40,
      imageMinimumGCAge: '2m0s',
      evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '10%', 'imagefs.available': '15%', 'nodefs.inodesFree': '5%' },
      evictionPressureTransitionPeriod: '5m0s',
      maxPods: 110,
      authorization: { mode: 'Webhook' },
      cgroupsPerQOS: true,
      enforceNodeAllocatable: ['pods'],
    });
    // (nothing that is not set: no static pods, soft thresholds, taints or unsafe sysctls)
    for (const k of ['cgroupRoot', 'staticPodPath', 'evictionSoft', 'evictionSoftGracePeriod', 'registerWithTaints', 'allowedUnsafeSysctls', 'podCIDR', 'kind', 'apiVersion']) expect(z).not.toHaveProperty(k);
  });

  it('has the flags given', () => {
    const cfg = defaultAgentConfig('n1');
    cfg.podManifestPath = '/etc/tskube/manifests';
    cfg.taints = [{ key: 'dedicated', value: 'lab', effect: 'NoSchedule' }];
    cfg.eviction = { ...cfg.eviction, evictionHard: ['memory.available<1Gi'], evictionSoft: 'memory.available<2Gi', evictionSoftGracePeriod: ['memory.available=1m30s'], pressureTransitionPeriod: '30s', maxPodGracePeriodSec: 60 };
    cfg.allowedUnsafeSysctls = ['net.core.*'];
    const z = kubeletConfigz(cfg, { address: '10.0.0.2', port: 10250, clusterDNS: [] }).kubeletconfig;
    expect(z).toMatchObject({
      staticPodPath: '/etc/tskube/manifests',
      address: '10.0.0.2',
      registerWithTaints: [{ key: 'dedicated', value: 'lab', effect: 'NoSchedule' }],
      evictionHard: { 'memory.available': '1Gi' },
      evictionSoft: { 'memory.available': '2Gi' },
      evictionSoftGracePeriod: { 'memory.available': '1m30s' },
      evictionPressureTransitionPeriod: '30s',
      evictionMaxPodGracePeriod: 60,
      allowedUnsafeSysctls: ['net.core.*'],
    });
    expect(z).not.toHaveProperty('clusterDNS');
  });
});
