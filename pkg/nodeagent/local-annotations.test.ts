import { describe, expect, it } from 'vitest';
import { volumePayload } from './api-volumes.js';
import { rfc3339Nano, withLocalAnnotations } from './local-annotations.js';
import type { Pod } from '../api/types.js';
import { ConfigSources } from './config-sources.js';

describe("the kubelet's local annotations", () => {
  it('prints the first-seen time as Go RFC3339Nano does', () => {
    expect(rfc3339Nano(new Date('2026-12-03T04:53:12.120Z'))).toBe('2026-12-03T04:53:12.12Z');
    expect(rfc3339Nano(new Date('2026-12-03T04:53:00.000Z'))).toBe('2026-12-03T04:53:00Z');
    expect(rfc3339Nano(new Date('2026-12-03T04:53:00.105Z'))).toBe('2026-12-03T04:53:00.105Z');
  });

  it('are in the downward API annotations file of a pod from the API, not of a static pod', () => {
    const pod: Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u', annotations: { builder: 'bar' } },
      spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', downwardAPI: { items: [{ path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }] } }] },
    };
    const local = withLocalAnnotations(pod, '2026-12-03T04:53:12.12Z');
    const payload = volumePayload(local.spec!.volumes![0]!, local, new ConfigSources());
    expect(Buffer.from(payload.get('annotations')!.data).toString()).toBe('builder="bar"\nkubernetes.io/config.seen="2026-12-03T04:53:12.12Z"\nkubernetes.io/config.source="api"');
    // (the API's object is left alone)
    expect(pod.metadata!.annotations).toEqual({ builder: 'bar' });
    const staticPod: Pod = { ...pod, metadata: { ...pod.metadata, annotations: { 'kubernetes.io/config.source': 'file', 'kubernetes.io/config.seen': 'x' } } };
    expect(withLocalAnnotations(staticPod, 'y')).toBe(staticPod);
  });
});
