import { describe, expect, it } from 'vitest';
import { allocateNodeCIDR, cidrContains, cidrCovers, cidrsOverlap, formatCidr, formatIPv4, hostRange, parseCidr, parseIPv4 } from './cidr.js';
import { ExhaustedError, InvalidArgumentError } from './errors.js';

describe('IPv4 parsing', () => {
  it('round-trips addresses, including the extremes', () => {
    for (const s of ['0.0.0.0', '10.244.1.2', '255.255.255.255', '192.168.0.1']) expect(formatIPv4(parseIPv4(s))).toBe(s);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
  });
  it('rejects malformed addresses', () => {
    for (const s of ['10.244.1', '10.244.1.256', '10.244.01.1', 'a.b.c.d', '1.2.3.4.5', '']) expect(() => parseIPv4(s), s).toThrow(InvalidArgumentError);
  });
  it('parses CIDRs and rejects host bits unless lenient', () => {
    expect(parseCidr('10.244.0.0/16')).toEqual({ network: parseIPv4('10.244.0.0'), prefix: 16 });
    expect(() => parseCidr('10.244.1.0/16')).toThrow(/host bits set/);
    expect(formatCidr(parseCidr('10.244.1.7/16', false))).toBe('10.244.0.0/16');
    expect(() => parseCidr('10.0.0.0/33')).toThrow(InvalidArgumentError);
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
  });
});

describe('CIDR relations', () => {
  const c16 = parseCidr('10.244.0.0/16');
  it('contains, covers, overlaps', () => {
    expect(cidrContains(c16, parseIPv4('10.244.255.255'))).toBe(true);
    expect(cidrContains(c16, parseIPv4('10.245.0.0'))).toBe(false);
    expect(cidrCovers(c16, parseCidr('10.244.3.0/24'))).toBe(true);
    expect(cidrCovers(parseCidr('10.244.3.0/24'), c16)).toBe(false);
    expect(cidrsOverlap(parseCidr('10.244.3.0/24'), c16)).toBe(true);
    expect(cidrsOverlap(parseCidr('10.244.3.0/24'), parseCidr('10.244.4.0/24'))).toBe(false);
  });
  it('a pod CIDR has the gateway at the first host and pods up to broadcast-1', () => {
    const r = hostRange(parseCidr('10.244.1.0/24'));
    expect([formatIPv4(r.gateway), formatIPv4(r.first), formatIPv4(r.last)]).toEqual(['10.244.1.1', '10.244.1.2', '10.244.1.254']);
    const r30 = hostRange(parseCidr('10.0.0.0/30'));
    expect(r30.last - r30.first + 1).toBe(1);
    expect(() => hostRange(parseCidr('10.0.0.0/31'))).toThrow(/too small/);
  });
});

describe('allocateNodeCIDR', () => {
  it('hands out /24s of the cluster CIDR in order, skipping taken ones', () => {
    expect(allocateNodeCIDR('10.244.0.0/16', 24, [])).toBe('10.244.0.0/24');
    expect(allocateNodeCIDR('10.244.0.0/16', 24, ['10.244.0.0/24', '10.244.1.0/24'])).toBe('10.244.2.0/24');
    expect(allocateNodeCIDR('10.244.0.0/16', 24, ['10.244.1.0/24'])).toBe('10.244.0.0/24');
  });
  it('treats taken blocks of other sizes by overlap, and ignores ones outside the cluster', () => {
    // A /23 covers the first two /24s; a /25 blocks the /24 it sits in.
    expect(allocateNodeCIDR('10.244.0.0/16', 24, ['10.244.0.0/23', '10.244.2.128/25'])).toBe('10.244.3.0/24');
    expect(allocateNodeCIDR('10.244.0.0/16', 24, ['192.168.0.0/24', '10.244.0.0/24'])).toBe('10.244.1.0/24');
    // A taken supernet of the whole cluster leaves nothing.
    expect(() => allocateNodeCIDR('10.244.0.0/16', 24, ['10.240.0.0/12'])).toThrow(ExhaustedError);
  });
  it('never returns a taken block across a whole cluster, and reports exhaustion', () => {
    const taken: string[] = [];
    for (let i = 0; i < 16; i++) {
      const next = allocateNodeCIDR('10.244.0.0/20', 24, taken);
      expect(taken).not.toContain(next);
      taken.push(next);
    }
    expect(new Set(taken).size).toBe(16);
    expect(() => allocateNodeCIDR('10.244.0.0/20', 24, taken)).toThrow(ExhaustedError);
  });
  it('fills holes left by deleted nodes, taken order does not matter', () => {
    const taken = ['10.244.5.0/24', '10.244.0.0/24', '10.244.2.0/24', '10.244.1.0/24', '10.244.4.0/24'];
    expect(allocateNodeCIDR('10.244.0.0/16', 24, taken)).toBe('10.244.3.0/24');
  });
  it('rejects a mask size outside cluster prefix..30 and malformed input', () => {
    expect(() => allocateNodeCIDR('10.244.0.0/16', 15, [])).toThrow(InvalidArgumentError);
    expect(() => allocateNodeCIDR('10.244.0.0/16', 31, [])).toThrow(InvalidArgumentError);
    expect(() => allocateNodeCIDR('10.244.0.0/16', 24, ['nonsense'])).toThrow(InvalidArgumentError);
    expect(allocateNodeCIDR('10.244.0.0/16', 16, [])).toBe('10.244.0.0/16');
  });
});
