// Cells of the RBAC tables, as kubectl's printers compute them: a binding's role as Kind/name,
// and (with -o wide) its users, groups and service accounts (namespace/name).
import type { ClusterRoleBinding, RoleBinding } from '../../api/types.js';

export function bindingCells(b: RoleBinding | ClusterRoleBinding): { role: string; users: string; groups: string; serviceAccounts: string } {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of b.subjects ?? []) {
    if (s.kind === 'User') users.push(s.name ?? '');
    else if (s.kind === 'Group') groups.push(s.name ?? '');
    else if (s.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name ?? ''}`);
  }
  return { role: `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, users: users.join(', '), groups: groups.join(', '), serviceAccounts: sas.join(', ') };
}
