// The cells kubectl prints for Ingresses and IngressClasses (printIngress, printIngressClass in
// pkg/printers/internalversion): CLASS HOSTS ADDRESS PORTS, and CONTROLLER PARAMETERS.
import type { Ingress, IngressClass } from '../../api/types.js';

/** The first three hosts and how many rules more; `*` when no rule names a host. */
function formatHosts(ing: Ingress): string {
  const rules = ing.spec?.rules ?? [];
  const list: string[] = [];
  let more = false;
  for (const r of rules) {
    if (list.length === 3) more = true;
    if (!more && r.host) list.push(r.host);
  }
  if (!list.length) return '*';
  return more ? `${list.join(',')} + ${rules.length - 3} more...` : list.join(',');
}

/**
 * CLASS, HOSTS, ADDRESS (the sorted, distinct IPs or host names of the status; the apiserver prints
 * tables wide, so kubectl's 16-character clip of the address does not apply), PORTS.
 */
export function ingressCells(ing: Ingress): { className: string; hosts: string; address: string; ports: string } {
  const address = [...new Set((ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean))].sort().join(',');
  return { className: ing.spec?.ingressClassName ?? '<none>', hosts: formatHosts(ing), address, ports: ing.spec?.tls?.length ? '80, 443' : '80' };
}

/** PARAMETERS: `Kind.apiGroup/name`, or <none>. */
export function ingressClassParameters(c: IngressClass): string {
  const p = c.spec?.parameters;
  if (!p) return '<none>';
  return `${p.kind ?? ''}${p.apiGroup !== undefined ? `.${p.apiGroup}` : ''}/${p.name ?? ''}`;
}
