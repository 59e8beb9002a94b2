import { describe, expect, it } from 'vitest';
import { firstPemBlockBytes, pemBlocks } from './pem.js';

const block = (type: string, b64: string) => `-----BEGIN ${type}-----\n${b64}\n-----END ${type}-----\n`;

describe('pemBlocks', () => {
  it('finds the blocks of one type, whole and in order, and passes over others', () => {
    const a = block('CERTIFICATE', 'AAEC');
    const b = block('CERTIFICATE', 'AwQF');
    const text = `junk\n${a}${block('PRIVATE KEY', 'BgcI')}${b}`;
    expect(pemBlocks(text, 'CERTIFICATE')).toEqual([a.trimEnd(), b.trimEnd()]);
    expect(pemBlocks(text, 'CERTIFICATE REQUEST')).toEqual([]);
    expect(pemBlocks('not a pem', 'CERTIFICATE')).toEqual([]);
  });
});

describe('firstPemBlockBytes', () => {
  it('decodes the first block of the type, whitespace in its body ignored', () => {
    const text = block('CERTIFICATE', 'AAEC') + block('CERTIFICATE REQUEST', 'AQID\nBAUG') + block('CERTIFICATE REQUEST', 'BwgJ');
    expect([...firstPemBlockBytes(text, 'CERTIFICATE REQUEST')!]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(firstPemBlockBytes(text, 'PRIVATE KEY')).toBeUndefined();
  });
});
