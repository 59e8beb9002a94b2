import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import './build-info-metric.js';
import '../apiserver/request-metrics.js';
import '../nodeagent/metrics.js';
import { serverVersion } from '../apiserver/rest/discovery.js';

describe('kubernetes_build_info', () => {
  it("is 1, labelled with the version /version reports, once however many components' metrics a process loads", async () => {
    const text = await register.metrics();
    const v = serverVersion;
    expect(text).toContain(
      `# HELP kubernetes_build_info [ALPHA] A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.\n# TYPE kubernetes_build_info gauge\nkubernetes_build_info{major="${v.major}",minor="${v.minor}",git_version="${v.gitVersion}",git_commit="${v.gitCommit}",git_tree_state="${v.gitTreeState}",build_date="${v.buildDate}",go_version="${v.goVersion}",compiler="${v.compiler}",platform="${v.platform}"} 1\n`,
    );
    expect(text.match(/^# TYPE kubernetes_build_info /gm)).toHaveLength(1);
  });
});
