import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { buildSpec } from '../runtime/oci-spec.js';
import { forbiddenSysctl, normalizeSysctl, podSysctls, sysctlNamespace } from './sysctls.js';

const pod = (sysctls: { name: string; value: string }[], spec: Record<string, unknown> = {}) => ({ spec: { containers: [], securityContext: { sysctls }, ...spec } }) as Pod;

describe('pod sysctls (the kubelet\'s allowlist)', () => {
  it('admits the safe set, and unsafe ones only when allowed by name or prefix', () => {
    expect(forbiddenSysctl(pod([{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }, { name: 'kernel.shm_rmid_forced', value: '1' }]), [])).toBeUndefined();
    expect(forbiddenSysctl(pod([{ name: 'net.core.somaxconn', value: '1' }]), [])).toBe('forbidden sysctl: "net.core.somaxconn" not allowlisted');
    expect(forbiddenSysctl(pod([{ name: 'net.core.somaxconn', value: '1' }]), ['net.core.*'])).toBeUndefined();
    expect(forbiddenSysctl(pod([{ name: 'kernel.msgmax', value: '1' }]), ['kernel.msgmax'])).toBeUndefined();
    expect(forbiddenSysctl(pod([{ name: 'vm.swappiness', value: '1' }]), ['net.*'])).toBe('forbidden sysctl: "vm.swappiness" not allowlisted');
  });

  it('refuses a namespace\'s sysctl when the pod shares the node\'s namespace', () => {
    expect(forbiddenSysctl(pod([{ name: 'net.ipv4.tcp_syncookies', value: '1' }], { hostNetwork: true }), [])).toBe('forbidden sysctl: "net.ipv4.tcp_syncookies" not allowed with host Net enabled');
    expect(forbiddenSysctl(pod([{ name: 'kernel.shm_rmid_forced', value: '1' }], { hostIPC: true }), [])).toBe('forbidden sysctl: "kernel.shm_rmid_forced" not allowed with host IPC enabled');
    expect(forbiddenSysctl(pod([{ name: 'kernel.shm_rmid_forced', value: '1' }], { hostNetwork: true }), [])).toBeUndefined();
  });

  it('reads slash-separated names as dotted ones, and knows each sysctl\'s namespace', () => {
    expect(normalizeSysctl('net/ipv4/ip_local_port_range')).toBe('net.ipv4.ip_local_port_range');
    expect(normalizeSysctl('net/ipv4/conf/eno2.100/rp_filter')).toBe('net.ipv4.conf.eno2/100.rp_filter');
    expect(forbiddenSysctl(pod([{ name: 'net/ipv4/ip_unprivileged_port_start', value: '0' }]), [])).toBeUndefined();
    expect(podSysctls(pod([{ name: 'net/ipv4/ip_unprivileged_port_start', value: '0' }]))).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(['net.core.somaxconn', 'kernel.sem', 'kernel.shmmax', 'kernel.msgmnb', 'fs.mqueue.msg_max', 'vm.swappiness', 'kernel.pid_max', 'kernel.shm_next_id'].map(sysctlNamespace)).toEqual(['Net', 'IPC', 'IPC', 'IPC', 'IPC', undefined, undefined, undefined]);
    expect(forbiddenSysctl(pod([{ name: 'net.ipv4.tcp_rmem', value: '4096 87380 6291456' }]), [])).toBeUndefined();
    expect(forbiddenSysctl(pod([{ name: 'net.core.somaxconn', value: '1' }]), ['net/core/somaxconn'])).toBeUndefined();
  });

  it('go into every container\'s OCI spec as linux.sysctl', () => {
    const spec = buildSpec({ image: {} as never, container: { name: 'c', image: 'x', command: ['true'] } as never, rootfs: '/r', user: { uid: 0, gid: 0 }, namespaces: { network: '/n', ipc: '/i', uts: '' }, cgroupsPath: 'x', etcFiles: {}, volumes: {}, sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' } } as never);
    expect(spec.linux.sysctl).toEqual({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(buildSpec({ image: {} as never, container: { name: 'c', image: 'x', command: ['true'] } as never, rootfs: '/r', user: { uid: 0, gid: 0 }, namespaces: { network: '/n', ipc: '/i', uts: '' }, cgroupsPath: 'x', etcFiles: {}, volumes: {} } as never).linux.sysctl).toBeUndefined();
  });
});
