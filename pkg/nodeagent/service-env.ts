// The environment variables the kubelet gives every container for the services of its namespace
// (enableServiceLinks, on by default) and for the `kubernetes` service in any namespace: the
// {NAME}_SERVICE_HOST/_PORT pairs and Docker's link variables ({NAME}_PORT_80_TCP_ADDR ...), as
// pkg/kubelet/envvars does. A container's own env wins over these, and $(VAR) may name them.
import type { ServiceLike } from '../dns/cluster-records.js';

const envName = (s: string) => s.replaceAll('-', '_').toUpperCase();

/** Whether a service has a virtual IP (not headless, not ExternalName). */
const hasClusterIP = (s: ServiceLike) => !!s.spec?.clusterIP && s.spec.clusterIP !== 'None';

/** The variables of `services` for a pod in `namespace`, in the kubelet's order. */
export function serviceEnv(services: ServiceLike[], namespace: string, enableServiceLinks = true): Map<string, string> {
  // By name, as the kubelet's serviceMap: a service of the pod's namespace wins over default's
  // `kubernetes` (which is there even without service links), whatever the list's order.
  const byName = new Map<string, ServiceLike>();
  for (const s of services) {
    if (!hasClusterIP(s) || !s.spec?.ports?.length) continue;
    const name = s.metadata?.name ?? '';
    if (enableServiceLinks && s.metadata?.namespace === namespace) byName.set(name, s);
    else if (s.metadata?.namespace === 'default' && name === 'kubernetes' && !byName.has(name)) byName.set(name, s);
  }
  const chosen = [...byName.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const vars = new Map<string, string>();
  for (const s of chosen) {
    const prefix = envName(s.metadata?.name ?? '');
    const ip = s.spec!.clusterIP!;
    const ports = s.spec!.ports!;
    vars.set(`${prefix}_SERVICE_HOST`, ip);
    vars.set(`${prefix}_SERVICE_PORT`, String(ports[0]!.port ?? 0));
    for (const p of ports) if (p.name) vars.set(`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port ?? 0));
    ports.forEach((p, i) => {
      const proto = (p.protocol || 'TCP').toLowerCase();
      const url = `${proto}://${ip}:${p.port ?? 0}`;
      if (i === 0) vars.set(`${prefix}_PORT`, url);
      const pp = `${prefix}_PORT_${p.port ?? 0}_${proto.toUpperCase()}`;
      vars.set(pp, url);
      vars.set(`${pp}_PROTO`, proto);
      vars.set(`${pp}_PORT`, String(p.port ?? 0));
      vars.set(`${pp}_ADDR`, ip);
    });
  }
  return vars;
}
