import { describe, expect, it } from 'vitest';
import { stopGroups } from './stop-order.js';

const etcd = (name: string) => ['/usr/bin/etcd', '--name', name, '--data-dir', `/tmp/lab/${name}`, '--listen-client-urls', 'http://127.0.0.1:2379'];
const supervised = (argv: string[]) => ['sh', '-c', 'while :; do "$@" & ...; done', ...argv];
const node = (bin: string, ...rest: string[]) => ['/usr/bin/node', `/work/dist/cmd/${bin}/main.js`, '--data-dir', '/tmp/lab', ...rest];

describe('stopGroups', () => {
  it('stops clients, then apiservers, then each etcd member on its own with its supervisor', () => {
    const groups = stopGroups([
      { pid: 10, argv: etcd('etcd-0') },
      { pid: 11, argv: supervised(etcd('etcd-0')) },
      { pid: 12, argv: etcd('etcd-1') },
      { pid: 13, argv: etcd('etcd-2') },
      { pid: 20, argv: node('apiserver', '--etcd-servers', 'http://127.0.0.1:2379') },
      { pid: 21, argv: supervised(node('apiserver')) },
      { pid: 30, argv: node('nodeagent') },
      { pid: 31, argv: node('scheduler') },
      { pid: 32, argv: node('controller-manager') },
    ]);
    // (members together made a stopping leader wait its whole 7 s transfer timeout)
    expect(groups).toEqual([[30, 31, 32], [20, 21], [10, 11], [12], [13]]);
  });

  it('keeps the apiserver and its embedded etcd (tsctl up) apart, and leaves out empty groups', () => {
    expect(stopGroups([{ pid: 5, argv: ['etcd', '--data-dir=/tmp/c/etcd'] }, { pid: 4, argv: node('apiserver') }])).toEqual([[4], [5]]);
    expect(stopGroups([])).toEqual([]);
  });
});
