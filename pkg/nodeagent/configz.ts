// The kubelet's /configz: the configuration it runs with, as `{"kubeletconfig": {...}}` in
// KubeletConfiguration's (kubelet.config.k8s.io/v1beta1) field names, without kind and
// apiVersion, as the kubelet serves it. Only settings this agent has and honours are told; the
// agent's own flags that the kubelet has no field for are left out.
import type { AgentConfig } from './agent-config.js';
import { goDuration, parseDuration } from '../util/duration.js';

/** A list flag's items (`a<b,c<d` or ['a<b', 'c<d']) as a map, split at the first `sep`. */
function flagMap(value: string[] | string, sep: string): Record<string, string> | undefined {
  const items = (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);
  if (!items.length) return undefined;
  return Object.fromEntries(items.map((s) => [s.slice(0, s.indexOf(sep)), s.slice(s.indexOf(sep) + 1)]));
}

const duration = (text: string) => goDuration(parseDuration(text));

export function kubeletConfigz(cfg: AgentConfig, server: { address: string; port: number; clusterDNS: string[] }): { kubeletconfig: Record<string, unknown> } {
  const e = cfg.eviction;
  const c: Record<string, unknown> = {
    enableServer: true,
    ...(cfg.podManifestPath ? { staticPodPath: cfg.podManifestPath } : {}),
    // (what the kubelet's syncFrequency paces here: ConfigMap, Secret and downward API volumes' refresh)
    syncFrequency: goDuration(cfg.apiVolumeSyncSec * 1000),
    address: server.address,
    port: server.port,
    // Bearer tokens reviewed by the apiserver (TokenReview, SubjectAccessReview), answers cached as the kubelet's.
    authentication: { x509: {}, webhook: { enabled: true, cacheTTL: '2m0s' }, anonymous: { enabled: false } },
    authorization: { mode: 'Webhook', webhook: { cacheAuthorizedTTL: '5m0s', cacheUnauthorizedTTL: '30s' } },
    enableDebuggingHandlers: true,
    ...(cfg.healthzPort !== undefined ? { healthzPort: cfg.healthzPort, healthzBindAddress: cfg.healthzBindAddress } : {}),
    clusterDomain: cfg.clusterDomain,
    ...(server.clusterDNS.length ? { clusterDNS: server.clusterDNS } : {}),
    nodeStatusUpdateFrequency: goDuration(cfg.statusUpdateSec * 1000),
    nodeStatusReportFrequency: goDuration(cfg.statusReportSec * 1000),
    nodeLeaseDurationSeconds: cfg.leaseDurationSec,
    imageMinimumGCAge: duration(e.imageMinimumGCAge),
    imageGCHighThresholdPercent: e.imageGCHighThresholdPercent,
    imageGCLowThresholdPercent: e.imageGCLowThresholdPercent,
    // (pods in QoS tiers under a pods cgroup limited to node allocatable: qos-cgroups.ts)
    cgroupsPerQOS: true,
    // (no cgroupRoot: the kubelet's is the parent of its kubepods, --cgroup-root here the pods cgroup itself)
    cgroupDriver: 'cgroupfs',
    maxPods: cfg.maxPods,
    ...(cfg.podCIDR ? { podCIDR: cfg.podCIDR } : {}),
    resolvConf: '/etc/resolv.conf',
    ...(flagMap(e.evictionHard, '<') ? { evictionHard: flagMap(e.evictionHard, '<') } : {}),
    ...(flagMap(e.evictionSoft, '<') ? { evictionSoft: flagMap(e.evictionSoft, '<') } : {}),
    ...(flagMap(e.evictionSoftGracePeriod, '=') ? { evictionSoftGracePeriod: flagMap(e.evictionSoftGracePeriod, '=') } : {}),
    evictionPressureTransitionPeriod: duration(e.pressureTransitionPeriod),
    ...(e.maxPodGracePeriodSec ? { evictionMaxPodGracePeriod: e.maxPodGracePeriodSec } : {}),
    ...(flagMap(e.evictionMinimumReclaim, '=') ? { evictionMinimumReclaim: flagMap(e.evictionMinimumReclaim, '=') } : {}),
    ...(cfg.systemReserved ? { systemReserved: cfg.systemReserved } : {}),
    ...(cfg.kubeReserved ? { kubeReserved: cfg.kubeReserved } : {}),
    enforceNodeAllocatable: cfg.enforceNodeAllocatable ?? ['pods'],
    ...(cfg.systemReservedCgroup ? { systemReservedCgroup: cfg.systemReservedCgroup } : {}),
    ...(cfg.kubeReservedCgroup ? { kubeReservedCgroup: cfg.kubeReservedCgroup } : {}),
    ...(cfg.allowedUnsafeSysctls?.length ? { allowedUnsafeSysctls: cfg.allowedUnsafeSysctls } : {}),
    registerNode: true,
    ...(cfg.taints.length ? { registerWithTaints: cfg.taints.map((t) => ({ key: t.key, ...(t.value ? { value: t.value } : {}), effect: t.effect })) } : {}),
  };
  return { kubeletconfig: c };
}
