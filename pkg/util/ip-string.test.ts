import { describe, expect, it } from 'vitest';
import { ipString } from './ip-string.js';

describe('ipString', () => {
  it("writes an address as Go's net.ParseIP(s).String() does", () => {
    const cases: [string, string][] = [
      ['10.0.0.1', '10.0.0.1'],
      ['::1', '::1'],
      ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['fe80::0:1', 'fe80::1'],
      ['::ffff:192.0.2.1', '192.0.2.1'],
      ['::ffff:c000:201', '192.0.2.1'],
      ['::192.0.2.1', '::c000:201'],
      ['example.com', 'example.com'],
    ];
    for (const [given, go] of cases) expect([given, ipString(given)]).toEqual([given, go]);
  });
});
