// kube-apiserver 1.32's checks of --service-cluster-ip-range against itself and --advertise-address.
import { describe, expect, it } from 'vitest';
import { completeServiceIPRanges, formatIpNet, parseAdvertiseAddress, tskubeServiceIPRange, validateServiceIPRanges } from './service-ip-range-options.js';

const check = (range: string, advertise: string) => validateServiceIPRanges(completeServiceIPRanges(range, '10.96.0.0/16'), advertise);

describe('validatePublicIPServiceClusterIPRangeIPFamilies', () => {
  it('refuses an IPv6 advertised address with an IPv4 range, and the reverse, in 1.32\'s words', () => {
    expect(check('10.96.0.0/16', 'fd00:0:0::1')).toEqual(['service IP family "10.96.0.0/16" must match public address family "fd00::1"']);
    expect(check('fd00:10::/112', '192.0.2.10')).toEqual(['service IP family "fd00:10::/112" must match public address family "192.0.2.10"']);
    // (the default range, an empty flag's)
    expect(check('', '::1')).toEqual(['service IP family "10.96.0.0/16" must match public address family "::1"']);
  });

  it('takes ranges of the advertised address\'s family, an IPv4-mapped address as IPv4', () => {
    expect(check('10.96.0.0/16', '192.0.2.10')).toEqual([]);
    expect(check('10.96.0.0/16', '::ffff:192.0.2.10')).toEqual([]);
    expect(check('fd00:10::/112', 'fd00::1')).toEqual([]);
    expect(check('10.96.0.0/16,fd00:10::/112', '127.0.0.1')).toEqual([]);
  });
});

describe('validateClusterIPFlags', () => {
  it('refuses more than two ranges, two of one family, and ranges past 2^20 addresses', () => {
    expect(check('10.96.0.0/16,10.97.0.0/16,fd00::/112', '127.0.0.1')).toEqual(['--service-cluster-ip-range must not contain more than two entries', '--service-cluster-ip-range[0] and --service-cluster-ip-range[1] must be of different IP family']);
    expect(check('10.0.0.0/8', '127.0.0.1')).toEqual(['specified --service-cluster-ip-range is too large; for 32-bit addresses, the mask must be >= 12']);
    expect(check('10.0.0.0/12', '127.0.0.1')).toEqual([]);
    expect(check('fd00::/64', 'fd00::1')).toEqual(['specified --service-cluster-ip-range is too large; for 128-bit addresses, the mask must be >= 108']);
    expect(check('10.96.0.0/16,fd00::/64', '127.0.0.1')).toEqual(['specified --service-cluster-ip-range[1] is too large; for 128-bit addresses, the mask must be >= 108']);
  });
});

describe('getServiceIPAndRanges (Complete)', () => {
  it('refuses a range that is no CIDR, or under 8 addresses', () => {
    expect(() => completeServiceIPRanges('nope', '')).toThrow(/^service-cluster-ip-range\[0\] is not a valid cidr$/);
    expect(() => completeServiceIPRanges('10.96.0.0/33', '')).toThrow(/^service-cluster-ip-range\[0\] is not a valid cidr$/);
    expect(() => completeServiceIPRanges('10.96.0.0/30', '')).toThrow(/^error determining service IP ranges for primary service cidr: the service cluster IP range must be at least 8 IP addresses$/);
    expect(() => completeServiceIPRanges('10.96.0.0/16,nope', '')).toThrow(/^service-cluster-ip-range\[1\] is not an ip net$/);
  });

  it('reads a range with host bits set as its network (ParseCIDRSloppy)', () => {
    const r = completeServiceIPRanges('10.96.3.4/16,fd00:0:0:0:0:0:a:1/112', '');
    expect(formatIpNet(r.primary)).toBe('10.96.0.0/16');
    expect(formatIpNet(r.secondary!)).toBe('fd00::a:0/112');
    expect(r.entries).toBe(2);
  });
});

describe('what tskube serves', () => {
  it('one IPv4 range, as its network', () => {
    expect(tskubeServiceIPRange(completeServiceIPRanges('10.96.3.4/16', ''))).toBe('10.96.0.0/16');
    expect(() => tskubeServiceIPRange(completeServiceIPRanges('fd00::/112', ''))).toThrow('--service-cluster-ip-range: tskube allocates Service IPs from one IPv4 range only; IPv6 and dual-stack Services are not supported (got fd00::/112)');
    expect(() => tskubeServiceIPRange(completeServiceIPRanges('10.96.0.0/16,fd00::/112', ''))).toThrow(/got 10\.96\.0\.0\/16,fd00::\/112\)$/);
  });

  it('an advertised address pflag can parse', () => {
    expect(parseAdvertiseAddress(' 192.0.2.1 ')).toBe('192.0.2.1');
    expect(() => parseAdvertiseAddress('node-1')).toThrow('invalid argument "node-1" for "--advertise-address" flag: failed to parse IP: "node-1"');
  });
});
