// Vitest global setup: before any test file runs, remove what killed earlier runs left behind
// (see test/helpers/leftovers.ts), so that their iptables rules cannot take this run's traffic.
import { sweepLabLeftovers, sweepNetworkTestLeftovers, sweepNodeLeftovers } from './helpers/leftovers.js';

const warn = (msg: string, dir: string) => console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg, dir }));

export async function setup(): Promise<void> {
  // A sweep that fails must not keep the suite from running: it is said, and the tests go on.
  try {
    for (const dir of await sweepNodeLeftovers()) warn('removed a node cluster whose test process is gone', dir);
    for (const dir of await sweepLabLeftovers()) warn('took down a lab whose test process is gone', dir);
    for (const netns of await sweepNetworkTestLeftovers()) warn('deleted a network test namespace whose test process is gone', netns);
  } catch (e) {
    warn(`sweeping what killed runs left failed: ${(e as Error).message}`, '');
  }
}
