// The ExternalName lookup against a stand-in DNS server on loopback (UDP): answers kept for their
// TTL, the node's resolver when the DNS has no answer, an address used as it is.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/helpers/ports.js';
import { decodeQuery, encodeResponse, Rcode, RecordType } from '../dns/wire.js';
import { externalNameLookup } from './external-names.js';

let port = 0;
const asked: string[] = [];
const udp = createSocket('udp4');

beforeAll(async () => {
  port = await freePort();
  // (a.example.test: two addresses for 30 s; anything else: no such name)
  udp.on('message', (m, r) => {
    const q = decodeQuery(m);
    const { name, type } = q.questions[0]!;
    asked.push(`${name} ${type}`);
    const known = name === 'a.example.test' && type === RecordType.A;
    const answers = known ? ['127.0.0.2', '127.0.0.3'].map((address) => ({ name, ttl: 30, type: RecordType.A, address }) as const) : [];
    udp.send(encodeResponse(q, { rcode: name === 'a.example.test' ? Rcode.NoError : Rcode.NXDomain, authoritative: true, answers, authority: [] }, 512), r.port, r.address);
  });
  await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
});
afterAll(() => udp.close());

describe('ExternalName lookup', () => {
  it('asks the cluster DNS, keeps the answer for its TTL, and falls back to the node\'s resolver', async () => {
    let now = 1_000_000;
    const lookup = externalNameLookup(() => [`127.0.0.1:${port}`], () => now);
    expect(await lookup('a.example.test.')).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(asked).toEqual([`a.example.test ${RecordType.A}`]);
    now += 29_000;
    expect(await lookup('a.example.test')).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(asked).toHaveLength(1);
    now += 2_000;
    await lookup('a.example.test');
    expect(asked).toHaveLength(2);
    // (a name the cluster DNS does not know, A then AAAA, then /etc/hosts through the node's resolver)
    expect(await lookup('localhost')).toEqual(expect.arrayContaining([expect.stringMatching(/^(127\.0\.0\.1|::1)$/)]));
    expect(asked.slice(2)).toEqual([`localhost ${RecordType.A}`, `localhost ${RecordType.AAAA}`]);
    // An address is not looked up.
    expect(await lookup('10.1.2.3')).toEqual(['10.1.2.3']);
    expect(asked).toHaveLength(4);
  });
});
