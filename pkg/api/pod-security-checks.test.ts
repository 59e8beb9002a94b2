// Each Pod Security Standards check, allowed and refused, with Kubernetes' reason and detail texts.
import { describe, expect, it } from 'vitest';
import { aggregate, evaluatePod, forbiddenDetail, joinQuote, LATEST, pluralize, type CheckedPodMeta, type CheckedPodSpec, type Level, type LevelVersion } from './pod-security.js';

const at = (level: Level, version = 'latest'): LevelVersion => ({ level, version: version === 'latest' ? LATEST : { latest: false, minor: Number(version.slice(3)) } });
/** The message Kubernetes would give for spec/meta at a level (empty when allowed). */
function violations(level: Level, spec: CheckedPodSpec, meta: CheckedPodMeta = {}, version = 'latest'): string {
  const r = aggregate(evaluatePod(at(level, version), meta, spec));
  return r.allowed ? '' : forbiddenDetail(r);
}

/** A pod that passes the restricted level. */
const restrictedSpec = (): CheckedPodSpec => ({
  securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
});

describe('helpers', () => {
  it('pluralizes and quotes as Kubernetes', () => {
    expect(pluralize('container', 'containers', 1)).toBe('container');
    expect(pluralize('container', 'containers', 2)).toBe('containers');
    expect(joinQuote(['a', 'b'])).toBe('"a", "b"');
    expect(joinQuote([])).toBe('');
  });
});

describe('baseline checks', () => {
  it('allows a plain pod and anything at privileged', () => {
    expect(violations('baseline', { containers: [{ name: 'c' }] })).toBe('');
    expect(violations('privileged', { hostNetwork: true, containers: [{ name: 'c', securityContext: { privileged: true } }] })).toBe('');
  });

  it('host namespaces', () => {
    expect(violations('baseline', { hostNetwork: true, hostPID: true, hostIPC: true })).toBe('host namespaces (hostNetwork=true, hostPID=true, hostIPC=true)');
    expect(violations('baseline', { hostNetwork: false })).toBe('');
  });

  it('privileged (init, app and ephemeral containers in that order)', () => {
    const spec: CheckedPodSpec = {
      containers: [{ name: 'app', securityContext: { privileged: true } }, { name: 'ok', securityContext: { privileged: false } }],
      initContainers: [{ name: 'init', securityContext: { privileged: true } }],
      ephemeralContainers: [{ name: 'debug', securityContext: { privileged: true } }],
    };
    expect(violations('baseline', spec)).toBe('privileged (containers "init", "app", "debug" must not set securityContext.privileged=true)');
    expect(violations('baseline', { containers: [{ name: 'a', securityContext: { privileged: true } }] })).toBe('privileged (container "a" must not set securityContext.privileged=true)');
  });

  it('baseline capabilities', () => {
    const spec: CheckedPodSpec = {
      containers: [
        { name: 'a', securityContext: { capabilities: { add: ['NET_ADMIN', 'CHOWN', 'SYS_ADMIN'] } } },
        { name: 'b', securityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'KILL'] } } },
        { name: 'c', securityContext: { capabilities: { add: ['NET_RAW'] } } },
      ],
    };
    expect(violations('baseline', spec)).toBe('non-default capabilities (containers "a", "c" must not include "NET_ADMIN", "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)');
    expect(violations('baseline', { containers: [{ name: 'b', securityContext: { capabilities: { add: ['SETUID', 'SYS_CHROOT'] } } }] })).toBe('');
  });

  it('hostPath volumes', () => {
    expect(violations('baseline', { volumes: [{ name: 'a', hostPath: { path: '/' } }, { name: 'b', emptyDir: {} }, { name: 'c', hostPath: { path: '/x' } }] })).toBe('hostPath volumes (volumes "a", "c")');
    expect(violations('baseline', { volumes: [{ name: 'a', hostPath: { path: '/' } }] })).toBe('hostPath volumes (volume "a")');
  });

  it('hostPorts (ports sorted as strings)', () => {
    const spec: CheckedPodSpec = { containers: [{ name: 'a', ports: [{ hostPort: 8080 }, { hostPort: 0 }] }, { name: 'b', ports: [{ hostPort: 443 }, { hostPort: 80 }] }] };
    expect(violations('baseline', spec)).toBe('hostPort (containers "a", "b" use hostPorts 443, 80, 8080)');
    expect(violations('baseline', { containers: [{ name: 'a', ports: [{ hostPort: 80 }] }] })).toBe('hostPort (container "a" uses hostPort 80)');
  });

  it('AppArmor: securityContext fields and annotations', () => {
    expect(violations('baseline', { securityContext: { appArmorProfile: { type: 'Unconfined' } } })).toBe('forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")');
    expect(violations('baseline', { containers: [{ name: 'foo', securityContext: { appArmorProfile: { type: 'Localhost' } } }] })).toBe('');
    const meta = {
      annotations: {
        'container.apparmor.security.beta.kubernetes.io/a': '',
        'container.apparmor.security.beta.kubernetes.io/b': 'runtime/default',
        'container.apparmor.security.beta.kubernetes.io/d': 'localhost/foo',
        'container.apparmor.security.beta.kubernetes.io/f': 'unknown',
        'container.apparmor.security.beta.kubernetes.io/e': 'unconfined',
      },
    };
    const spec: CheckedPodSpec = { securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [{ name: 'x', securityContext: { appArmorProfile: { type: 'Bogus' } } }] };
    expect(violations('baseline', spec, meta)).toBe(
      'forbidden AppArmor profiles (pod and container "x" and annotations must not set AppArmor profile type to "Bogus", "Unconfined", "container.apparmor.security.beta.kubernetes.io/e="unconfined"", "container.apparmor.security.beta.kubernetes.io/f="unknown"")',
    );
  });

  it('SELinux options (container_engine_t allowed from 1.31)', () => {
    const spec: CheckedPodSpec = {
      securityContext: { seLinuxOptions: { type: 'spc_t' } },
      containers: [{ name: 'a', securityContext: { seLinuxOptions: { user: 'u', role: 'r', type: 'container_t' } } }, { name: 'b', securityContext: { seLinuxOptions: { type: 'container_init_t', level: 's0' } } }],
    };
    expect(violations('baseline', spec)).toBe('seLinuxOptions (pod and container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)');
    const mixed: CheckedPodSpec = {
      securityContext: { seLinuxOptions: { type: 'foo', user: 'bar', role: 'baz' } },
      containers: ['container_t', 'container_kvm_t', 'bar'].map((type, i) => ({ name: `t${i}`, securityContext: { seLinuxOptions: { type } } })),
      initContainers: [{ name: 'u', securityContext: { seLinuxOptions: { user: 'x' } } }],
    };
    expect(violations('baseline', mixed)).toBe('seLinuxOptions (pod and containers "u", "t2" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set)');
    const engine: CheckedPodSpec = { containers: [{ name: 'a', securityContext: { seLinuxOptions: { type: 'container_engine_t' } } }] };
    expect(violations('baseline', engine)).toBe('');
    expect(violations('baseline', engine, {}, 'v1.30')).toBe('seLinuxOptions (container "a" set forbidden securityContext.seLinuxOptions: type "container_engine_t")');
  });

  it('procMount', () => {
    expect(violations('baseline', { containers: [{ name: 'a', securityContext: { procMount: 'Unmasked' } }, { name: 'b', securityContext: { procMount: 'Default' } }] })).toBe(
      'procMount (container "a" must not set securityContext.procMount to "Unmasked")',
    );
  });

  it('baseline seccomp: fields from 1.19, annotations before', () => {
    const spec: CheckedPodSpec = { securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [{ name: 'a', securityContext: { seccompProfile: { type: 'Unconfined' } } }, { name: 'b' }] };
    expect(violations('baseline', spec)).toBe('seccompProfile (pod and container "a" must not set securityContext.seccompProfile.type to "Unconfined")');
    expect(violations('baseline', { containers: [{ name: 'b' }] })).toBe('');
    const meta = { annotations: { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined', 'container.seccomp.security.alpha.kubernetes.io/b': 'docker/default', 'container.seccomp.security.alpha.kubernetes.io/a': 'bad' } };
    expect(violations('baseline', { containers: [{ name: 'a' }, { name: 'b' }] }, meta, 'v1.18')).toBe(
      'seccompProfile (forbidden annotations container.seccomp.security.alpha.kubernetes.io/a="bad", seccomp.security.alpha.kubernetes.io/pod="unconfined")',
    );
    // (from 1.19 the annotations are not looked at)
    expect(violations('baseline', { containers: [{ name: 'a' }] }, meta, 'v1.19')).toBe('');
  });

  it('sysctls (the safe set grows with the version, order kept)', () => {
    const spec: CheckedPodSpec = { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem' }, { name: 'kernel.msgmax' }, { name: 'net.ipv4.ip_local_port_range' }] } };
    expect(violations('baseline', spec)).toBe('forbidden sysctls (kernel.msgmax)');
    expect(violations('baseline', spec, {}, 'v1.31')).toBe('forbidden sysctls (net.ipv4.tcp_rmem, kernel.msgmax)');
    const keepalive: CheckedPodSpec = { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_keepalive_time' }, { name: 'net.ipv4.ip_local_reserved_ports' }] } };
    expect(violations('baseline', keepalive, {}, 'v1.29')).toBe('');
    expect(violations('baseline', keepalive, {}, 'v1.27')).toBe('forbidden sysctls (net.ipv4.tcp_keepalive_time)');
    expect(violations('baseline', keepalive, {}, 'v1.26')).toBe('forbidden sysctls (net.ipv4.tcp_keepalive_time, net.ipv4.ip_local_reserved_ports)');
    // (1.37's additions are not ours: latest is 1.32, and a newer version label means 1.32)
    const later: CheckedPodSpec = { securityContext: { sysctls: [{ name: 'net.ipv4.tcp_slow_start_after_idle' }] } };
    expect(violations('baseline', later)).toBe('forbidden sysctls (net.ipv4.tcp_slow_start_after_idle)');
    expect(violations('baseline', later, {}, 'v1.40')).toBe('forbidden sysctls (net.ipv4.tcp_slow_start_after_idle)');
  });

  it('windows hostProcess', () => {
    const spec: CheckedPodSpec = {
      securityContext: { windowsOptions: { hostProcess: true } },
      containers: [{ name: 'a' }, { name: 'd', securityContext: { windowsOptions: { hostProcess: false } } }, { name: 'e', securityContext: { windowsOptions: { hostProcess: true } } }, { name: 'f', securityContext: { windowsOptions: { hostProcess: true } } }],
    };
    expect(violations('baseline', spec)).toBe('hostProcess (pod and containers "e", "f" must not set securityContext.windowsOptions.hostProcess=true)');
  });

  it('no probe-host check at 1.32 (it came in 1.34)', () => {
    expect(violations('baseline', { containers: [{ name: 'a', livenessProbe: { httpGet: { host: '10.0.0.1' } } } as never] })).toBe('');
  });

  it('lists several failures in check-id order', () => {
    const spec: CheckedPodSpec = { hostPID: true, volumes: [{ name: 'h', hostPath: {} }], containers: [{ name: 'c', securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }] };
    expect(violations('baseline', spec)).toBe(
      'non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), host namespaces (hostPID=true), hostPath volumes (volume "h"), privileged (container "c" must not set securityContext.privileged=true)',
    );
  });
});

describe('restricted checks', () => {
  it('allows a compliant pod', () => {
    expect(violations('restricted', restrictedSpec())).toBe('');
  });

  it('refuses a plain pod with the four reasons Kubernetes gives', () => {
    expect(violations('restricted', { containers: [{ name: 'c' }] })).toBe(
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('includes the baseline checks', () => {
    const spec = restrictedSpec();
    spec.hostNetwork = true;
    expect(violations('restricted', spec)).toBe('host namespaces (hostNetwork=true)');
  });

  it('volume types (restrictedVolumes replaces hostPathVolumes)', () => {
    const spec = restrictedSpec();
    spec.volumes = [{ name: 'ok', configMap: {} }, { name: 'h', hostPath: {} }, { name: 'n', nfs: {} }, { name: 'g', gitRepo: {} }, { name: 'p', persistentVolumeClaim: {} }, { name: 'i', image: {} }];
    expect(violations('restricted', spec)).toBe('restricted volume types (volumes "h", "n", "g", "i" use restricted volume types "gitRepo", "hostPath", "nfs", "unknown")');
    spec.volumes = [{ name: 'h', hostPath: {} }];
    expect(violations('restricted', spec)).toBe('restricted volume types (volume "h" uses restricted volume type "hostPath")');
  });

  it('allowPrivilegeEscalation (windows pods exempt from 1.25)', () => {
    const spec = restrictedSpec();
    spec.containers = [
      { name: 'a', securityContext: { capabilities: { drop: ['ALL'] } } },
      { name: 'b', securityContext: { allowPrivilegeEscalation: true, capabilities: { drop: ['ALL'] } } },
      { name: 'd', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } },
    ];
    expect(violations('restricted', spec)).toBe('allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false)');
    expect(violations('restricted', { ...spec, os: { name: 'windows' } })).toBe('');
    // (before 1.8 there was no such check)
    expect(violations('restricted', spec, {}, 'v1.7')).toBe('');
  });

  it('runAsNonRoot', () => {
    const spec = restrictedSpec();
    spec.securityContext = { runAsNonRoot: false, seccompProfile: { type: 'RuntimeDefault' } };
    spec.containers!.push({ name: 'x', securityContext: { runAsNonRoot: false, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } });
    expect(violations('restricted', spec)).toBe('runAsNonRoot != true (pod and container "x" must not set securityContext.runAsNonRoot=false)');
    spec.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
    spec.containers = [{ name: 'y', securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }];
    expect(violations('restricted', spec)).toBe('');
  });

  it('runAsUser=0 (from 1.23)', () => {
    const spec = restrictedSpec();
    spec.securityContext!.runAsUser = 0;
    spec.containers![0]!.securityContext!.runAsUser = 0;
    expect(violations('restricted', spec)).toBe('runAsUser=0 (pod and container "c" must not set runAsUser=0)');
    expect(violations('restricted', spec, {}, 'v1.22')).toBe('');
  });

  it('restricted seccomp', () => {
    const spec = restrictedSpec();
    spec.securityContext = { runAsNonRoot: true };
    spec.containers!.push({ name: 'd', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'Localhost' } } });
    expect(violations('restricted', spec)).toBe('seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    spec.containers![0]!.securityContext!.seccompProfile = { type: 'Unconfined' };
    expect(violations('restricted', spec)).toBe('seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")');
    expect(violations('restricted', { ...spec, os: { name: 'windows' } })).toBe('');
  });

  it('restricted capabilities (replace baseline ones from 1.22)', () => {
    const spec = restrictedSpec();
    spec.containers = [
      { name: 'a', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } } },
      { name: 'b', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['NET_RAW'], add: ['CHOWN', 'SYS_ADMIN'] } } },
      { name: 'c', securityContext: { allowPrivilegeEscalation: false } },
    ];
    expect(violations('restricted', spec)).toBe(
      'unrestricted capabilities (containers "b", "c" must set securityContext.capabilities.drop=["ALL"]; container "b" must not include "CHOWN", "SYS_ADMIN" in securityContext.capabilities.add)',
    );
    // (at 1.21 restricted still had the baseline capability check)
    expect(violations('restricted', spec, {}, 'v1.21')).toBe('non-default capabilities (container "b" must not include "SYS_ADMIN" in securityContext.capabilities.add)');
  });
});
