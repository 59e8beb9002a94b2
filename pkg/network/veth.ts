// The veth pair of one pod: the host end (`tsk` + 8 hex digits of the sandbox id's hash) on the
// bridge with hairpin on, the pod end (`eth0`) created directly in the pod's namespace. Deleting
// the host end deletes both, which is the whole undo.
import { createHash } from 'node:crypto';
import { ipBatch, ipJson } from './netns-exec.js';

export const HOST_VETH_PREFIX = 'tsk';
const hostVethPattern = /^tsk[0-9a-f]{8}$/;

export function hostVethName(sandboxId: string): string {
  return HOST_VETH_PREFIX + createHash('sha256').update(sandboxId).digest('hex').slice(0, 8);
}

export function isHostVethName(name: string): boolean {
  return hostVethPattern.test(name);
}

/** iproute2 lines, run in the node namespace: create the pair, attach the host end, bring it up. */
export function hostSideLines(hostIf: string, bridge: string, podNetns: string, podIf: string, mtu?: number): string[] {
  const m = mtu ? ` mtu ${mtu}` : '';
  return [
    `link add ${hostIf}${m} master ${bridge} up type veth peer name ${podIf}${m} netns ${podNetns}`,
    `link set dev ${hostIf} type bridge_slave hairpin on`,
  ];
}

/** iproute2 lines, run in the pod namespace. */
export function podSideLines(podIf: string, ip: string, prefix: number, gateway: string): string[] {
  return ['link set lo up', `addr add ${ip}/${prefix} dev ${podIf}`, `link set ${podIf} up`, `route add default via ${gateway} dev ${podIf}`];
}

export interface HostVeth {
  name: string;
  master?: string;
}

/** Our host-side veths in the node namespace (by name pattern). */
export async function listHostVeths(netns: string | undefined): Promise<HostVeth[]> {
  const links = await ipJson<{ ifname: string; master?: string }>(netns, ['link', 'show', 'type', 'veth']);
  return links.map((l) => ({ name: l.ifname.split('@')[0]!, master: l.master })).filter((l) => isHostVethName(l.name));
}

export async function hostVethExists(netns: string | undefined, name: string): Promise<boolean> {
  const found = await ipJson<{ ifname: string }>(netns, ['link', 'show', 'dev', name]).catch(() => []);
  return found.length > 0;
}

/** Deletes host veths (and so their pod ends); names already gone are fine. */
export async function deleteHostVeths(netns: string | undefined, names: string[]): Promise<void> {
  if (names.length === 0) return;
  // -force: keep going past links that vanished meanwhile; re-check what is left to report real failures.
  const res = await ipBatch(netns, names.map((n) => `link del ${n}`), { allowFailure: true, force: true });
  if (res.code === 0) return;
  const left = new Set((await listHostVeths(netns)).map((v) => v.name));
  const stuck = names.filter((n) => left.has(n));
  if (stuck.length > 0) await ipBatch(netns, stuck.map((n) => `link del ${n}`));
}
