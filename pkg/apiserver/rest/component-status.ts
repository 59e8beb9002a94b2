// core/v1 ComponentStatus (`kubectl get componentstatuses`, `cs`): deprecated in Kubernetes but
// still what tutorials check first. Nothing is stored: etcd is healthy when a quorum read
// answers; the scheduler and the controller manager when their leader Lease is held and fresh
// (kube-apiserver probes their healthz on localhost instead, which only works on one machine).
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import type { Authorizer } from '../authorizer.js';
import * as errors from '../errors.js';
import type { UserInfo } from '../registry/store.js';
import { sendJson } from './http-util.js';
import { authorizeReadOnly } from './read-only-resource.js';
import { toTable, type Printer } from './table.js';

export interface ComponentStatusDeps {
  authorizer: Authorizer;
  /** Rejects when etcd does not answer a quorum read. */
  etcdHealth(): Promise<void>;
  /** A Lease of kube-system, if it exists. */
  lease(name: string): Promise<KubeObject | undefined>;
}

const DEPRECATED = 'v1 ComponentStatus is deprecated in v1.19+';
const path = /^\/api\/v1\/componentstatuses(?:\/([^/]+))?$/;
export const matchComponentStatusPath = (p: string): { name?: string } | undefined => {
  const m = path.exec(p);
  return m ? { name: m[1] ? decodeURIComponent(m[1]) : undefined } : undefined;
};

const status = (name: string, healthy: boolean, message: string, error?: string): KubeObject => ({
  kind: 'ComponentStatus',
  apiVersion: 'v1',
  metadata: { name },
  conditions: [{ type: 'Healthy', status: healthy ? 'True' : 'False', ...(healthy ? { message } : { error: error ?? message }) }],
});

async function leaseStatus(deps: ComponentStatusDeps, component: string, lease: string): Promise<KubeObject> {
  const l = await deps.lease(lease).catch(() => undefined);
  const spec = (l?.spec ?? {}) as { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
  if (!spec.holderIdentity || !spec.renewTime) return status(component, false, '', `no leader holds the kube-system/${lease} lease`);
  const age = (Date.now() - Date.parse(spec.renewTime)) / 1000;
  const limit = spec.leaseDurationSeconds ?? 15;
  return age <= limit ? status(component, true, 'ok') : status(component, false, '', `the kube-system/${lease} lease of ${spec.holderIdentity} was last renewed ${Math.round(age)} s ago`);
}

async function all(deps: ComponentStatusDeps): Promise<KubeObject[]> {
  const etcd = await Promise.race([deps.etcdHealth().then(() => undefined), new Promise<string>((r) => setTimeout(() => r('timed out after 2 s'), 2000).unref())]).catch((e: unknown) => (e as Error).message);
  return [
    await leaseStatus(deps, 'controller-manager', 'kube-controller-manager'),
    await leaseStatus(deps, 'scheduler', 'kube-scheduler'),
    etcd === undefined ? status('etcd-0', true, '{"health":"true","reason":""}') : status('etcd-0', false, '', etcd),
  ];
}

const printer: Printer = {
  columns: ['Name', 'Status', 'Message', 'Error'].map((name) => ({ name, type: 'string', format: name === 'Name' ? 'name' : '', description: name, priority: 0 })),
  row: (o) => {
    const c = ((o as { conditions?: { status: string; message?: string; error?: string }[] }).conditions ?? [])[0];
    return [o.metadata?.name, c?.status === 'True' ? 'Healthy' : 'Unhealthy', c?.message ?? '', c?.error ?? ''];
  },
};

export async function serveComponentStatuses(deps: ComponentStatusDeps, user: UserInfo, method: string, name: string | undefined, asTable: boolean, res: ServerResponse, query = new URLSearchParams()): Promise<void> {
  await authorizeReadOnly(deps.authorizer, user, method, '', 'componentstatuses', name, query);
  const items = await all(deps);
  if (name) {
    const one = items.find((i) => i.metadata?.name === name);
    if (!one) throw errors.notFound('', 'componentstatuses', name);
    return sendJson(res, 200, asTable ? toTable(printer, [one], {}, 'None') : one, [DEPRECATED]);
  }
  return sendJson(res, 200, asTable ? toTable(printer, items, {}, 'None') : { kind: 'ComponentStatusList', apiVersion: 'v1', metadata: {}, items }, [DEPRECATED]);
}
