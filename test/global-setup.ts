// Vitest global setup: before any test file runs, remove what killed earlier runs left behind
// (see test/helpers/leftovers.ts), so that their iptables rules cannot take this run's traffic.
import type { TestProject } from 'vitest/node';
import { sweepLabLeftovers, sweepNetworkTestLeftovers, sweepNodeLeftovers } from './helpers/leftovers.js';
import { makePkiTemplate, removePkiTemplate } from './helpers/pki-template.js';

const warn = (msg: string, dir: string) => console.log(JSON.stringify({ level: 'warn', component: 'test-setup', msg, dir }));

let pkiTemplate: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The PKI every control plane of the run starts with (test/helpers/pki-template.ts); without
  // it each apiserver makes its own, as before.
  try {
    pkiTemplate = await makePkiTemplate();
    project.provide('pkiTemplate', pkiTemplate);
  } catch (e) {
    warn(`making the run's PKI failed; each apiserver makes its own: ${(e as Error).message}`, '');
  }
  // A sweep that fails must not keep the suite from running: it is said, and the tests go on.
  try {
    for (const dir of await sweepNodeLeftovers()) warn('removed a node cluster whose test process is gone', dir);
    for (const dir of await sweepLabLeftovers()) warn('took down a lab whose test process is gone', dir);
    for (const netns of await sweepNetworkTestLeftovers()) warn('deleted a network test namespace whose test process is gone', netns);
  } catch (e) {
    warn(`sweeping what killed runs left failed: ${(e as Error).message}`, '');
  }
}

export function teardown(): void {
  if (pkiTemplate) removePkiTemplate(pkiTemplate);
}
