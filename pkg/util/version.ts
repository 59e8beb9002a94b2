// The version every tskube component reports as its own: the apiserver's /version, the
// components' User-Agent (pkg/client/user-agent.ts). Kubernetes stamps one version.Info into every
// binary of a release; tskube's binaries are one release too (pkg/apiserver/rest/discovery.ts
// serverVersion says the same; user-agent.test.ts keeps the two alike).

/** version.Info's GitVersion: the Kubernetes release tskube behaves as, with tskube's own after the '-'. */
export const GIT_VERSION = 'v1.32.0-tskube.0.1.0';
/** version.Info's GitCommit. */
export const GIT_COMMIT = 'tskube';
/** version.Info's BuildDate. */
export const BUILD_DATE = '2026-11-22T00:00:00Z';

/** Go's runtime.GOOS and GOARCH of this process (linux, amd64), as Go names them. */
export function goPlatform(platform: string = process.platform, arch: string = process.arch): { os: string; arch: string } {
  const goArch: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: platform === 'win32' ? 'windows' : platform, arch: goArch[arch] ?? arch };
}
