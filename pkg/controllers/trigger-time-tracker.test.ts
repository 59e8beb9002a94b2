import { describe, expect, it } from 'vitest';
import type { Pod, Service } from '../api/types.js';
import { rfc3339Nano, TriggerTimeTracker } from './trigger-time-tracker.js';

const svc: Service = { metadata: { name: 'web', namespace: 'd', creationTimestamp: '2026-01-01T00:00:00Z' } };
const pod = (name: string, since?: string): Pod => ({ metadata: { name }, status: { conditions: since ? [{ type: 'Ready', status: 'True', lastTransitionTime: since }] : [] } });

describe('TriggerTimeTracker', () => {
  it('a new Service: its creation; then the earliest time that moved; none moved: no time', () => {
    const t = new TriggerTimeTracker();
    expect(t.compute('d/web', svc, [pod('a', '2026-01-01T00:00:05Z')])).toBe('2026-01-01T00:00:00Z');
    expect(t.compute('d/web', svc, [pod('a', '2026-01-01T00:00:05Z')])).toBeUndefined();
    expect(t.compute('d/web', svc, [pod('a', '2026-01-01T00:00:09Z'), pod('b', '2026-01-01T00:00:07Z'), pod('c')])).toBe('2026-01-01T00:00:07Z');
    // A pod gone moves nothing.
    expect(t.compute('d/web', svc, [pod('a', '2026-01-01T00:00:09Z')])).toBeUndefined();
    t.deleteService('d/web');
    expect(t.compute('d/web', svc, [])).toBe('2026-01-01T00:00:00Z');
  });

  it('formats as Go RFC3339Nano in UTC', () => {
    expect(rfc3339Nano(Date.parse('2026-01-02T03:04:05Z'))).toBe('2026-01-02T03:04:05Z');
    expect(rfc3339Nano(Date.parse('2026-01-02T03:04:05.120Z'))).toBe('2026-01-02T03:04:05.12Z');
  });
});
