import { describe, expect, it } from 'vitest';
import type { Event } from '../api/types.js';
import { validateEvent } from '../api/validation-event.js';
import { kubeProxyStarting } from './service-proxy.js';

describe('kube-proxy birth cry', () => {
  it('is the Starting event ProxyServer.birthCry records about its Node through events.k8s.io, which core/v1 validation takes', () => {
    const ev = kubeProxyStarting('node-1', 'host-a') as Event;
    expect(ev).toMatchObject({
      metadata: { namespace: 'default' },
      involvedObject: { kind: 'Node', name: 'node-1', uid: 'node-1' },
      reason: 'Starting',
      type: 'Normal',
      action: 'StartKubeProxy',
      reportingComponent: 'kube-proxy',
      reportingInstance: 'kube-proxy-host-a',
    });
    // (no note, and none of the legacy fields a core/v1 recorder writes)
    for (const f of ['message', 'source', 'count', 'firstTimestamp', 'lastTimestamp']) expect(ev).not.toHaveProperty(f);
    expect(ev.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(ev.metadata?.name).toMatch(/^node-1\.[0-9a-f]+$/);
    expect(validateEvent(ev)).toEqual([]);
  });
});
