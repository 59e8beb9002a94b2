// metrics.k8s.io/v1beta1, what `kubectl top` reads: PodMetrics and NodeMetrics, served by the
// apiserver itself (the role of metrics-server) from each node agent's /stats/usage, asked on
// demand. Nothing is stored.
import { request as httpsRequest } from 'node:https';
import type { KubeObject } from '../../api/types.js';
import { matchesLabelSelector, parseLabelSelector } from '../../api/selectors.js';
import * as errors from '../errors.js';
import { ApiError } from '../errors.js';
import type { UserInfo } from '../registry/store.js';
import { agentEndpoint, type NodeProxyDeps } from './node-proxy.js';
import { agentConnection } from './kubelet-tls.js';
import { rfc3339, rfc3339Now } from '../../util/time.js';

export const METRICS_GROUP_VERSION = 'metrics.k8s.io/v1beta1';
const prefix = `/apis/${METRICS_GROUP_VERSION}/`;

/** The agent's report (pkg/nodeagent/usage.ts). */
interface UsageReport {
  timestamp: string;
  windowSeconds: number;
  node: { cpuNanoCores: number; memoryWorkingSetBytes: number };
  pods: { namespace: string; name: string; containers: { name: string; cpuNanoCores: number; memoryWorkingSetBytes: number }[] }[];
}

export interface MetricsRequest {
  resource: 'pods' | 'nodes';
  namespace?: string;
  name?: string;
}

/** /apis/metrics.k8s.io/v1beta1/{nodes[/NAME], pods, namespaces/NS/pods[/NAME]} */
export function matchMetricsPath(path: string): MetricsRequest | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const s = path.slice(prefix.length).split('/').filter(Boolean);
  if (s[0] === 'nodes' && s.length <= 2) return { resource: 'nodes', name: s[1] };
  if (s[0] === 'pods' && s.length === 1) return { resource: 'pods' };
  if (s[0] === 'namespaces' && s[2] === 'pods' && s.length <= 4) return { resource: 'pods', namespace: s[1], name: s[3] };
  return undefined;
}

function fetchUsage(deps: NodeProxyDeps, node: KubeObject): Promise<UsageReport> {
  const { host, port, authorization, tls } = agentEndpoint(deps, node);
  return new Promise((resolve, reject) => {
    // (dialled as every agent request is: verified under --kubelet-certificate-authority)
    const createConnection = agentConnection(host, port, tls);
    const req = httpsRequest({ host, port, path: '/stats/usage', headers: authorization ? { Authorization: authorization } : {}, createConnection, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`agent answered ${res.statusCode}`));
        try {
          resolve(JSON.parse(body) as UsageReport);
        } catch (e) {
          reject(e as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const cpu = (nanoCores: number) => `${nanoCores}n`;
const memory = (bytes: number) => `${Math.round(bytes / 1024)}Ki`;
const window = (r: UsageReport) => `${r.windowSeconds}s`;
/** When the usage was sampled, as a metav1.Time serializes (whole seconds); creationTimestamp is when the answer is made, as metrics-server's. */
const sampledAt = (r: UsageReport) => rfc3339(Date.parse(r.timestamp));

/**
 * Answers a metrics API GET. Nodes whose agent cannot be reached are left out, as
 * metrics-server leaves out nodes it could not scrape; a named object with no metrics is a 404.
 */
export async function serveMetrics(deps: NodeProxyDeps, user: UserInfo, m: MetricsRequest, query: URLSearchParams): Promise<Record<string, unknown>> {
  // (a list with ?watch is a watch, which metrics-server's storage does not serve: ListResource's 405, once authorized)
  const watch = !m.name && ['1', 'true'].includes(query.get('watch') ?? '');
  const verb = m.name ? 'get' : watch ? 'watch' : 'list';
  const decision = await deps.authorizer.authorize(user, { verb, group: 'metrics.k8s.io', resource: m.resource, namespace: m.namespace, name: m.name });
  if (!decision.allowed) throw errors.forbidden(user.name, verb, 'metrics.k8s.io', m.resource, m.namespace, m.name, decision.reason);
  if (watch) throw errors.methodNotSupported(m.resource, 'watch', 'metrics.k8s.io');
  const selector = parseLabelSelector(query.get('labelSelector') ?? '');
  const nodes = (await deps.nodes.list(undefined, { matches: () => true })).items.map((x) => x.obj);
  const reports = await Promise.all(nodes.map(async (n) => ({ node: n, report: await fetchUsage(deps, n).catch(() => undefined) })));
  const items: Record<string, unknown>[] = [];
  if (m.resource === 'nodes') {
    for (const { node, report } of reports) {
      if (!report || (m.name && node.metadata?.name !== m.name) || !matchesLabelSelector(selector, node.metadata?.labels)) continue;
      items.push({ metadata: { name: node.metadata?.name, labels: node.metadata?.labels, creationTimestamp: rfc3339Now() }, timestamp: sampledAt(report), window: window(report), usage: { cpu: cpu(report.node.cpuNanoCores), memory: memory(report.node.memoryWorkingSetBytes) } });
    }
  } else {
    const pods = (await deps.pods.list(m.namespace, { matches: () => true })).items.map((x) => x.obj);
    const byKey = new Map(pods.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
    for (const { report } of reports) {
      for (const p of report?.pods ?? []) {
        const pod = byKey.get(`${p.namespace}/${p.name}`);
        if (!pod || (m.name && p.name !== m.name) || !matchesLabelSelector(selector, pod.metadata?.labels)) continue;
        items.push({
          metadata: { name: p.name, namespace: p.namespace, labels: pod.metadata?.labels, creationTimestamp: rfc3339Now() },
          timestamp: sampledAt(report!),
          window: window(report!),
          containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: cpu(c.cpuNanoCores), memory: memory(c.memoryWorkingSetBytes) } })),
        });
      }
    }
  }
  const kind = m.resource === 'nodes' ? 'NodeMetrics' : 'PodMetrics';
  if (m.name) {
    if (!items[0] && m.resource === 'pods') {
      // metrics-server's PodMetrics.Get: a pod its lister does not have is the lister's NotFound
      // ('pods "x" not found'); one with no metrics (not Running yet, or not scraped) is a
      // NotFound naming it as namespace/name, so kubectl top pod says
      // 'podmetrics.metrics.k8s.io "ns/x" not found'.
      if (!(await deps.pods.get(m.namespace, m.name).catch(() => undefined))) throw errors.notFound('', 'pods', m.name);
      throw new ApiError(404, 'NotFound', `podmetrics.metrics.k8s.io "${m.namespace}/${m.name}" not found`, { name: `${m.namespace}/${m.name}`, group: 'metrics.k8s.io', kind: 'podmetrics' });
    }
    if (!items[0]) throw new ApiError(404, 'NotFound', `${m.resource === 'nodes' ? 'nodemetrics' : 'podmetrics'}.metrics.k8s.io "${m.name}" not found`);
    return { kind, apiVersion: METRICS_GROUP_VERSION, ...items[0] };
  }
  return { kind: `${kind}List`, apiVersion: METRICS_GROUP_VERSION, metadata: {}, items };
}
