#!/usr/bin/env node
// tskube controller-manager: node IPAM, node lifecycle, pod GC, workloads, disruption budgets, autoscaling, service accounts.
import { readFileSync } from 'node:fs';
import { findKubeconfig, loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { connect, parseTransport } from '../../pkg/client/connect.js';
import { secureServingFlags, startDelegatedServing } from '../../pkg/client/delegated-serving.js';
import { controllerManagerUserAgent } from '../../pkg/client/user-agent.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { defaultHorizontalConfig as h } from '../../pkg/controllers/horizontal.js';
import { parseDuration } from '../../pkg/util/duration.js';
import { parseFlags, usage } from '../../pkg/util/flags.js';
import { logger } from '../../pkg/util/log.js';
import { onStopSignal, runMain } from '../../pkg/util/main.js';

const d = defaultControllerConfig;
const spec = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig (default: $KUBECONFIG, then /var/lib/tskube/controller-manager.kubeconfig)' },
  'api-transport': { type: 'string', default: 'auto', help: 'how to reach the apiserver: grpc, rest, or auto (gRPC when the kubeconfig names its gRPC frontend)' },
  'cluster-cidr': { type: 'string', default: d.clusterCIDR, help: 'the pod network of the cluster' },
  'node-cidr-mask-size': { type: 'number', default: d.nodeCIDRMaskSize, help: 'size of each node\'s podCIDR' },
  'allocate-node-cidrs': { type: 'boolean', default: true, help: 'allocate Node.spec.podCIDR' },
  'node-monitor-grace-period': { type: 'number', default: d.nodeMonitorGracePeriodMs / 1000, help: 'seconds without a lease renewal before a node is Unknown' },
  'node-monitor-period': { type: 'number', default: d.nodeMonitorPeriodMs / 1000, help: 'seconds between node health checks' },
  'node-startup-grace-period': { type: 'number', default: 60, help: 'seconds a registered node may go without posting its Ready condition before it is Unknown' },
  ...secureServingFlags(10257),
  'leader-elect': { type: 'boolean', default: true, help: 'run only while holding the kube-system/kube-controller-manager lease' },
  'root-ca-file': { type: 'string', default: '', help: 'the cluster CA bundle (PEM) published in every namespace as kube-root-ca.crt and put in token secrets (default: the kubeconfig\'s CA)' },
  'cluster-signing-cert-file': { type: 'string', default: '', help: 'the CA certificate (PEM; the apiserver\'s DATA_DIR/pki/ca.crt) the CSR signer issues kubernetes.io/kube-apiserver-client certificates from' },
  'cluster-signing-key-file': { type: 'string', default: '', help: 'its key (PEM; DATA_DIR/pki/ca.key); without both the CSR signer does not run' },
  'cluster-signing-duration': { type: 'string', default: '8760h', help: 'the longest certificate the CSR signer issues' },
  'service-account-private-key-file': { type: 'string', default: '', help: 'the service account signing key (PEM; the apiserver\'s DATA_DIR/pki/sa.key) legacy token secrets are signed with; without it they are not filled in' },
  'horizontal-pod-autoscaler-sync-period': { type: 'string', default: '15s', help: 'how often each HorizontalPodAutoscaler is reconciled (a duration: 15s, 1m)' },
  'horizontal-pod-autoscaler-tolerance': { type: 'number', default: h.tolerance, help: 'the least change of the usage-to-target ratio that rescales' },
  'horizontal-pod-autoscaler-downscale-stabilization': { type: 'string', default: '5m0s', help: 'a scale down takes the highest recommendation of this past window' },
  'horizontal-pod-autoscaler-cpu-initialization-period': { type: 'string', default: '5m0s', help: 'after its start, a pod\'s CPU samples count only once it is ready' },
  'horizontal-pod-autoscaler-initial-readiness-delay': { type: 'string', default: '30s', help: 'an unready pod this soon after its start is taken as not yet ready' },
  controllers: { type: 'list', default: ['*'], help: 'controllers to run: * for those on by default, NAME to enable one, -NAME to disable one; as yet it switches only csrapproving (on by default: approves kubelet client certificate requests whose requestor may create certificatesigningrequests/nodeclient or selfnodeclient), csrcleaner (on by default: deletes requests an hour after they were issued, denied or failed, a day after they were made when still pending, and once their certificate has expired), tokencleaner and bootstrapsigner (off by default, as in 1.32: --controllers=*,bootstrapsigner,tokencleaner signs kube-public/cluster-info with the bootstrap tokens and deletes expired token Secrets)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
} as const;

async function main(): Promise<void> {
  const { flags } = parseFlags(spec, process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`Usage: tskube-controller-manager [flags]\n${usage(spec)}\n`);
    return;
  }
  const kubeconfig = loadKubeconfig(findKubeconfig(flags.kubeconfig || undefined));
  const client = connect(kubeconfig, parseTransport(flags['api-transport']), controllerManagerUserAgent());
  const rootCA = flags['root-ca-file'] ? readFileSync(flags['root-ca-file'], 'utf8') : kubeconfig.caCert;
  const cm = new ControllerManager(client, {
    ...d,
    clusterCIDR: flags['cluster-cidr'],
    nodeCIDRMaskSize: flags['node-cidr-mask-size'],
    allocateNodeCIDRs: flags['allocate-node-cidrs'],
    nodeMonitorGracePeriodMs: flags['node-monitor-grace-period'] * 1000,
    nodeMonitorPeriodMs: flags['node-monitor-period'] * 1000,
    nodeStartupGracePeriodMs: flags['node-startup-grace-period'] * 1000,
    leaderElect: flags['leader-elect'],
    controllers: flags.controllers,
    // (the CSR approver's SubjectAccessReviews go over REST whatever the transport)
    accessReviewClient: client instanceof RestClient ? undefined : new RestClient(kubeconfig, { maxSockets: 2, userAgent: controllerManagerUserAgent() }),
    rootCA,
    serviceAccountPrivateKeyFile: flags['service-account-private-key-file'] || undefined,
    clusterSigning: flags['cluster-signing-cert-file'] && flags['cluster-signing-key-file'] ? { caCertFile: flags['cluster-signing-cert-file'], caKeyFile: flags['cluster-signing-key-file'], maxDurationMs: parseDuration(flags['cluster-signing-duration']) } : undefined,
    horizontal: {
      syncPeriodMs: parseDuration(flags['horizontal-pod-autoscaler-sync-period']),
      tolerance: flags['horizontal-pod-autoscaler-tolerance'],
      downscaleStabilizationMs: parseDuration(flags['horizontal-pod-autoscaler-downscale-stabilization']),
      cpuInitializationPeriodMs: parseDuration(flags['horizontal-pod-autoscaler-cpu-initialization-period']),
      initialReadinessDelayMs: parseDuration(flags['horizontal-pod-autoscaler-initial-readiness-delay']),
    },
    // (as kube-controller-manager's OnStoppedLeading: its supervisor starts it again, and it campaigns afresh)
    onLeadershipLost: () => {
      logger('controller-manager').error('leaderelection lost');
      process.exit(1);
    },
  });
  // (made beside the controllers' start: a self-signed pair's RSA keys take a few hundred ms)
  const serving = startDelegatedServing(flags, { pairName: 'kube-controller-manager', userAgent: controllerManagerUserAgent() });
  const stop = async () => {
    await cm.stop();
    (await serving.catch(() => undefined))?.close();
    client.close();
    process.exit(0);
  };
  onStopSignal(stop);
  await Promise.all([serving, cm.start()]);
}

runMain('controller-manager', main);
