import { describe, expect, it } from 'vitest';
import { computeDetachedSignature, detachedTokenIsValid } from './jws.js';

// (the vectors of cluster-bootstrap's jws_test.go, made by go-jose)
const content = 'Hello from the other side. I must have called a thousand times.';

describe('computeDetachedSignature (cluster-bootstrap jws)', () => {
  it('signs as go-jose does', () => {
    expect(computeDetachedSignature(content, 'joshua', 'my voice is my passcode')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8');
    expect(computeDetachedSignature('', 'joshua', 'my voice is my passcode')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..7Ui1ALizW4jXphVUB7xUqC9vLYLL9RZeOFfVLoB7Tgk');
    expect(computeDetachedSignature(content, 'joshua', '')).toBe('eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..UfkqvDGiIFxrMnFseDj9LYJOLNrvjW8aHhF71mvvAs8');
  });

  it('checks a signature', () => {
    const sig = 'eyJhbGciOiJIUzI1NiIsImtpZCI6Impvc2h1YSJ9..VShe2taLd-YTrmWuRkcL_8QTNDHYxQIEBsAYYiIj1_8';
    expect(detachedTokenIsValid(sig, content, 'joshua', 'my voice is my passcode')).toBe(true);
    expect(detachedTokenIsValid(`${sig}foo`, content, 'joshua', 'my voice is my passcode')).toBe(false);
  });
});
