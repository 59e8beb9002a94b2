// Vitest global setup: before any test file runs, remove what killed earlier runs left behind
// (see test/helpers/leftovers.ts), so that their iptables rules cannot take this run's traffic.
import { sweepNodeLeftovers } from './helpers/leftovers.js';

export async function setup(): Promise<void> {
  const removed = await sweepNodeLeftovers();
  for (const dir of removed) console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg: 'removed a node cluster whose test process is gone', dir }));
}
