#!/usr/bin/env node
// tskube scheduler: binds pending pods to nodes.
import { findKubeconfig, loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { connect, parseTransport } from '../../pkg/client/connect.js';
import { secureServingFlags, startDelegatedServing } from '../../pkg/client/delegated-serving.js';
import { schedulerUserAgent } from '../../pkg/client/user-agent.js';
import { Scheduler, defaultSchedulerConfig } from '../../pkg/scheduler/scheduler.js';
import { parseFlags, usage } from '../../pkg/util/flags.js';
import { logger } from '../../pkg/util/log.js';
import { onStopSignal, runMain } from '../../pkg/util/main.js';

const d = defaultSchedulerConfig;
const spec = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig (default: $KUBECONFIG, then /var/lib/tskube/kubeconfig)' },
  // REST by default: measured in bench/scheduler (5000 nodes / 10k pods), the scheduler spends
  // about 30% more CPU per pod in grpc-js than in Node's HTTPS client (379 vs 326 pods/s).
  'api-transport': { type: 'string', default: 'rest', help: 'how to reach the apiserver: rest (default: cheaper per bind here), grpc, or auto (gRPC when the kubeconfig names its gRPC frontend)' },
  'scheduler-name': { type: 'string', default: d.schedulerName, help: 'pods with this spec.schedulerName (or none) are scheduled' },
  'leader-elect': { type: 'boolean', default: true, help: 'schedule only while holding the kube-system/kube-scheduler lease' },
  'leader-elect-lease-duration': { type: 'number', default: d.leaseDurationSec, help: 'lease duration, seconds' },
  'leader-elect-renew-deadline': { type: 'number', default: d.renewDeadlineSec, help: 'renew deadline, seconds' },
  'leader-elect-retry-period': { type: 'number', default: d.retryPeriodSec, help: 'retry period, seconds' },
  'percentage-of-nodes-to-score': { type: 'number', default: 0, help: 'stop searching after this share of feasible nodes (0: adaptive)' },
  'parallel-binds': { type: 'number', default: d.parallelBinds, help: 'binds in flight' },
  ...secureServingFlags(10259),
  help: { type: 'boolean', default: false, help: 'show this help' },
} as const;

async function main(): Promise<void> {
  const { flags } = parseFlags(spec, process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`Usage: tskube-scheduler [flags]\n${usage(spec)}\n`);
    return;
  }
  const client = connect(loadKubeconfig(findKubeconfig(flags.kubeconfig || undefined)), parseTransport(flags['api-transport']), schedulerUserAgent());
  const s = new Scheduler(client, {
    schedulerName: flags['scheduler-name'],
    leaderElect: flags['leader-elect'],
    leaseDurationSec: flags['leader-elect-lease-duration'],
    renewDeadlineSec: flags['leader-elect-renew-deadline'],
    retryPeriodSec: flags['leader-elect-retry-period'],
    percentageOfNodesToScore: flags['percentage-of-nodes-to-score'],
    parallelBinds: flags['parallel-binds'],
    // (as kube-scheduler's OnStoppedLeading: its supervisor starts it again, and it campaigns afresh)
    onLeadershipLost: () => {
      logger('scheduler').error('Leaderelection lost');
      process.exit(1);
    },
  });
  // (made beside the scheduler's start: a self-signed pair's RSA keys take a few hundred ms)
  const serving = startDelegatedServing(flags, { pairName: 'kube-scheduler', userAgent: schedulerUserAgent(), health: s.healthChecks() });
  const stop = async () => {
    await s.stop();
    (await serving.catch(() => undefined))?.close();
    client.close();
    process.exit(0);
  };
  onStopSignal(stop);
  await Promise.all([serving, s.start()]);
}

runMain('scheduler', main);
