// kubernetes_build_info, which every 1.32 component registers (component-base/metrics/version.go
// RegisterBuildInfo): a constant 1 labelled with the version.Info the binary reports, so
// dashboards showing the components' versions read it. Registered once per process, on import.
import { Gauge, register } from 'prom-client';
import { BUILD_DATE, GIT_COMMIT, GIT_VERSION, goPlatform } from './version.js';

const NAME = 'kubernetes_build_info';

if (!register.getSingleMetric(NAME)) {
  const [major = '', minor = ''] = GIT_VERSION.replace(/^v/, '').split('.');
  const platform = goPlatform();
  new Gauge({
    name: NAME,
    help: "[ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.",
    labelNames: ['major', 'minor', 'git_version', 'git_commit', 'git_tree_state', 'build_date', 'go_version', 'compiler', 'platform'],
  }).set(
    { major, minor, git_version: GIT_VERSION, git_commit: GIT_COMMIT, git_tree_state: 'clean', build_date: BUILD_DATE, go_version: `node${process.versions.node}`, compiler: 'tsc', platform: `${platform.os}/${platform.arch}` },
    1,
  );
}
