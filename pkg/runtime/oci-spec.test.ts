import { describe, expect, it } from 'vitest';
import type { ImageConfig } from './media-types.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, buildSpec, capabilities, capabilitiesInBoundingSet, mergeEnv, processArgs, processGroups, resolveUser, type SpecInput } from './oci-spec.js';

const image: ImageConfig = {
  rootfs: { type: 'layers', diff_ids: [] },
  config: { Entrypoint: ['/entry'], Cmd: ['default'], Env: ['PATH=/bin', 'A=image', 'B=image'], WorkingDir: '/work', StopSignal: 'SIGQUIT' },
};

function input(over: Partial<SpecInput['container']> = {}): SpecInput {
  return {
    image,
    container: { name: 'c', image: 'busybox', ...over },
    rootfs: '/r',
    user: { uid: 0, gid: 0 },
    hostname: 'pod',
    namespaces: { network: '/run/netns/n', ipc: '/ns/ipc', uts: '/ns/uts' },
    cgroupsPath: '/tskube/podu/c1',
    etcFiles: { hosts: '/s/hosts', hostname: '/s/hostname', resolvConf: '/s/resolv.conf' },
    volumes: { data: '/s/volumes/data' },
  };
}

describe('process merge (Kubernetes rules)', () => {
  it('uses ENTRYPOINT + CMD by default', () => expect(processArgs(image, {})).toEqual(['/entry', 'default']));
  it('args replace CMD only', () => expect(processArgs(image, { args: ['x'] })).toEqual(['/entry', 'x']));
  it('command replaces ENTRYPOINT and drops CMD', () => expect(processArgs(image, { command: ['sh'] })).toEqual(['sh']));
  it('command + args', () => expect(processArgs(image, { command: ['sh'], args: ['-c', 'x'] })).toEqual(['sh', '-c', 'x']));
  it('fails without any command, naming the container', () => expect(() => processArgs({ rootfs: image.rootfs }, { name: 'app' })).toThrow('container "app": no command specified and the image has no ENTRYPOINT or CMD'));
  it('merges env with container values winning', () => {
    expect(mergeEnv(image, [{ key: 'B', value: 'pod' }, { key: 'C', value: 'pod' }], 'h')).toEqual(['PATH=/bin', 'HOSTNAME=h', 'A=image', 'B=pod', 'C=pod']);
  });
});

describe('capabilities', () => {
  it("is Docker's default set", () => expect(capabilities({ name: 'c', image: 'i' })).toEqual(DEFAULT_CAPABILITIES));
  it('adds and drops, with or without the CAP_ prefix', () => {
    const caps = capabilities({ name: 'c', image: 'i', securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['CAP_CHOWN', 'kill'] } } });
    expect(caps).toContain('CAP_NET_ADMIN');
    expect(caps).not.toContain('CAP_CHOWN');
    expect(caps).not.toContain('CAP_KILL');
  });
  it('drop ALL then add', () => {
    expect(capabilities({ name: 'c', image: 'i', securityContext: { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } })).toEqual(['CAP_NET_BIND_SERVICE']);
  });
  it('privileged gets every capability', () => expect(capabilities({ name: 'c', image: 'i', securityContext: { privileged: true } })).toContain('CAP_SYS_ADMIN'));
  it('privileged and add ALL get only what the runtime itself may pass on (its bounding set)', () => {
    // a VM whose root lacks CAP_SYS_RESOURCE (bit 24), as this kind of machine's does
    const held = capabilitiesInBoundingSet('Name:\tnode\nCapBnd:\t000001fffeffffff\n');
    expect(held).toHaveLength(ALL_CAPABILITIES.length - 1);
    expect(held).not.toContain('CAP_SYS_RESOURCE');
    expect(held).toContain('CAP_CHECKPOINT_RESTORE');
    expect(capabilities({ name: 'c', image: 'i', securityContext: { privileged: true } }, () => held)).toEqual(held);
    expect(capabilities({ name: 'c', image: 'i', securityContext: { capabilities: { add: ['ALL'] } } }, () => held)).toEqual(held);
    expect(capabilitiesInBoundingSet('CapBnd:\t00000000a80425fb\n')).toEqual(DEFAULT_CAPABILITIES.slice().sort((a, b) => ALL_CAPABILITIES.indexOf(a) - ALL_CAPABILITIES.indexOf(b)));
  });
});

describe('buildSpec', () => {
  it('joins the pod namespaces and gets its own pid and mount namespaces', () => {
    const s = buildSpec(input());
    expect(s.linux.namespaces).toEqual([
      { type: 'pid' }, { type: 'mount' },
      { type: 'network', path: '/run/netns/n' }, { type: 'ipc', path: '/ns/ipc' }, { type: 'uts', path: '/ns/uts' },
    ]);
    expect(s.hostname).toBe('pod');
    expect(s.linux.cgroupsPath).toBe('/tskube/podu/c1');
  });
  it('masks paths, keeps sysfs read-only, no_new_privs only when escalation is disallowed', () => {
    const s = buildSpec(input());
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.mounts.find((m) => m.destination === '/sys')!.options).toContain('ro');
    expect(s.process.noNewPrivileges).toBe(false);
    expect(buildSpec(input({ securityContext: { allowPrivilegeEscalation: false } })).process.noNewPrivileges).toBe(true);
  });
  it('privileged: no masks, rw sysfs, all devices', () => {
    const s = buildSpec(input({ securityContext: { privileged: true } }));
    expect(s.linux.maskedPaths).toBeUndefined();
    expect(s.mounts.find((m) => m.destination === '/sys')!.options).toContain('rw');
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
  });
  it('maps resources to the cgroup limits', () => {
    const s = buildSpec(input({ resources: { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimitInBytes: 64 << 20, pidsLimit: 50 } }));
    expect(s.linux.resources).toMatchObject({ cpu: { shares: 512, quota: 50_000, period: 100_000 }, memory: { limit: 64 << 20, swap: 64 << 20 }, pids: { limit: 50 } });
  });
  it("gives the process the container's oom_score_adj, or leaves runc's", () => {
    expect(buildSpec(input({ resources: { oomScoreAdj: 1000 } })).process.oomScoreAdj).toBe(1000);
    expect(buildSpec(input({ resources: { oomScoreAdj: -997 } })).process.oomScoreAdj).toBe(-997);
    expect(buildSpec(input()).process).not.toHaveProperty('oomScoreAdj');
    // (a runtime that cannot lower its children's score gives its own instead)
    expect(buildSpec({ ...input({ resources: { oomScoreAdj: -997 } }), minOomScoreAdj: 0 }).process.oomScoreAdj).toBe(0);
    expect(buildSpec({ ...input({ resources: { oomScoreAdj: 999 } }), minOomScoreAdj: 0 }).process.oomScoreAdj).toBe(999);
  });
  it('read-only root, user, working dir', () => {
    const s = buildSpec({ ...input({ securityContext: { readOnlyRootFilesystem: true } }), user: { uid: 1000, gid: 1000 } });
    expect(s.root).toEqual({ path: '/r', readonly: true });
    expect(s.process.user).toEqual({ uid: 1000, gid: 1000 });
    expect(s.process.cwd).toBe('/work');
  });
  it('mounts pod etc files, emptyDirs (with subPath) and hostPaths', () => {
    const s = buildSpec(input({ volumeMounts: [{ name: 'data', containerPath: '/data' }, { name: 'data', containerPath: '/sub', subPath: 'x', readonly: true }], mounts: [{ hostPath: '/host', containerPath: '/h', readonly: true }] }));
    const by = (d: string) => s.mounts.find((m) => m.destination === d)!;
    expect(by('/etc/hosts').source).toBe('/s/hosts');
    expect(by('/etc/resolv.conf').source).toBe('/s/resolv.conf');
    expect(by('/data')).toMatchObject({ source: '/s/volumes/data', options: ['rbind', 'rw'] });
    expect(by('/sub')).toMatchObject({ source: '/s/volumes/data/x', options: ['rbind', 'ro'] });
    expect(by('/h')).toMatchObject({ source: '/host', options: ['rbind', 'ro', 'rprivate'] });
    expect(s.linux.rootfsPropagation).toBeUndefined();
  });
  it('gives host mounts their propagation, and a shared one a shared root', () => {
    const s = buildSpec(input({ mounts: [{ hostPath: '/a', containerPath: '/a', propagation: 'rslave' }, { hostPath: '/b', containerPath: '/b', propagation: 'rshared' }] }));
    expect(s.mounts.find((m) => m.destination === '/a')!.options).toEqual(['rbind', 'rw', 'rslave']);
    expect(s.mounts.find((m) => m.destination === '/b')!.options).toEqual(['rbind', 'rw', 'rshared']);
    expect(s.linux.rootfsPropagation).toBe('rshared');
  });
  it('rejects unknown volumes and escaping subPaths', () => {
    expect(() => buildSpec(input({ volumeMounts: [{ name: 'nope', containerPath: '/x' }] }))).toThrow(/not a volume/);
    expect(() => buildSpec(input({ volumeMounts: [{ name: 'data', containerPath: '/x', subPath: '../etc' }] }))).toThrow(/subPath/);
  });
});

describe('processGroups', () => {
  it('has the primary group among the supplementary ones, merged in ascending order as containerd does', () => {
    expect(processGroups(0, undefined)).toEqual([0]);
    expect(processGroups(3000, [2000, 4000, 3000])).toEqual([2000, 3000, 4000]);
  });
  it("adds the groups the image's /etc/group lists the user in, by name or by uid through /etc/passwd", () => {
    const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
    const group = 'root:x:0:\nwheel:x:10:root,app\naudio:x:29:app\napp:x:1000:app\nvideo:x:44:other,app\nstaff:x:50: app\nbroken\n';
    expect(processGroups(0, undefined, { user: '0', passwd, group })).toEqual([0, 10]);
    // (its own group, where it is listed too, is not supplementary; a name with a space before it is another name, as Go's user package parses)
    expect(processGroups(1000, [5], { user: 'app', passwd, group })).toEqual([5, 10, 29, 44, 1000]);
    expect(processGroups(1000, undefined, { user: '1000', passwd, group })).toEqual([10, 29, 44, 1000]);
    // A uid /etc/passwd does not know has no memberships.
    expect(processGroups(7, undefined, { user: '4242', passwd, group })).toEqual([7]);
  });
});

describe('resolveUser', () => {
  const passwd = 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\napp:x:1000:1001::/:/bin/sh\n';
  const group = 'root:x:0:\nnobody:x:65534:\nstaff:x:50:\n';
  it('resolves names and numbers', () => {
    expect(resolveUser(undefined, passwd, group)).toEqual({ uid: 0, gid: 0 });
    expect(resolveUser('nobody', passwd, group)).toEqual({ uid: 65534, gid: 65534 });
    expect(resolveUser('app:staff', passwd, group)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveUser('1000', passwd, group)).toEqual({ uid: 1000, gid: 1001 });
    expect(resolveUser('4242:7', passwd, group)).toEqual({ uid: 4242, gid: 7 });
  });
  it('fails on unknown names', () => expect(() => resolveUser('ghost', passwd, group)).toThrow(/not found/));
});
