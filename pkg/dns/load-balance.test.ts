import { describe, expect, it } from 'vitest';
import { roundRobin } from './load-balance.js';
import { RecordType, type ResourceRecord } from './wire.js';

const a = (address: string): ResourceRecord => ({ name: 'db.default.svc.cluster.local', ttl: 30, type: RecordType.A, address });

describe('roundRobin', () => {
  it('puts CNAMEs first, then other records, then the addresses in a random order', () => {
    const cname: ResourceRecord = { name: 'alias.other.svc.cluster.local', ttl: 30, type: RecordType.CNAME, target: 'db.default.svc.cluster.local' };
    const txt: ResourceRecord = { name: 'x', ttl: 30, type: RecordType.TXT, text: 't' };
    // random() = 0 swaps each address with the first: [a, b, c] becomes [b, c, a]
    expect(roundRobin([a('10.244.0.5'), txt, cname, a('10.244.0.6'), a('10.244.0.7')], () => 0)).toEqual([cname, txt, a('10.244.0.6'), a('10.244.0.7'), a('10.244.0.5')]);
    expect(roundRobin([a('10.244.0.5'), a('10.244.0.6')], () => 0.99)).toEqual([a('10.244.0.5'), a('10.244.0.6')]);
  });

  it('gives every order of a headless service\'s addresses over repeated answers', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(roundRobin([a('10.244.0.5'), a('10.244.0.6'), a('10.244.0.7')]).map((r) => (r.type === RecordType.A ? r.address : '')).join(','));
    expect(seen.size).toBe(6);
  });
});
