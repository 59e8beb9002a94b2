// The order in which a pod's containers are stopped (the kubelet's terminationOrdering, KEP-753):
// app containers (and any other non-sidecar container) at once; each sidecar only once every app
// container and every sidecar declared after it has exited, so sidecars stop in the reverse of
// their declaration order and keep serving the app containers while those shut down.
import type { Pod } from '../api/types.js';
import { isSidecar } from '../api/pod-resources.js';

/**
 * Runs `stopOne` for each of `names` (containers to stop); `turn` resolves when that container
 * may be signalled (its preStop hook may run before). Resolves when every stop has finished.
 */
export async function stopInOrder(pod: Pod, names: string[], stopOne: (name: string, turn: Promise<void>) => Promise<void>): Promise<void> {
  const sidecars = (pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name!);
  const others = names.filter((n) => !sidecars.includes(n));
  const firstWave = Promise.all(others.map((n) => stopOne(n, Promise.resolve())));
  let before: Promise<unknown> = firstWave;
  const waves: Promise<unknown>[] = [firstWave];
  for (const name of [...sidecars].reverse()) {
    if (!names.includes(name)) continue;
    const turn = before.then(() => undefined);
    const done = stopOne(name, turn);
    waves.push(done);
    before = Promise.all([before, done]);
  }
  await Promise.all(waves);
}
