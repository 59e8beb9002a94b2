// The order `tsctl down` and `tsctl lab down` stop a cluster's processes in.

/** A process to stop: its pid and its command line (argv). */
export interface StoppingProcess {
  pid: number;
  argv: string[];
}

const isEtcd = (argv: string[]) => argv.some((a) => a === 'etcd' || a.endsWith('/etcd'));
const isApiserver = (argv: string[]) => argv.some((a) => /apiserver/.test(a));

/** An etcd member's name (--name, else --data-dir): its process and its supervisor's share it. */
function etcdMember(argv: string[]): string {
  for (const flag of ['--name', '--data-dir']) {
    const i = argv.indexOf(flag);
    if (i >= 0 && argv[i + 1]) return `${flag}=${argv[i + 1]}`;
    const eq = argv.find((a) => a.startsWith(`${flag}=`));
    if (eq) return eq;
  }
  return '';
}

/**
 * Groups of pids, each stopped (SIGTERM, then waited for) before the next: the clients first
 * (agents, scheduler, controllers talk to the apiserver as they stop), then the apiservers, then
 * the etcd members one at a time. An etcd member told to stop while it leads hands its leadership
 * to its longest-connected peer first (etcd's EtcdServer.Stop, TransferLeadership), waiting up to
 * its request timeout (5 s + two election timeouts: 7 s by default) for the transfer; with every
 * member stopping at once the peers are going too and the leader waits that whole time. One at a
 * time, a leader's peers are there and the transfer takes a heartbeat or two, and the last member,
 * without a quorum, is no leader.
 */
export function stopGroups(procs: StoppingProcess[]): number[][] {
  const clients: number[] = [];
  const apiservers: number[] = [];
  const members = new Map<string, number[]>();
  for (const p of procs) {
    if (isEtcd(p.argv)) {
      const key = etcdMember(p.argv);
      members.set(key, [...(members.get(key) ?? []), p.pid]);
    } else if (isApiserver(p.argv)) apiservers.push(p.pid);
    else clients.push(p.pid);
  }
  return [clients, apiservers, ...members.values()].filter((g) => g.length > 0);
}
