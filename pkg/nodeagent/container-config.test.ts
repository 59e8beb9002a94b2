import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { containerConfig, containerEnv, parseResolvConf, runAsNonRootError, sandboxConfig } from './container-config.js';
import { hostsFile, nodenameForKernel, podHostname, resolvConf } from '../runtime/sandbox.js';
import { ConfigSources } from './config-sources.js';

const pod = (podSc: Record<string, unknown> | undefined, containerSc: Record<string, unknown> | undefined): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { securityContext: podSc, containers: [{ name: 'c', image: 'busybox', securityContext: containerSc }] },
});
const seccompOf = (p: Pod) => containerConfig(p, p.spec!.containers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map() } }).securityContext?.seccomp;

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

describe('runAsNonRoot (the kubelet\'s verifyRunAsNonRoot)', () => {
  const check = (podSc: Record<string, unknown> | undefined, containerSc: Record<string, unknown> | undefined, imageUser?: string) => {
    const p = pod(podSc, containerSc);
    return runAsNonRootError(p, p.spec!.containers![0]!, imageUser);
  };
  it('lets anything run without it', () => {
    expect(check(undefined, undefined)).toBeUndefined();
    expect(check({ runAsNonRoot: false }, { runAsUser: 0 })).toBeUndefined();
  });
  it('refuses uid 0 from runAsUser or from the image, and an image user it cannot verify', () => {
    expect(check({ runAsNonRoot: true }, undefined)).toBe('container has runAsNonRoot and image will run as root (pod: "p_default(u)", container: c)');
    expect(check({ runAsNonRoot: true }, undefined, '0:0')).toMatch(/image will run as root/);
    expect(check(undefined, { runAsNonRoot: true, runAsUser: 0 }, '1000')).toBe('container\'s runAsUser breaks non-root policy (pod: "p_default(u)", container: c)');
    expect(check({ runAsNonRoot: true }, undefined, 'nobody')).toBe('container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root (pod: "p_default(u)", container: c)');
  });
  it('lets a non-zero uid run, the container\'s settings over the pod\'s', () => {
    expect(check({ runAsNonRoot: true, runAsUser: 1000 }, undefined)).toBeUndefined();
    expect(check({ runAsNonRoot: true }, undefined, '65534:65534')).toBeUndefined();
    expect(check({ runAsNonRoot: true, runAsUser: 1000 }, { runAsUser: 0 })).toMatch(/breaks non-root policy/);
    expect(check({ runAsNonRoot: true }, { runAsNonRoot: false }, '')).toBeUndefined();
  });
});

describe('fsGroup', () => {
  it('joins the supplementary groups of every container', () => {
    const p = pod({ fsGroup: 2000, supplementalGroups: [5] }, undefined);
    expect(containerConfig(p, p.spec!.containers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map() } }).securityContext?.supplementalGroups).toEqual([5, 2000]);
  });
});

describe('env from ConfigMaps and Secrets', () => {
  const sources = new ConfigSources();
  sources.set('configmaps', 'cfg', new Map([['LEVEL', Buffer.from('debug')], ['bad-name=', Buffer.from('x')], ['MODE', Buffer.from('cm')]]));
  sources.set('secrets', 'sec', new Map([['password', Buffer.from('hunter2')], ['MODE', Buffer.from('secret')]]));
  sources.set('configmaps', 'absent', undefined);
  const envOf = (c: Record<string, unknown>) => {
    const p: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns1', uid: 'u' }, spec: { containers: [{ name: 'c', image: 'busybox', ...c }] } };
    return Object.fromEntries(containerEnv(p, p.spec!.containers![0]!, 'n', '10.0.0.1', '10.244.0.2', sources));
  };
  it('envFrom in order (later wins, prefix, invalid names skipped), then env over it', () => {
    expect(envOf({ envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' }, prefix: 'S_' }] })).toEqual({ LEVEL: 'debug', MODE: 'cm', S_password: 'hunter2', S_MODE: 'secret' });
    expect(envOf({ envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'sec' } }], env: [{ name: 'LEVEL', value: 'info' }, { name: 'X', value: '$(MODE)' }] })).toMatchObject({ LEVEL: 'info', MODE: 'secret', X: 'secret' });
  });
  it('fieldRef to the pod\'s and the node\'s IPs, one or all of them', () => {
    const ref = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });
    expect(envOf({ env: [ref('A', 'status.podIP'), ref('B', 'status.podIPs'), ref('C', 'status.hostIP'), ref('D', 'status.hostIPs')] })).toEqual({ A: '10.244.0.2', B: '10.244.0.2', C: '10.0.0.1', D: '10.0.0.1' });
  });
  it('configMapKeyRef and secretKeyRef, with the kubelet\'s errors and optional', () => {
    expect(envOf({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } }, { name: 'L', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'LEVEL' } } }] })).toEqual({ P: 'hunter2', L: 'debug' });
    expect(() => envOf({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k' } } }] })).toThrow('configmap "absent" not found');
    expect(() => envOf({ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'sec', key: 'user' } } }] })).toThrow("couldn't find key user in Secret ns1/sec");
    expect(() => envOf({ envFrom: [{ configMapRef: { name: 'absent' } }] })).toThrow('configmap "absent" not found');
    expect(envOf({ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'absent', key: 'k', optional: true } } }, { name: 'B', valueFrom: { secretKeyRef: { name: 'sec', key: 'user', optional: true } } }], envFrom: [{ configMapRef: { name: 'absent', optional: true } }] })).toEqual({});
  });
});

describe('sandboxConfig: hostname and subdomain (StatefulSet pods)', () => {
  const base = pod(undefined, undefined);
  it('names the pod by spec.hostname and, with a subdomain, gives /etc/hosts its FQDN first, as the kubelet does', () => {
    const p: Pod = { ...base, metadata: { ...base.metadata, name: 'web-0', namespace: 'shop' }, spec: { ...base.spec, hostname: 'web-0', subdomain: 'web' } };
    const c = sandboxConfig(p, { attempt: 0, dnsServers: [], clusterDomain: 'cluster.local' });
    expect(c).toMatchObject({ hostname: 'web-0', hostDomain: 'web.shop.svc.cluster.local' });
    expect(hostsFile(c, 'web-0', '10.244.0.7')).toContain('10.244.0.7\tweb-0.web.shop.svc.cluster.local\tweb-0\n');
  });
  it('without a subdomain has no domain and /etc/hosts only the hostname', () => {
    const c = sandboxConfig({ ...base, spec: { ...base.spec, hostname: 'h' } }, { attempt: 0, dnsServers: [] });
    expect(c.hostname).toBe('h');
    expect(c.hostDomain).toBeUndefined();
    expect(hostsFile(c, 'h', '10.244.0.8')).toContain('10.244.0.8\th\n');
  });
  it('with setHostnameAsFQDN gives the kernel the FQDN (when there is a domain), and refuses one over 64 characters', () => {
    const p: Pod = { ...base, metadata: { ...base.metadata, name: 'web-0', namespace: 'shop' }, spec: { ...base.spec, hostname: 'web-0', subdomain: 'web', setHostnameAsFQDN: true } };
    const c = sandboxConfig(p, { attempt: 0, dnsServers: [], clusterDomain: 'cluster.local' });
    expect(nodenameForKernel('web-0', c)).toBe('web-0.web.shop.svc.cluster.local');
    // /etc/hosts is unchanged: the FQDN, then the short name.
    expect(hostsFile(c, 'web-0', '10.244.0.7')).toContain('10.244.0.7\tweb-0.web.shop.svc.cluster.local\tweb-0\n');
    expect(nodenameForKernel('web-0', sandboxConfig({ ...p, spec: { ...p.spec, subdomain: undefined } }, { attempt: 0, dnsServers: [] }))).toBe('web-0');
    expect(nodenameForKernel('web-0', sandboxConfig({ ...p, spec: { ...p.spec, setHostnameAsFQDN: false } }, { attempt: 0, dnsServers: [] }))).toBe('web-0');
    const long = sandboxConfig({ ...p, spec: { ...p.spec, subdomain: 'a-rather-long-subdomain-for-this-stateful-set' } }, { attempt: 0, dnsServers: [] });
    expect(() => nodenameForKernel('web-0', long)).toThrow('failed to construct FQDN from pod hostname and cluster domain, FQDN web-0.a-rather-long-subdomain-for-this-stateful-set.shop.svc.cluster.local is too long (64 characters is the max, 74 characters requested)');
  });
});

describe('sandboxConfig: resolv.conf as the kubelet\'s GetPodDNS', () => {
  const base = pod(undefined, undefined);
  const host = parseResolvConf('# host\nnameserver 10.255.255.53\nsearch lab.example.\noptions timeout:2\n');
  const dns = (spec: Record<string, unknown>) => {
    const p: Pod = { ...base, metadata: { ...base.metadata, namespace: 'shop' }, spec: { ...base.spec, ...spec } };
    return resolvConf(sandboxConfig(p, { attempt: 0, dnsServers: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolv: host }), 'HOST FILE\n');
  };
  it('ClusterFirst: the cluster\'s server, the namespace\'s search list then the node\'s, ndots:5; dnsConfig appended, options set by name', () => {
    expect(dns({})).toBe('search shop.svc.cluster.local svc.cluster.local cluster.local lab.example\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(dns({ dnsConfig: { nameservers: ['1.2.3.4'], searches: ['my.suffix', 'svc.cluster.local'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } })).toBe(
      'search shop.svc.cluster.local svc.cluster.local cluster.local lab.example my.suffix\nnameserver 10.96.0.10\nnameserver 1.2.3.4\noptions ndots:2 edns0\n',
    );
  });
  it('Default: the node\'s settings, with dnsConfig after them; None: dnsConfig alone; at most 3 servers', () => {
    // (the kubelet's getHostDNSConfig, written afresh by the runtime: not the node's file with its comments)
    expect(dns({ dnsPolicy: 'Default' })).toBe('search lab.example\nnameserver 10.255.255.53\noptions timeout:2\n');
    expect(dns({ dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['x.y'] } })).toBe('search lab.example x.y\nnameserver 10.255.255.53\nnameserver 1.2.3.4\noptions timeout:2\n');
    expect(dns({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4'] } })).toBe('nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n');
    // (on the node's network ClusterFirst means Default)
    expect(dns({ hostNetwork: true })).toBe('search lab.example\nnameserver 10.255.255.53\noptions timeout:2\n');
  });
  it('fits the limits as formDNSConfigFitsLimits, with a DNSConfigForming warning for what it left out', () => {
    const warned: string[] = [];
    const fit = (spec: Record<string, unknown>) => {
      warned.length = 0;
      const p: Pod = { ...base, metadata: { ...base.metadata, namespace: 'shop' }, spec: { ...base.spec, ...spec } };
      return sandboxConfig(p, { attempt: 0, dnsServers: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolv: host, dnsWarn: (r, m) => warned.push(`${r}: ${m}`) }).dnsConfig!;
    };
    expect(fit({}).searches).toHaveLength(4);
    expect(warned).toEqual([]);
    expect(fit({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2'] } }).servers).toEqual(['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    expect(warned).toEqual([]);
    expect(fit({ dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2', '3.3.3.3'] } }).servers).toEqual(['10.96.0.10', '1.1.1.1', '2.2.2.2']);
    expect(warned).toEqual(['DNSConfigForming: Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 2.2.2.2']);
    // (a path over 253 characters is dropped, wherever it is)
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`;
    expect(fit({ dnsConfig: { searches: [long, 'x.y'] } }).searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lab.example', 'x.y']);
    expect(warned).toEqual(['DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: shop.svc.cluster.local svc.cluster.local cluster.local lab.example x.y']);
    // (32 paths at most; then the line cut from its end to 2048 characters)
    const many = Array.from({ length: 40 }, (_, i) => `s${i}.example`);
    expect(fit({ dnsConfig: { searches: many } }).searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lab.example', ...many.slice(0, 28)]);
    expect(warned).toHaveLength(1);
    const wide = Array.from({ length: 12 }, (_, i) => `${String(i).padStart(2, '0')}${'w'.repeat(198)}`);
    const searches = fit({ dnsConfig: { searches: wide } }).searches!;
    expect(searches.join(' ').length).toBeLessThanOrEqual(2048);
    expect(searches).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lab.example', ...wide.slice(0, 9)]);
    expect(warned).toEqual([`DNSConfigForming: Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(' ')}`]);
  });
  it('ClusterFirst without a cluster DNS falls back to Default with a MissingClusterDNS warning', () => {
    const warned: string[] = [];
    const p: Pod = { ...base, metadata: { ...base.metadata, name: 'web', namespace: 'shop', uid: 'u-1' }, spec: { ...base.spec } };
    expect(sandboxConfig(p, { attempt: 0, dnsServers: [], hostResolv: host, dnsWarn: (r, m) => warned.push(`${r}: ${m}`) }).dnsConfig).toEqual({ servers: ['10.255.255.53'], searches: ['lab.example'], options: ['timeout:2'] });
    expect(warned).toEqual(['MissingClusterDNS: pod: "web_shop(u-1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.']);
  });
  it('/etc/hosts has one HostAliases header; a long pod name is cut to 63 characters without a trailing - or .', () => {
    const c = sandboxConfig({ ...base, spec: { ...base.spec, hostAliases: [{ ip: '1.2.3.4', hostnames: ['a', 'b'] }, { ip: '5.6.7.8', hostnames: ['c'] }] } }, { attempt: 0, dnsServers: [] });
    expect(hostsFile(c, 'h', '10.244.0.9')).toMatch(/10\.244\.0\.9\th\n\n# Entries added by HostAliases\.\n1\.2\.3\.4\ta\tb\n5\.6\.7\.8\tc\n$/);
    expect(podHostname(`${'a'.repeat(62)}-bcd`)).toBe('a'.repeat(62));
    expect(podHostname('short')).toBe('short');
  });
});

describe('sandboxConfig: memory-backed emptyDir size (calculateEmptyDirMemorySize)', () => {
  const base = pod(undefined, undefined);
  const sizes = (limits: Record<string, string> | undefined, volumes: object[], nodeAllocatableMemory?: number) => {
    const p: Pod = { ...base, spec: { ...base.spec, containers: [{ name: 'c', image: 'x', ...(limits ? { resources: { limits, requests: limits } } : {}) }], volumes } as Pod['spec'] };
    return sandboxConfig(p, { attempt: 0, dnsServers: [], nodeAllocatableMemory }).emptyDirs!.map((v) => v.sizeLimit);
  };
  it('is the smallest of node allocatable, the pod memory limit and the sizeLimit; a disk emptyDir keeps its sizeLimit', () => {
    const mem = { name: 'm', emptyDir: { medium: 'Memory' } };
    const mem1g = { name: 'g', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } };
    const mem1m = { name: 's', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } };
    const disk = { name: 'd', emptyDir: { sizeLimit: '1Gi' } };
    expect(sizes({ cpu: '100m', memory: '64Mi' }, [mem, mem1g, mem1m, disk], 8 * 2 ** 30)).toEqual([64 * 2 ** 20, 64 * 2 ** 20, 2 ** 20, 2 ** 30]);
    // no pod limit: the node's allocatable memory
    expect(sizes(undefined, [mem, mem1g], 8 * 2 ** 30)).toEqual([8 * 2 ** 30, 2 ** 30]);
  });
});

describe('containerConfig: mount propagation', () => {
  const base = pod(undefined, undefined);
  const withMount = (mountPropagation: string | undefined, privileged = false): Pod => ({
    ...base,
    spec: { ...base.spec, volumes: [{ name: 'host', hostPath: { path: '/mnt' } }], containers: [{ name: 'c', image: 'x', securityContext: { privileged }, volumeMounts: [{ name: 'host', mountPath: '/host', ...(mountPropagation ? { mountPropagation } : {}) }] }] },
  });
  const mountOf = (p: Pod) => containerConfig(p, p.spec!.containers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map([['host', '/mnt']]) } }).mounts![0]!;
  it('is the kubelet\'s: HostToContainer rslave, Bidirectional rshared (privileged only), None and unset private', () => {
    expect(mountOf(withMount('HostToContainer')).propagation).toBe('rslave');
    expect(mountOf(withMount('Bidirectional', true)).propagation).toBe('rshared');
    expect(mountOf(withMount('None')).propagation).toBeUndefined();
    expect(mountOf(withMount(undefined)).propagation).toBeUndefined();
    expect(() => mountOf(withMount('Bidirectional'))).toThrow('privileged mount propagation is allowed only for privileged containers');
  });
});

describe('recursiveReadOnly (the kubelet\'s resolveRecursiveReadOnly, with a runtime that cannot make a mount recursively read-only)', () => {
  const withRro = (recursiveReadOnly: string): Pod => ({
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: { volumes: [{ name: 'host', hostPath: { path: '/mnt' } }], containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'host', mountPath: '/host', readOnly: true, recursiveReadOnly }] }] },
  });
  const config = (p: Pod) => containerConfig(p, p.spec!.containers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map([['host', '/mnt']]) } });
  it('mounts IfPossible and Disabled read-only; refuses Enabled (CreateContainerConfigError) in 1.32\'s words', () => {
    for (const mode of ['IfPossible', 'Disabled']) expect(config(withRro(mode)).mounts![0]!.readonly).toBe(true);
    expect(() => config(withRro('Enabled'))).toThrow(/^failed to resolve recursive read-only mode: volume "host" requested recursive read-only mode, but it is not supported by the runtime$/);
  });
});

describe('subPathExpr (the kubelet\'s ExpandContainerVolumeMounts)', () => {
  it('expands the container\'s variables; refuses one without a value, an absolute path and ..', async () => {
    const { subPathOf } = await import('./container-config.js');
    const vars = new Map([['POD_NAME', 'web-0'], ['EMPTY', '']]);
    expect(subPathOf({ name: 'v', mountPath: '/m', subPathExpr: 'logs/$(POD_NAME)' }, vars)).toBe('logs/web-0');
    expect(subPathOf({ name: 'v', mountPath: '/m', subPath: 'plain' }, vars)).toBe('plain');
    expect(() => subPathOf({ name: 'v', mountPath: '/m', subPathExpr: '$(NOPE)/$(EMPTY)' }, vars)).toThrow('missing value for EMPTY, NOPE');
    expect(() => subPathOf({ name: 'v', mountPath: '/m', subPathExpr: '/$(POD_NAME)' }, vars)).toThrow('error SubPath `/web-0` must not be an absolute path');
    expect(() => subPathOf({ name: 'v', mountPath: '/m', subPathExpr: '../$(POD_NAME)' }, vars)).toThrow("unable to provision SubPath `../web-0`: must not contain '..'");
  });
});

describe('oom_score_adj (GetContainerOOMScoreAdjust)', () => {
  const gi = 1024 ** 3;
  const ctr = (name: string, requests?: Record<string, string>, limits?: Record<string, string>, restartPolicy?: string) => ({ name, image: 'busybox', ...(restartPolicy ? { restartPolicy } : {}), resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
  const podOf = (containers: ReturnType<typeof ctr>[], initContainers: ReturnType<typeof ctr>[] = [], extra: Record<string, unknown> = {}): Pod => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { containers, initContainers, ...extra } });
  const adj = (p: Pod, i = 0) => containerConfig(p, p.spec!.containers![i]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map() }, memoryCapacity: 10 * gi }).resources?.oomScoreAdj;

  it('is -997 for Guaranteed, 1000 for BestEffort', () => {
    expect(adj(podOf([ctr('c', { cpu: '100m', memory: '32Mi' }, { cpu: '100m', memory: '32Mi' })]))).toBe(-997);
    expect(adj(podOf([ctr('c')]))).toBe(1000);
  });

  it('falls with the memory a Burstable container requests, within 3..999', () => {
    expect(adj(podOf([ctr('c', { memory: '1Gi' })]))).toBe(900);
    expect(adj(podOf([ctr('c', { cpu: '100m' })]))).toBe(999);
    expect(adj(podOf([ctr('c', { memory: '10Gi' }, { memory: '20Gi' })]))).toBe(3);
    // two containers, each its own request
    const two = podOf([ctr('a', { memory: '2Gi' }), ctr('b', { cpu: '10m' })]);
    expect([adj(two, 0), adj(two, 1)]).toEqual([800, 999]);
  });

  it("keeps a sidecar no higher than the smallest app container, and node-critical pods at -997", () => {
    const p = podOf([ctr('app', { memory: '5Gi' })], [ctr('side', { memory: '1Gi' }, undefined, 'Always')]);
    const side = containerConfig(p, p.spec!.initContainers![0]!, { attempt: 0, nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.244.0.2', volumes: { hostPaths: new Map() }, memoryCapacity: 10 * gi });
    expect(side.resources?.oomScoreAdj).toBe(500);
    const critical = podOf([ctr('c')], [], { priority: 2_000_001_000, priorityClassName: 'system-node-critical' });
    expect(adj(critical)).toBe(-997);
  });
});
