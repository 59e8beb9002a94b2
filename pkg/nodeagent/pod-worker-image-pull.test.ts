// A container's image against a fake image service: pull policies, the pull back-off, and that
// it stays apart from the restart back-off.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigSources } from './config-sources.js';
import { restartAllowed } from './pod-worker-crash-loop.js';
import type { ContainerRecord, PodContext } from './pod-worker-deps.js';
import { ensureImage, type ImagePullDeps } from './pod-worker-image-pull.js';
import type { ContainerStatus } from '../runtime/types.js';

function setup() {
  const calls: string[] = [];
  let registryUp = false;
  const runtime = {
    imageStatus: async () => null,
    pullImage: async (image: string) => {
      calls.push(`pull ${image}`);
      if (!registryUp) throw new Error('connection refused');
      return {};
    },
  } as unknown as ImagePullDeps['runtime'];
  const d: ImagePullDeps = { runtime, backoffBaseSec: 10, backoffMaxSec: 300 };
  const ctx: PodContext = {
    pod: { metadata: { name: 'p', namespace: 'default', uid: 'u' } },
    uid: 'u',
    key: 'default/p',
    podIP: '',
    event: (_t, reason) => void calls.push(`event ${reason}`),
    retryIn: (ms) => void calls.push(`retry ${Math.round(ms / 1000)}s`),
    kick: () => {},
  };
  const rec: ContainerRecord = { notBefore: 0, delaySec: 0, ready: false, started: false, probers: [] };
  return { d, ctx, rec, calls, up: () => (registryUp = true) };
}

describe('image pulls', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('back off after a failed pull (ErrImagePull, then ImagePullBackOff), and retry once it is up', async () => {
    const t = setup();
    const c = { name: 'app', image: 'registry.local/app:v1' };
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec)).toBe(false);
    expect(t.rec.waiting?.reason).toBe('ErrImagePull');
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec)).toBe(false);
    expect(t.rec.waiting?.reason).toBe('ImagePullBackOff');
    // (1.32: the waiting message carries the last pull's error)
    expect(t.rec.waiting?.message).toBe('Back-off pulling image "registry.local/app:v1": ErrImagePull: failed to pull image "registry.local/app:v1": connection refused');
    // (the kubelet's events: the failure and ErrImagePull, then each back-off waited out: BackOff and ImagePullBackOff)
    expect(t.calls).toEqual(['event Pulling', 'pull registry.local/app:v1', 'event Failed', 'event Failed', 'retry 10s', 'event BackOff', 'event Failed', 'retry 10s']);
    vi.advanceTimersByTime(10_000);
    t.up();
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec)).toBe(true);
  });

  it('within a longer pull back-off the pod is synced every 10 s, so ErrImagePull turns into ImagePullBackOff', async () => {
    const t = setup();
    const c = { name: 'app', image: 'registry.local/app:v1' };
    await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec);
    vi.advanceTimersByTime(10_000);
    t.calls.length = 0;
    // the second failure backs off 20 s; the next sync is in 10 s, and reports ImagePullBackOff
    await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec);
    expect(t.calls).toEqual(['event Pulling', 'pull registry.local/app:v1', 'event Failed', 'event Failed', 'retry 10s']);
    vi.advanceTimersByTime(10_000);
    t.calls.length = 0;
    await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec);
    expect(t.rec.waiting?.reason).toBe('ImagePullBackOff');
    expect(t.calls).toEqual(['event BackOff', 'event Failed', 'retry 10s']);
  });

  it('an image built on the node (tskube.local) is never pulled again, even with Always', async () => {
    const t = setup();
    const d = { ...t.d, runtime: { ...t.d.runtime, imageStatus: async () => ({ id: 'sha256:1' }) } } as unknown as ImagePullDeps;
    expect(await ensureImage(d, t.ctx, new ConfigSources(), { name: 'app', image: 'tskube.local/busybox:latest' }, t.rec)).toBe(true);
    expect(await ensureImage(d, t.ctx, new ConfigSources(), { name: 'app', image: 'tskube.local/busybox', imagePullPolicy: 'Always' }, t.rec)).toBe(true);
    expect(t.calls).toEqual(['event Pulled', 'event Pulled']);
    // (another registry's :latest image is pulled each time, as the kubelet does)
    t.up();
    expect(await ensureImage(d, t.ctx, new ConfigSources(), { name: 'app', image: 'registry.local/app:latest' }, t.rec)).toBe(true);
    expect(t.calls.slice(2)).toEqual(['event Pulling', 'pull registry.local/app:latest', 'event Pulled']);
  });

  it('a pull back-off does not delay the first restart of the container once it runs', async () => {
    const t = setup();
    const c = { name: 'app', image: 'registry.local/app:v1' };
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec)).toBe(false);
    vi.advanceTimersByTime(10_000);
    t.up();
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), c, t.rec)).toBe(true);
    t.rec.waiting = undefined; // (as a successful start leaves it)
    vi.advanceTimersByTime(1000);
    const crashed = { startedAt: new Date(Date.now() - 500).toISOString(), finishedAt: new Date().toISOString() } as ContainerStatus;
    expect(restartAllowed(t.d, t.ctx, c, crashed, t.rec)).toBe(true);
  });
});

describe('pull policy Never', () => {
  it('an absent image holds the container (ErrImageNeverPull), is never pulled, and is looked for again after the back-off', async () => {
    const t = setup();
    let present = false;
    const d = { ...t.d, runtime: { ...t.d.runtime, imageStatus: async () => (present ? { id: 'sha256:1' } : null) } } as unknown as ImagePullDeps;
    const c = { name: 'app', image: 'registry.local/app:v1', imagePullPolicy: 'Never' };
    expect(await ensureImage(d, t.ctx, new ConfigSources(), c, t.rec)).toBe(false);
    expect(t.rec.waiting).toEqual({ reason: 'ErrImageNeverPull', message: 'Container image "registry.local/app:v1" is not present with pull policy of Never' });
    // (the kubelet's two events, then its pod worker's back-off)
    expect(t.calls).toEqual(['event ErrImageNeverPull', 'event Failed', 'retry 10s']);
    present = true;
    expect(await ensureImage(d, t.ctx, new ConfigSources(), c, t.rec)).toBe(true);
    expect(t.calls.filter((x) => x.startsWith('pull'))).toEqual([]);
  });
});

describe('an image reference that does not parse', () => {
  it('holds the container (InvalidImageName) with the kubelet\'s events, and is never pulled', async () => {
    const t = setup();
    expect(await ensureImage(t.d, t.ctx, new ConfigSources(), { name: 'app', image: 'Bad_Image::x' }, t.rec)).toBe(false);
    expect(t.rec.waiting?.reason).toBe('InvalidImageName');
    expect(t.rec.waiting?.message).toMatch(/^Failed to apply default image tag "Bad_Image::x": couldn't parse image name "Bad_Image::x": invalid reference format/);
    expect(t.calls).toEqual(['event InspectFailed', 'event Failed', 'retry 10s']);
  });
});
