import { describe, expect, it } from 'vitest';
import { cidrSubtract } from './cidr.js';
import { parseIptablesSave } from './iptables.js';
import { buildNetpolRules, netpolPodChain, netpolRestorePlan, type IsolatedPod } from './netpol-rules.js';

const server: IsolatedPod = { key: 'default/server', uid: 'u1', ip: '10.1.0.2', ingress: [] };
const I = netpolPodChain('TSK', 'I', 'u1');
const E = netpolPodChain('TSK', 'E', 'u1');

describe('cidrSubtract', () => {
  it('splits a block around its holes', () => {
    expect(cidrSubtract('10.0.0.0/8', [])).toEqual(['10.0.0.0/8']);
    expect(cidrSubtract('10.0.0.0/30', ['10.0.0.1/32'])).toEqual(['10.0.0.0/32', '10.0.0.2/31']);
    expect(cidrSubtract('10.0.0.0/24', ['10.0.0.0/25', '10.0.0.128/26'])).toEqual(['10.0.0.192/26']);
    expect(cidrSubtract('10.0.0.0/24', ['10.0.0.0/24'])).toEqual([]);
    expect(cidrSubtract('10.0.0.0/24', ['192.168.0.0/16'])).toEqual(['10.0.0.0/24']);
    expect(cidrSubtract('0.0.0.0/0', ['10.0.0.0/8'])).toHaveLength(8);
  });
});

describe('buildNetpolRules', () => {
  it('default deny: only the pod itself, then DROP', () => {
    const { chains, rules } = buildNetpolRules('TSK', [server]);
    expect(chains).toEqual(['TSK-NWPLCY', I]);
    expect(rules.slice(1)).toEqual([
      `-A TSK-NWPLCY -d 10.1.0.2/32 -m comment --comment "default/server ingress" -j ${I}`,
      `-A ${I} -s 10.1.0.2/32 -m comment --comment "default/server ingress: the pod itself" -j RETURN`,
      `-A ${I} -m comment --comment "default/server ingress: no policy allows it" -j DROP`,
    ]);
  });

  it('allow-all, ipBlock pieces, port ranges, protocols only, UDP and SCTP; duplicates once', () => {
    const pod: IsolatedPod = {
      ...server,
      ingress: [
        { cidr: '10.0.0.0/9', policy: 'ns/a' },
        { cidr: '10.128.0.0/10', port: { protocol: 'TCP', port: 8000, endPort: 8100 }, policy: 'ns/a' },
        { port: { protocol: 'UDP' }, policy: 'ns/b' },
        { port: { protocol: 'SCTP', port: 9 }, policy: 'ns/b' },
        { cidr: '10.0.0.0/9', policy: 'ns/c' },
      ],
      egress: [{ policy: 'ns/all' }],
    };
    const { rules } = buildNetpolRules('TSK', [pod]);
    expect(rules).toContain(`-A ${I} -s 10.0.0.0/9 -m comment --comment "default/server ingress allowed by ns/a" -j RETURN`);
    expect(rules).toContain(`-A ${I} -s 10.128.0.0/10 -p tcp -m tcp --dport 8000:8100 -m comment --comment "default/server ingress allowed by ns/a" -j RETURN`);
    expect(rules).toContain(`-A ${I} -p udp -m comment --comment "default/server ingress allowed by ns/b" -j RETURN`);
    expect(rules).toContain(`-A ${I} -p sctp -m sctp --dport 9 -m comment --comment "default/server ingress allowed by ns/b" -j RETURN`);
    expect(rules.filter((r) => r.includes('-s 10.0.0.0/9'))).toHaveLength(1);
    expect(rules).toContain(`-A ${E} -m comment --comment "default/server egress allowed by ns/all" -j RETURN`);
    // egress jumps come before ingress jumps in the main chain
    const main = rules.filter((r) => r.startsWith('-A TSK-NWPLCY '));
    expect(main.map((r) => r.split(' -j ')[1])).toEqual(['RETURN', E, I]);
  });
});

describe('netpolRestorePlan', () => {
  const saved = (text: string) => parseIptablesSave(text);
  it('hooks FORWARD and INPUT first, deletes stale pod chains, and leaves well placed jumps alone', () => {
    const rules = buildNetpolRules('TSK', [server]);
    const fresh = netpolRestorePlan('TSK', rules, saved('*filter\n:FORWARD ACCEPT [0:0]\n:TSK-FORWARD - [0:0]\n-A FORWARD -j TSK-FORWARD\nCOMMIT\n'));
    expect(fresh.jumpsAdded).toEqual(['FORWARD', 'INPUT']);
    expect(fresh.filter.slice(0, 2)).toEqual([':TSK-NWPLCY - [0:0]', `:${I} - [0:0]`]);
    expect(fresh.filter).toContain('-I FORWARD 1 -m comment --comment "tskube network policies" -j TSK-NWPLCY');
    expect(fresh.filter).toContain('-I INPUT 1 -m comment --comment "tskube network policies" -j TSK-NWPLCY');

    const stale = netpolRestorePlan('TSK', buildNetpolRules('TSK', []), saved(`*filter\n:TSK-NWPLCY - [0:0]\n:${I} - [0:0]\n-A FORWARD -j TSK-NWPLCY\n-A FORWARD -j TSK-FORWARD\n-A INPUT -j TSK-NWPLCY\n-A TSK-NWPLCY -d 10.1.0.2/32 -j ${I}\nCOMMIT\n`));
    expect(stale.jumpsAdded).toEqual([]);
    expect(stale.staleChains).toEqual([I]);
    expect(stale.filter.at(-1)).toBe(`-X ${I}`);

    const misplaced = netpolRestorePlan('TSK', rules, saved('*filter\n-A FORWARD -j TSK-FORWARD\n-A FORWARD -j TSK-NWPLCY\n-A INPUT -j TSK-NWPLCY\nCOMMIT\n'));
    expect(misplaced.jumpsAdded).toEqual(['FORWARD']);
    expect(misplaced.filter).toContain('-D FORWARD -j TSK-NWPLCY');
  });
});
