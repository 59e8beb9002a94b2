import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types.js';
import { stopInOrder } from './termination-order.js';

const pod: Pod = {
  metadata: { name: 'p' },
  spec: {
    initContainers: [{ name: 'init' }, { name: 'side-a', restartPolicy: 'Always' }, { name: 'side-b', restartPolicy: 'Always' }],
    containers: [{ name: 'app-1' }, { name: 'app-2' }],
  },
};
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('stopInOrder', () => {
  it('stops app containers together, then sidecars in reverse declaration order', async () => {
    const log: string[] = [];
    await stopInOrder(pod, ['side-a', 'app-1', 'side-b', 'app-2'], async (name, turn) => {
      log.push(`prestop ${name}`);
      await turn;
      log.push(`stop ${name}`);
      await tick();
      log.push(`exited ${name}`);
    });
    // every preStop runs at once; a sidecar is signalled only after all before it in the order exited
    expect(log.slice(0, 4).sort()).toEqual(['prestop app-1', 'prestop app-2', 'prestop side-a', 'prestop side-b']);
    const at = (s: string) => log.indexOf(s);
    expect(at('stop side-b')).toBeGreaterThan(Math.max(at('exited app-1'), at('exited app-2')));
    expect(at('stop side-a')).toBeGreaterThan(at('exited side-b'));
  });

  it('skips containers that are not running and waits for nothing else', async () => {
    const stopped: string[] = [];
    await stopInOrder(pod, ['side-a'], async (name, turn) => {
      await turn;
      stopped.push(name);
    });
    expect(stopped).toEqual(['side-a']);
  });
});
