// The RBAC policy in memory: every Role's and ClusterRole's rules, and every binding filed under
// each subject it names (`u:<user>` for users and service accounts, `g:<group>`), kept current
// by the watch caches' events, so authorizing a request reads no etcd and scans only the
// bindings of the caller's own name and groups.
import type { ClusterRole, ClusterRoleBinding, KubeObject, PolicyRule, Role, RoleBinding, RoleRef, Subject } from '../../api/types.js';
import type { UserInfo } from '../registry/request-types.js';

export type PolicyResource = 'roles' | 'clusterroles' | 'rolebindings' | 'clusterrolebindings';
export const POLICY_RESOURCES: PolicyResource[] = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'];

export interface IndexedBinding {
  kind: 'RoleBinding' | 'ClusterRoleBinding';
  name: string;
  /** A RoleBinding's namespace (where it grants); none for a ClusterRoleBinding. */
  namespace?: string;
  roleRef: RoleRef;
  subjects: Subject[];
}

export const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:';
export const serviceAccountUser = (namespace: string, name: string) => `${SERVICE_ACCOUNT_PREFIX}${namespace}:${name}`;

/** The user name a subject stands for (`u:`) or its group (`g:`); undefined for a subject that can match nobody. */
export function subjectKey(s: Subject, bindingNamespace: string | undefined): string | undefined {
  switch (s.kind) {
    case 'User':
      return `u:${s.name ?? ''}`;
    case 'Group':
      return `g:${s.name ?? ''}`;
    case 'ServiceAccount': {
      // A RoleBinding's service accounts default to its own namespace.
      const ns = s.namespace || bindingNamespace;
      return ns ? `u:${serviceAccountUser(ns, s.name ?? '')}` : undefined;
    }
    default:
      return undefined;
  }
}

/** Whether `s` names the user (appliesToUser in Kubernetes' RBAC authorizer). */
export function subjectMatches(s: Subject, bindingNamespace: string | undefined, user: UserInfo): boolean {
  const key = subjectKey(s, bindingNamespace);
  if (!key) return false;
  return key.startsWith('u:') ? key.slice(2) === user.name : user.groups.includes(key.slice(2));
}

/** Invariant: every binding in `bindings` is in `bySubject` under exactly the keys it records. */
export class PolicyIndex {
  private readonly roles = new Map<string, PolicyRule[]>();
  private readonly clusterRoles = new Map<string, PolicyRule[]>();
  private readonly bindings = new Map<string, { binding: IndexedBinding; keys: string[] }>();
  private readonly bySubject = new Map<string, Set<IndexedBinding>>();

  /** Applies one watch event (or the synthetic ADDED of a fresh subscription). */
  apply(resource: PolicyResource, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject): void {
    const name = obj.metadata?.name ?? '';
    const ns = obj.metadata?.namespace;
    const deleted = type === 'DELETED';
    switch (resource) {
      case 'roles':
        if (deleted) this.roles.delete(`${ns}/${name}`);
        else this.roles.set(`${ns}/${name}`, (obj as Role).rules ?? []);
        return;
      case 'clusterroles':
        if (deleted) this.clusterRoles.delete(name);
        else this.clusterRoles.set(name, (obj as ClusterRole).rules ?? []);
        return;
      case 'rolebindings':
      case 'clusterrolebindings': {
        const id = resource === 'rolebindings' ? `rb:${ns}/${name}` : `crb:${name}`;
        this.removeBinding(id);
        if (deleted) return;
        const b = obj as RoleBinding | ClusterRoleBinding;
        const binding: IndexedBinding = {
          kind: resource === 'rolebindings' ? 'RoleBinding' : 'ClusterRoleBinding',
          name,
          namespace: resource === 'rolebindings' ? ns : undefined,
          roleRef: b.roleRef ?? {},
          subjects: b.subjects ?? [],
        };
        const keys = [...new Set(binding.subjects.map((s) => subjectKey(s, binding.namespace)).filter((k): k is string => k !== undefined))];
        for (const k of keys) {
          let set = this.bySubject.get(k);
          if (!set) this.bySubject.set(k, (set = new Set()));
          set.add(binding);
        }
        this.bindings.set(id, { binding, keys });
      }
    }
  }

  /** Forgets every object of a resource (before its watch is started again). */
  clear(resource: PolicyResource): void {
    if (resource === 'roles') this.roles.clear();
    else if (resource === 'clusterroles') this.clusterRoles.clear();
    else {
      const prefix = resource === 'rolebindings' ? 'rb:' : 'crb:';
      for (const id of [...this.bindings.keys()]) if (id.startsWith(prefix)) this.removeBinding(id);
    }
  }

  private removeBinding(id: string): void {
    const old = this.bindings.get(id);
    if (!old) return;
    this.bindings.delete(id);
    for (const k of old.keys) {
      const set = this.bySubject.get(k);
      set?.delete(old.binding);
      if (set?.size === 0) this.bySubject.delete(k);
    }
  }

  /**
   * The bindings naming the user, its groups or (for system:serviceaccount:NS:NAME) its service
   * account: ClusterRoleBindings first, then the RoleBindings of `namespace` (none without one),
   * the order Kubernetes' authorizer visits them in.
   */
  bindingsFor(user: UserInfo, namespace: string | undefined): IndexedBinding[] {
    const found = new Set<IndexedBinding>();
    for (const k of [`u:${user.name}`, ...user.groups.map((g) => `g:${g}`)]) for (const b of this.bySubject.get(k) ?? []) found.add(b);
    const all = [...found];
    return [...all.filter((b) => b.kind === 'ClusterRoleBinding'), ...all.filter((b) => b.kind === 'RoleBinding' && namespace && b.namespace === namespace)];
  }

  /** The rules of the role a binding refers to, or the error Kubernetes' rule resolver reports. */
  roleRules(ref: RoleRef, bindingNamespace: string | undefined): PolicyRule[] | { error: string } {
    if (ref.kind === 'ClusterRole') return this.clusterRoles.get(ref.name ?? '') ?? { error: `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found` };
    if (ref.kind === 'Role' && bindingNamespace) return this.roles.get(`${bindingNamespace}/${ref.name}`) ?? { error: `role.rbac.authorization.k8s.io "${ref.name}" not found` };
    return { error: `unsupported role reference kind: "${ref.kind}"` };
  }

  /** Counts, for logs and tests. */
  get size(): { roles: number; clusterRoles: number; bindings: number; subjects: number } {
    return { roles: this.roles.size, clusterRoles: this.clusterRoles.size, bindings: this.bindings.size, subjects: this.bySubject.size };
  }
}
