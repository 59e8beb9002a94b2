#!/usr/bin/env node
// tskube node agent: runs the pods bound to this node.
import { normalizeSysctl, sysctlNamespace } from '../../pkg/nodeagent/sysctls.js';
import { cpus, hostname, totalmem } from 'node:os';
import { parseQuantity } from '../../pkg/api/quantity.js';
import { nodeResources } from '../../pkg/nodeagent/node-pressure.js';
import { applyKubeletConfigFile, givenFlags, KubeletConfigFileError, loadKubeletConfigFile, type KubeletConfigFile } from '../../pkg/nodeagent/kubelet-config-file.js';
import { goParseDuration, nodeStatusSettings } from '../../pkg/nodeagent/node-status-settings.js';
import { CgroupEnforcementError } from '../../pkg/nodeagent/reserved-cgroups.js';
import { parseBindAddress } from '../../pkg/nodeagent/proxy-metrics-server.js';
import { aggregateErrors, enforceNodeAllocatableErrors, parseReservation, ReservationError, reservationMap, validateNodeAllocatable, type Reservations } from '../../pkg/nodeagent/node-allocatable.js';
import { isNodeForbiddenLabel } from '../../pkg/api/node-labels.js';
import { findKubeconfig, loadKubeconfig } from '../../pkg/client/kubeconfig.js';
import { loadClientCert, requestNodeCertificate } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { ClientCertificateManager } from '../../pkg/nodeagent/cert-rotation.js';
import { startServingCertificate } from '../../pkg/nodeagent/serving-cert.js';
import { rotationStart, type RotationStart } from '../../pkg/nodeagent/client-rotation-start.js';
import { join } from 'node:path';
import { connect, parseTransport } from '../../pkg/client/connect.js';
import { RestClient } from '../../pkg/client/rest-client.js';
import { GrpcApiClient } from '../../pkg/client/grpc-client.js';
import { clientCAFor } from '../../pkg/nodeagent/delegated-auth.js';
import { DynamicClientCA } from '../../pkg/nodeagent/client-ca.js';
import { kubeletUserAgent } from '../../pkg/client/user-agent.js';
import { defaultMemoryReducer, eventLoopBusy, startMemoryReducer } from '../../pkg/util/memory-reducer.js';
import { NodeAgent, defaultAgentConfig } from '../../pkg/nodeagent/agent.js';
import { parseIngressFlag } from '../../pkg/nodeagent/ingress-controller.js';
import { startAgentServer } from '../../pkg/nodeagent/server.js';
import { startHealthzServer } from '../../pkg/nodeagent/healthz.js';
import { FlagError, parseFlags, usage } from '../../pkg/util/flags.js';
import { onStopSignal, runMain } from '../../pkg/util/main.js';
import { DEFAULT_EVICTION_HARD, ThresholdError, parseEvictionSettings } from '../../pkg/nodeagent/eviction-thresholds.js';
import { logger } from '../../pkg/util/log.js';

const d = defaultAgentConfig(hostname().toLowerCase());
const spec = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig with this node\'s credentials (with --bootstrap-kubeconfig: where the bootstrapped one is written)' },
  'bootstrap-kubeconfig': { type: 'string', default: '', help: 'a kubeconfig (e.g. with a bootstrap token) to ask for a client certificate with when --kubeconfig is missing or its certificate is invalid or expired, as the kubelet\'s: the request is a kubernetes.io/kube-apiserver-client-kubelet CSR for system:node:NODE-NAME, and --kubeconfig is written to use the signed certificate' },
  'rotate-certificates': { type: 'boolean', default: false, help: 'renew the client certificate before it expires, as the kubelet\'s: at 70-90% of its lifetime a new key is asked for with a CSR the csrapproving controller approves as selfnodeclient, stored in --cert-dir, and new connections use the new pair; the bootstrapped certificate with --bootstrap-kubeconfig, else the certificate of --kubeconfig (a kubeconfig with a token alone has none to renew)' },
  'cert-dir': { type: 'string', default: '', help: 'where the bootstrapped client certificate and key are kept (kubelet-client-current.pem; default DATA_DIR/pki)' },
  'client-ca-file': { type: 'string', default: '', help: 'a request to the agent\'s HTTPS port presenting a client certificate signed by one of these authorities is authenticated as the certificate\'s CommonName (its Organizations the groups), then authorized with a SubjectAccessReview, as the apiserver\'s kube-apiserver-kubelet-client is; the file is read again when it changes (default: the cluster CA of --kubeconfig)' },
  config: { type: 'string', default: '', help: 'a KubeletConfiguration file (kubelet.config.k8s.io/v1beta1, YAML or JSON): its systemReserved, kubeReserved, eviction*, imageGC*, maxPods, clusterDomain, clusterDNS, staticPodPath, port, podCIDR, allowedUnsafeSysctls, registerWithTaints, rotateCertificates and authentication.x509.clientCAFile set the matching flags (flags given on the command line win); nodeLeaseDurationSeconds (default 40, the Lease renewed every 25% of it), nodeStatusUpdateFrequency (10s) and nodeStatusReportFrequency (5m, or the file\'s nodeStatusUpdateFrequency) pace the node\'s Lease and status; serverTLSBootstrap: true serves the HTTPS port with a kubernetes.io/kubelet-serving certificate for the node\'s name and --node-ip, asked for with a CSR an admin approves (kubectl certificate approve), the port opening once it is signed' },
  'api-transport': { type: 'string', default: 'auto', help: 'how to reach the apiserver: grpc, rest, or auto (gRPC when the kubeconfig names its gRPC frontend)' },
  'node-name': { type: 'string', default: d.nodeName, help: 'the Node name' },
  'node-ip': { type: 'string', default: d.nodeIP, help: 'the node address other nodes and the apiserver reach' },
  'data-dir': { type: 'string', default: d.dataDir, help: 'state (runtime, network, certificates)' },
  port: { type: 'number', default: d.port, help: 'HTTPS port for logs, exec and metrics' },
  'healthz-port': { type: 'number', default: 10248, help: 'plain HTTP port of /healthz without credentials, as the kubelet\'s (0 disables)' },
  'healthz-bind-address': { type: 'string', default: '127.0.0.1', help: 'address of the --healthz-port server' },
  'node-labels': { type: 'list', default: [], help: 'extra labels k=v' },
  'register-with-taints': { type: 'list', default: [], help: 'taints key=value:Effect' },
  'pod-cidr': { type: 'string', default: '', help: 'this node\'s pod CIDR if the control plane does not allocate one' },
  'cluster-cidr': { type: 'string', default: d.clusterCIDR, help: 'the whole pod network (traffic leaving it is masqueraded)' },
  bridge: { type: 'string', default: d.bridge, help: 'pod bridge name' },
  'max-pods': { type: 'number', default: d.maxPods, help: 'pods capacity' },
  'node-status-update-frequency': { type: 'string', default: '10s', help: 'how often the node\'s status is posted when it changed (DEPRECATED in the kubelet: set nodeStatusUpdateFrequency in --config)' },
  'crashloop-base-seconds': { type: 'number', default: d.backoffBaseSec, help: 'first crash-loop back-off' },
  'crashloop-max-seconds': { type: 'number', default: d.backoffMaxSec, help: 'crash-loop back-off cap' },
  'volume-sync-seconds': { type: 'number', default: d.apiVolumeSyncSec, help: 'how often ConfigMap, Secret and downward-API volumes are refreshed' },
  'cluster-dns': { type: 'string', default: 'serve', help: 'nameservers of ClusterFirst pods: serve (the cluster DNS the agent serves on the pod bridge\'s gateway, kube-system/kube-dns\'s cluster IP once it routes there), none (the node\'s resolvers; no cluster DNS served), or a comma-separated list of addresses (kubeadm\'s clusterDNS: 10.96.0.10; the agent still serves the cluster DNS behind kube-dns)' },
  'cluster-domain': { type: 'string', default: d.clusterDomain, help: 'the cluster\'s DNS domain' },
  'service-proxy': { type: 'boolean', default: d.serviceProxy, help: 'run the service proxy (iptables rules for Services, as kube-proxy); --service-proxy=false removes its rules' },
  'metrics-bind-address': { type: 'string', default: '127.0.0.1:10249', help: 'host:port of the service proxy\'s metrics server (kube-proxy\'s /metrics, /healthz and /proxyMode over plain HTTP); empty disables it' },
  'service-health-address': { type: 'string', default: '', help: 'where the health check node ports of LoadBalancer Services with externalTrafficPolicy Local are served (default: every address of the node)' },
  'network-policy': { type: 'boolean', default: d.networkPolicy, help: 'enforce NetworkPolicies for this node\'s pods (iptables, as kube-router or Calico); --network-policy=off removes their rules' },
  ingress: { type: 'string', default: ':80,:443', help: 'HTTP,HTTPS listen addresses of the ingress controller ([HOST]:PORT or off each, e.g. :8080,off), or off for none' },
  'ingress-insecure-skip-verify': { type: 'boolean', default: false, help: 'do not verify the certificates of HTTPS backends (a Service port 443, a port named https*, or the traefik.ingress.kubernetes.io/service.serversscheme annotation), as Traefik\'s --serversTransport.insecureSkipVerify' },
  'ingress-root-cas': { type: 'list', default: [], help: 'PEM files of the CAs the certificates of HTTPS backends are verified against, in place of the bundled ones (Traefik\'s --serversTransport.rootCAs)' },
  'local-path-dir': { type: 'string', default: '', help: 'where local-path volumes are made on this node (default DATA_DIR/storage)' },
  'runtime-handlers': { type: 'list', default: [], help: 'runtime handlers RuntimeClasses may name: runc (always there) and NAME=PATH of a runc-compatible binary, e.g. runc,debug=/usr/local/bin/runc-debug' },
  'eviction-hard': { type: 'list', default: DEFAULT_EVICTION_HARD.split(','), help: 'hard eviction thresholds SIGNAL<QUANTITY|PERCENT: pods are evicted at once (grace period 0); giving it replaces every default' },
  'eviction-soft': { type: 'list', default: [], help: 'soft eviction thresholds SIGNAL<QUANTITY|PERCENT, each held for its --eviction-soft-grace-period before pods are evicted' },
  'eviction-soft-grace-period': { type: 'list', default: [], help: 'SIGNAL=DURATION for each soft threshold, e.g. memory.available=1m30s' },
  'eviction-minimum-reclaim': { type: 'list', default: [], help: 'SIGNAL=QUANTITY|PERCENT: how much beyond its threshold a signal must recover before pressure ends' },
  'eviction-pressure-transition-period': { type: 'string', default: '5m', help: 'how long a pressure condition stays True after its threshold was last met' },
  'eviction-max-pod-grace-period': { type: 'number', default: 0, help: 'the longest grace period a soft eviction gives a pod, in seconds (0: the pod\'s own)' },
  'image-gc-high-threshold': { type: 'number', default: 85, help: 'image filesystem usage percent at which unused images are garbage collected' },
  'image-gc-low-threshold': { type: 'number', default: 80, help: 'image filesystem usage percent image garbage collection frees down to' },
  'image-minimum-gc-age': { type: 'string', default: '2m', help: 'the youngest an unused image may be to be garbage collected' },
  'cgroup-root': { type: 'string', default: d.cgroupRoot, help: 'the pods cgroup (the kubelet\'s kubepods), limited to the node\'s allocatable: Guaranteed pods in it, Burstable and BestEffort pods in its burstable and besteffort tiers; one per agent on a machine' },
  'system-reserved': { type: 'list', default: [], help: 'resources set aside for the OS\'s daemons, ResourceName=Quantity pairs (cpu=200m,memory=500Mi,ephemeral-storage=1Gi,pid=1000): left out of the Node\'s allocatable and of the pods cgroup\'s limits' },
  'kube-reserved': { type: 'list', default: [], help: 'resources set aside for Kubernetes\' own daemons (this agent, a container runtime), ResourceName=Quantity pairs as --system-reserved' },
  'enforce-node-allocatable': { type: 'list', default: ['pods'], help: 'what node allocatable is enforced on: pods (the pods cgroup capped at the capacity less the reservations, else at the capacity), system-reserved, kube-reserved (the existing cgroups of --system-reserved-cgroup and --kube-reserved-cgroup limited to --system-reserved and --kube-reserved: cpu shares, memory, pids; the agent stops when one is missing), system-reserved-compressible, kube-reserved-compressible (those cgroups limited in cpu shares only; not with the full form), or none' },
  'system-reserved-cgroup': { type: 'string', default: '', help: 'the cgroup of the OS\'s daemons, needed with --enforce-node-allocatable=system-reserved' },
  'kube-reserved-cgroup': { type: 'string', default: '', help: 'the cgroup of Kubernetes\' own daemons, needed with --enforce-node-allocatable=kube-reserved' },
  'allowed-unsafe-sysctls': { type: 'list', default: [], help: 'sysctls pods may set beyond the safe set: names, or prefixes ending in * (net.core.*); of the network and IPC namespaces only' },
  'pod-manifest-path': { type: 'string', default: '', help: 'a directory of static pod manifests (the kubelet\'s staticPodPath): their pods run without the API, with mirror pods in it' },
  'import-images': { type: 'string', default: '', help: 'an OCI image layout (dir or tar) to import at start' },
  help: { type: 'boolean', default: false, help: 'show this help' },
} as const;

/** `runc,name=/path/to/binary`: the extra handlers by name (runc itself needs no path). */
function parseRuntimeHandlers(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list.map((x) => x.trim()).filter(Boolean)) {
    if (item === 'runc') continue;
    const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)=(\/.+)$/.exec(item);
    if (!m || m[1]!.length > 63) throw new FlagError(`invalid runtime handler "${item}": want runc or NAME=/absolute/path (NAME a DNS label)`);
    out[m[1]!] = m[3]!;
  }
  return out;
}

/** A RunE error of the kubelet's command: run.go's "command failed" with the error, then exit 1. */
function commandFailed(err: string): never {
  process.stderr.write(`"command failed" err=${JSON.stringify(err)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const { flags } = parseFlags(spec, process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`Usage: tskube-nodeagent [flags]\n${usage(spec)}\n`);
    return;
  }
  let fileSettings: KubeletConfigFile['settings'] = {};
  if (flags.config) {
    try {
      const file = loadKubeletConfigFile(flags.config);
      fileSettings = file.settings;
      applyKubeletConfigFile(flags as Record<string, unknown>, file, givenFlags(process.argv.slice(2)));
      if (file.ignored.length) logger('nodeagent').info('config file fields this agent has no setting for are left alone', { fields: file.ignored });
    } catch (e) {
      // (the kubelet's RunE error: cobra's "command failed", exit 1, not a flag error's 2)
      if (e instanceof KubeletConfigFileError) commandFailed(`failed to load kubelet config file, path: ${flags.config}, error: ${e.message}`);
      throw e;
    }
  }
  // (the flag as pflag's DurationVar parses it, over what the file set)
  let nodeStatus: ReturnType<typeof nodeStatusSettings>;
  try {
    const updateFlag = givenFlags(process.argv.slice(2)).has('node-status-update-frequency') ? flags['node-status-update-frequency'] : undefined;
    if (updateFlag !== undefined) goParseDuration(updateFlag);
    nodeStatus = nodeStatusSettings(fileSettings as Parameters<typeof nodeStatusSettings>[0], updateFlag);
  } catch (e) {
    throw new FlagError(`invalid argument ${JSON.stringify(flags['node-status-update-frequency'])} for "--node-status-update-frequency" flag: ${(e as Error).message}`);
  }
  // (ValidateKubeletConfiguration's errors stop the kubelet as a RunE error too: exit 1)
  const invalid = aggregateErrors([...nodeStatus.errors, ...enforceNodeAllocatableErrors(flags['enforce-node-allocatable'], flags['system-reserved-cgroup'], flags['kube-reserved-cgroup'])]);
  if (invalid) commandFailed(`failed to validate kubelet configuration, error: ${invalid}`);
  // (the kubelet's NewAllowlist: only sysctls of the pod's own namespaces)
  const notNamespaced = flags['allowed-unsafe-sysctls'].map((s) => normalizeSysctl(s.replace(/\*$/, ''))).find((s) => !sysctlNamespace(s));
  if (notNamespaced !== undefined) throw new FlagError(`--allowed-unsafe-sysctls: the sysctls "${notNamespaced}" are not known to be namespaced`);
  let ingress: ReturnType<typeof parseIngressFlag>;
  try {
    ingress = parseIngressFlag(flags.ingress);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const eviction = {
    ...d.eviction,
    evictionHard: flags['eviction-hard'],
    evictionSoft: flags['eviction-soft'],
    evictionSoftGracePeriod: flags['eviction-soft-grace-period'],
    evictionMinimumReclaim: flags['eviction-minimum-reclaim'],
    pressureTransitionPeriod: flags['eviction-pressure-transition-period'],
    maxPodGracePeriodSec: flags['eviction-max-pod-grace-period'],
    imageGCHighThresholdPercent: flags['image-gc-high-threshold'],
    imageGCLowThresholdPercent: flags['image-gc-low-threshold'],
    imageMinimumGCAge: flags['image-minimum-gc-age'],
  };
  try {
    parseEvictionSettings(eviction);
  } catch (e) {
    if (e instanceof ThresholdError) throw new FlagError(e.message);
    throw e;
  }
  const labels = Object.fromEntries(flags['node-labels'].map((l) => l.split('=') as [string, string]));
  // (as the kubelet: labels the apiserver's NodeRestriction would refuse are refused at start)
  const restricted = Object.keys(labels).filter(isNodeForbiddenLabel);
  if (restricted.length) throw new FlagError(`unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${restricted.join(' ')}]: --node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set (kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch, topology.kubernetes.io/zone, topology.kubernetes.io/region, node.kubernetes.io/instance-type, ...)`);
  // (the pods cgroup below every hierarchy's root: not the root itself, which cannot be limited)
  const cgroupRoot = flags['cgroup-root'].replace(/\/+$/, '');
  if (!/^\/[^\0]+$/.test(cgroupRoot) || cgroupRoot.split('/').some((c) => c === '.' || c === '..')) throw new FlagError(`invalid --cgroup-root "${flags['cgroup-root']}": want an absolute cgroup path below the root, e.g. /tskube`);
  if (flags['metrics-bind-address']) {
    try {
      parseBindAddress(flags['metrics-bind-address']);
    } catch (e) {
      throw new FlagError((e as Error).message);
    }
  }
  let reservations: Reservations;
  try {
    reservations = { kubeReserved: parseReservation('kube-reserved', reservationMap(flags['kube-reserved'])), systemReserved: parseReservation('system-reserved', reservationMap(flags['system-reserved'])) };
  } catch (e) {
    if (e instanceof ReservationError) throw new FlagError(e.message);
    throw e;
  }
  // (validateNodeAllocatable: a reservation beyond the capacity stops the kubelet at start, exit 1)
  const machine = nodeResources(totalmem(), flags['data-dir'], undefined, []).capacity;
  const tooMuch = validateNodeAllocatable(reservations, parseEvictionSettings(eviction).thresholds, { cpu: cpus().length * 1000, memory: parseQuantity(machine.memory!), 'ephemeral-storage': parseQuantity(machine['ephemeral-storage']!) });
  if (tooMuch) {
    logger('nodeagent').error('Failed to start ContainerManager', { err: tooMuch });
    process.exit(1);
  }
  if (flags['bootstrap-kubeconfig']) {
    if (!flags.kubeconfig) throw new FlagError('--bootstrap-kubeconfig needs --kubeconfig: the path the bootstrapped kubeconfig is written to');
    try {
      await loadClientCert({ kubeconfigPath: flags.kubeconfig, bootstrapPath: flags['bootstrap-kubeconfig'], certDir: flags['cert-dir'] || join(flags['data-dir'], 'pki'), nodeName: flags['node-name'] });
    } catch (e) {
      // (the kubelet's run() error: "failed to run Kubelet: ...", a RunE error, exit 1)
      commandFailed(`failed to run Kubelet: ${(e as Error).message}`);
    }
  }
  let kc = loadKubeconfig(findKubeconfig(flags.kubeconfig || undefined, flags['data-dir']));
  // (the node's token, which the apiserver proxies with to a node joined the tskube way)
  const nodeToken = kc.token ?? '';
  const certDir = flags['cert-dir'] || join(flags['data-dir'], 'pki');
  let rotate = flags['rotate-certificates'];
  let initialPair: RotationStart['initialPair'];
  if (rotate) {
    const start = rotationStart(kc, certDir, !!flags['bootstrap-kubeconfig']);
    if (start.skip) logger('nodeagent').warn('client certificate rotation is off', { reason: start.skip });
    rotate = !start.skip;
    kc = start.config;
    initialPair = start.initialPair;
  }
  let clientCA: ReturnType<typeof clientCAFor>;
  try {
    clientCA = clientCAFor(flags['client-ca-file'], kc.caCert);
  } catch (e) {
    // (BuildAuthn's error, returned by the kubelet's run() as it is)
    commandFailed((e as Error).message);
  }
  // (the file is read again when it changes, for the agent's lifetime)
  if (clientCA instanceof DynamicClientCA) clientCA.run();
  const client = connect(kc, parseTransport(flags['api-transport']), kubeletUserAgent());
  // (every client of the agent's: each handshakes with the new pair once it is stored)
  const rotating: (RestClient | GrpcApiClient)[] = [];
  if (rotate) {
    if (client instanceof RestClient || client instanceof GrpcApiClient) rotating.push(client);
    const certificates = new ClientCertificateManager({
      certDir,
      initialPair,
      nodeName: flags['node-name'],
      // (the kubelet exits 1 to bootstrap again on its restart)
      exit: () => process.exit(1),
      // (asked with the current pair, so that it is approved as selfnodeclient; certificateWaitTimeout 15 min)
      request: async (key) => {
        const own = rotating[0] ? undefined : new RestClient(kc, { maxSockets: 2, userAgent: kubeletUserAgent() });
        try {
          return await requestNodeCertificate(rotating[0] ?? own!, key, flags['node-name'], { dir: certDir, generateName: true, timeoutMs: 15 * 60_000 });
        } finally {
          own?.close();
        }
      },
      rotated: (cert, key) => {
        for (const c of rotating) c.setClientCertificate(`${cert.trimEnd()}\n`, key);
      },
    });
    certificates.registerMetrics();
    certificates.start();
  }
  const taints = flags['register-with-taints'].map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t);
    if (!m) throw new FlagError(`invalid taint "${t}": want key=value:Effect`);
    return { key: m[1]!, value: m[2], effect: m[3]! };
  });
  const agent = new NodeAgent(client, {
    ...d,
    nodeName: flags['node-name'],
    nodeIP: flags['node-ip'],
    dataDir: flags['data-dir'],
    port: flags.port,
    labels,
    taints,
    podCIDR: flags['pod-cidr'] || undefined,
    clusterCIDR: flags['cluster-cidr'],
    bridge: flags.bridge,
    maxPods: flags['max-pods'],
    ...nodeStatus.settings,
    backoffBaseSec: flags['crashloop-base-seconds'],
    backoffMaxSec: flags['crashloop-max-seconds'],
    apiVolumeSyncSec: flags['volume-sync-seconds'],
    importImages: flags['import-images'] || undefined,
    clusterDNS: flags['cluster-dns'] === 'serve' || flags['cluster-dns'] === 'none' ? flags['cluster-dns'] : flags['cluster-dns'].split(',').map((s) => s.trim()).filter(Boolean),
    clusterDomain: flags['cluster-domain'],
    serviceProxy: flags['service-proxy'],
    serviceHealthAddress: flags['service-health-address'] || undefined,
    metricsBindAddress: flags['metrics-bind-address'] || undefined,
    networkPolicy: flags['network-policy'],
    ingress,
    ...(flags['ingress-insecure-skip-verify'] || flags['ingress-root-cas'].length ? { ingressServersTransport: { insecureSkipVerify: flags['ingress-insecure-skip-verify'], rootCAs: flags['ingress-root-cas'] } } : {}),
    localPathDir: flags['local-path-dir'] || undefined,
    runtimeHandlers: parseRuntimeHandlers(flags['runtime-handlers']),
    eviction,
    podManifestPath: flags['pod-manifest-path'] || undefined,
    allowedUnsafeSysctls: flags['allowed-unsafe-sysctls'],
    cgroupRoot,
    ...reservations,
    healthzPort: flags['healthz-port'],
    healthzBindAddress: flags['healthz-bind-address'],
    enforceNodeAllocatable: flags['enforce-node-allocatable'],
    systemReservedCgroup: flags['system-reserved-cgroup'] || undefined,
    kubeReservedCgroup: flags['kube-reserved-cgroup'] || undefined,
  });
  await agent.start();
  // (token and access reviews go over REST whatever the transport: the gRPC frontend serves resources only)
  const reviewer = new RestClient(kc, { maxSockets: 2, userAgent: kubeletUserAgent() });
  rotating.push(reviewer);
  const reviews = (path: string, body: unknown) => reviewer.request(path, { method: 'POST', body });
  if (flags['healthz-port'] > 0) startHealthzServer(flags['healthz-bind-address'], flags['healthz-port']);
  const serverOpts = { host: '0.0.0.0', port: flags.port, token: nodeToken, dataDir: flags['data-dir'], nodeIP: flags['node-ip'], reviews, clientCA };
  if (fileSettings.serverTLSBootstrap === true) {
    startServingCertificate({
      client,
      certDir,
      nodeName: flags['node-name'],
      nodeIP: flags['node-ip'],
      listen: (serving) => startAgentServer(agent, { ...serverOpts, serving }),
      failed: (e) => {
        logger('nodeagent').error('fatal', { err: e instanceof Error ? e.stack : String(e) });
        process.exit(1);
      },
    });
  }
  else await startAgentServer(agent, serverOpts);
  // After a wave of pod starts, hand back what it took once the agent is quiet again.
  startMemoryReducer(eventLoopBusy(), { ...defaultMemoryReducer, growthBytes: 8 << 20 });
  const stop = async (sig: string) => {
    // Containers keep running: a restarted agent finds them again.
    logger('nodeagent').info('shutting down; containers keep running', { signal: sig });
    await agent.stop();
    process.exit(0);
  };
  onStopSignal(stop);
}

runMain('nodeagent', main, (e, log) => {
  if (!(e instanceof CgroupEnforcementError)) return false;
  // (the kubelet's containerManager.Start failing: logged, exit 1)
  log.error('Failed to start ContainerManager', { err: e.message });
  return true;
});
