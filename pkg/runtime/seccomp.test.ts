import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSpec, DEFAULT_CAPABILITIES } from './oci-spec.js';
import { localhostProfile, runtimeDefaultProfile, type OciSeccomp } from './seccomp.js';

const refused = (p: OciSeccomp) => new Set(p.syscalls!.filter((r) => !r.args).flatMap((r) => r.names));

describe('RuntimeDefault seccomp profile', () => {
  it('allows by default and refuses namespaces, mounts, keyrings, modules and tracing to a container with the default capabilities', () => {
    const p = runtimeDefaultProfile(DEFAULT_CAPABILITIES);
    expect(p.defaultAction).toBe('SCMP_ACT_ALLOW');
    const r = refused(p);
    for (const n of ['unshare', 'setns', 'mount', 'umount2', 'keyctl', 'add_key', 'init_module', 'ptrace', 'kexec_load', 'bpf', 'settimeofday', 'reboot']) expect(r, n).toContain(n);
    for (const n of ['read', 'write', 'openat', 'clone', 'execve']) expect(r, n).not.toContain(n);
    // clone3 is ENOSYS so libc falls back to clone, whose namespace flags are checked one by one
    expect(p.syscalls!.find((x) => x.names.includes('clone3'))).toMatchObject({ action: 'SCMP_ACT_ERRNO', errnoRet: 38 });
    const cloneRules = p.syscalls!.filter((x) => x.names.includes('clone'));
    expect(cloneRules).toHaveLength(7);
    expect(cloneRules.some((x) => x.args![0]!.value === 0x10000000 && x.args![0]!.op === 'SCMP_CMP_MASKED_EQ')).toBe(true);
  });

  it('lets a syscall through when the container holds the capability it needs', () => {
    const r = refused(runtimeDefaultProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_PTRACE']));
    for (const n of ['unshare', 'mount', 'setns', 'ptrace']) expect(r, n).not.toContain(n);
    for (const n of ['keyctl', 'init_module', 'reboot']) expect(r, n).toContain(n);
    expect(runtimeDefaultProfile(['CAP_SYS_ADMIN']).syscalls!.filter((x) => x.names.includes('clone'))).toHaveLength(0);
  });

  it('goes into the OCI spec, except for privileged containers', () => {
    const base = { image: { rootfs: { type: 'layers' as const, diff_ids: [] } }, rootfs: '/r', user: { uid: 0, gid: 0 }, namespaces: { network: '/n', ipc: '/i', uts: '/u' }, cgroupsPath: '/c', etcFiles: {}, volumes: {}, seccomp: runtimeDefaultProfile(DEFAULT_CAPABILITIES) };
    expect(buildSpec({ ...base, container: { name: 'c', image: 'i', command: ['true'] } }).linux.seccomp?.defaultAction).toBe('SCMP_ACT_ALLOW');
    expect(buildSpec({ ...base, container: { name: 'c', image: 'i', command: ['true'], securityContext: { privileged: true } } }).linux.seccomp).toBeUndefined();
    expect(buildSpec({ ...base, seccomp: undefined, container: { name: 'c', image: 'i', command: ['true'] } }).linux.seccomp).toBeUndefined();
  });
});

describe('Localhost seccomp profiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tskube-seccomp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a profile under the seccomp directory', async () => {
    writeFileSync(join(dir, 'deny-mkdir.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }));
    expect(await localhostProfile(dir, 'deny-mkdir.json')).toEqual({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] });
  });

  it('refuses a path outside the directory, a missing file, and a file that is not a profile, naming it', async () => {
    await expect(localhostProfile(dir, '../etc/passwd')).rejects.toThrow(/must be a relative path inside/);
    await expect(localhostProfile(dir, '/etc/passwd')).rejects.toThrow(/must be a relative path inside/);
    await expect(localhostProfile(dir, undefined)).rejects.toThrow(/needs localhostProfile/);
    await expect(localhostProfile(dir, 'nope.json')).rejects.toThrow(new RegExp(`cannot load seccomp profile "${dir}/nope.json": ENOENT`));
    writeFileSync(join(dir, 'bad.json'), '{"syscalls": []}');
    await expect(localhostProfile(dir, 'bad.json')).rejects.toThrow(/defaultAction must be a string/);
    writeFileSync(join(dir, 'broken.json'), '{');
    await expect(localhostProfile(dir, 'broken.json')).rejects.toThrow(/not JSON/);
  });
});
