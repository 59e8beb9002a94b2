// A container's image before it starts: the pull policy (Always, IfNotPresent, Never), pulls
// with the pod's imagePullSecrets, and the image pull back-off (ErrImagePull, ImagePullBackOff).
import type { Container, Pod } from '../api/types.js';
import type { ImageService } from '../runtime/types.js';
import type { ConfigSources } from './config-sources.js';
import { runtimeOps, timed } from './metrics.js';
import type { ContainerRecord, PodContext, WorkerDeps } from './pod-worker-deps.js';
import { pullCredentials } from './pull-secrets.js';
import { goDuration } from '../util/duration.js';
import { isNodeLocalImage, parseImageRef } from '../runtime/image-ref.js';

/**
 * How soon a pod whose image could not be pulled is synced again (the kubelet's pod worker
 * backOffPeriod after a failed sync): within a longer pull back-off, its status turns from
 * ErrImagePull to ImagePullBackOff, as users expect to see it.
 */
const SYNC_BACKOFF_MS = 10_000;

export type ImagePullDeps = Pick<WorkerDeps, 'backoffBaseSec' | 'backoffMaxSec'> & { runtime: ImageService };

/** Whether the image of `c` is there to start it with (pulled if the policy asks); false (the reason in `rec.waiting`) when not yet. */
export async function ensureImage(d: ImagePullDeps, ctx: PodContext, sources: ConfigSources, c: Container, rec: ContainerRecord): Promise<boolean> {
  const rt = d.runtime;
  const image = c.image!;
  // A reference that does not parse is never pulled (the image manager's applyDefaultImageTag).
  try {
    parseImageRef(image);
  } catch (e) {
    const why = (e as Error).message.replace(/^image reference "[^"]*": /, '');
    rec.waiting = { reason: 'InvalidImageName', message: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format: ${why}` };
    ctx.event('Warning', 'InspectFailed', rec.waiting.message!, c.name);
    ctx.event('Warning', 'Failed', 'Error: InvalidImageName', c.name);
    ctx.retryIn(SYNC_BACKOFF_MS);
    return false;
  }
  const present = await rt.imageStatus(image).catch(() => null);
  const policy = c.imagePullPolicy ?? (image.endsWith(':latest') || !/:[^/]+$/.test(image) ? 'Always' : 'IfNotPresent');
  // An image built on the node (tskube.local) has no registry to pull it from again: Always
  // pulls none, as IfNotPresent (the kubelet's pull would fail, and hold the pod, for nothing).
  if (present && (policy !== 'Always' || isNodeLocalImage(image))) {
    ctx.event('Normal', 'Pulled', `Container image "${image}" already present on machine`, c.name);
    return true;
  }
  if (policy === 'Never') {
    rec.waiting = { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` };
    ctx.event('Warning', 'ErrImageNeverPull', rec.waiting.message!, c.name);
    ctx.event('Warning', 'Failed', 'Error: ErrImageNeverPull', c.name);
    // Looked at again after the pod worker's back-off, as the kubelet's failed sync: an image
    // loaded onto the node meanwhile then starts the container.
    ctx.retryIn(SYNC_BACKOFF_MS);
    return false;
  }
  const backoff = (rec.pullBackoff ??= { notBefore: 0, delaySec: 0 });
  if (rec.waiting?.reason === 'ErrImagePull' || rec.waiting?.reason === 'ImagePullBackOff') {
    if (Date.now() < backoff.notBefore) {
      const backingOff = `Back-off pulling image "${image}"`;
      // (the waiting message carries the last pull's error, as 1.32's image manager; the event does not)
      rec.waiting = { reason: 'ImagePullBackOff', message: backoff.lastError ? `${backingOff}: ErrImagePull: ${backoff.lastError}` : backingOff };
      // as the kubelet's image manager reports each back-off it waits out
      ctx.event('Normal', 'BackOff', backingOff, c.name);
      ctx.event('Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
      ctx.retryIn(Math.min(backoff.notBefore - Date.now() + 50, SYNC_BACKOFF_MS));
      return false;
    }
  }
  ctx.event('Normal', 'Pulling', `Pulling image "${image}"`, c.name);
  const t0 = Date.now();
  try {
    await timed(runtimeOps, 'pull_image', () => pull(rt, ctx.pod, sources, image));
  } catch (e) {
    if (present) {
      // Always, but the registry is unreachable: the local copy will do, as containerd would not; say so.
      ctx.event('Warning', 'Failed', `Failed to pull image "${image}": ${(e as Error).message}; using the local copy`, c.name);
      return true;
    }
    backoff.delaySec = Math.min(Math.max(backoff.delaySec * 2, d.backoffBaseSec), d.backoffMaxSec);
    backoff.notBefore = Date.now() + backoff.delaySec * 1000;
    rec.waiting = { reason: 'ErrImagePull', message: `failed to pull image "${image}": ${(e as Error).message}` };
    backoff.lastError = rec.waiting.message;
    ctx.event('Warning', 'Failed', `Failed to pull image "${image}": ${(e as Error).message}`, c.name);
    ctx.event('Warning', 'Failed', 'Error: ErrImagePull', c.name);
    ctx.retryIn(Math.min(backoff.delaySec * 1000, SYNC_BACKOFF_MS));
    return false;
  }
  const took = goDuration(Date.now() - t0);
  const size = (await rt.imageStatus(image).catch(() => null))?.size;
  ctx.event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting).${size ? ` Image size: ${size} bytes.` : ''}`, c.name);
  return true;
}

/** Pulls with each credential the pod's imagePullSecrets offer for the image, in turn (none: anonymously). */
async function pull(rt: ImageService, pod: Pod, sources: ConfigSources, image: string): Promise<void> {
  const creds = pullCredentials(pod, image, sources);
  if (!creds.length) return void (await rt.pullImage(image));
  let last: unknown;
  for (const auth of creds) {
    try {
      return void (await rt.pullImage(image, { auth }));
    } catch (e) {
      last = e;
    }
  }
  throw last;
}
