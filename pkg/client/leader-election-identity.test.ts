// The holder identity a leader-elected component puts in its Lease when none is configured.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultIdentity } from './leader-election.js';

describe('defaultIdentity', () => {
  it('is the host name, an underscore and a UUID, new for each elector, as 1.32 components make it', () => {
    const a = defaultIdentity();
    const b = defaultIdentity();
    expect(a).toMatch(new RegExp(`^${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
    expect(b).not.toBe(a);
  });
});
