#!/usr/bin/env node
// tskube apiserver: parse flags, build the config, run until SIGTERM/SIGINT.
import { ApiServer, DEFAULT_SERVICE_CIDR, defaultConfig } from '../../pkg/apiserver/apiserver.js';
import { loadAdmissionConfig } from '../../pkg/apiserver/admission-config.js';
import { parsePortRange, ServiceAllocator } from '../../pkg/apiserver/registry/service-allocator.js';
import { parseDuration } from '../../pkg/util/duration.js';
import { parseRequestTimeoutFlag } from '../../pkg/apiserver/rest/request-deadline.js';
import { serverConcurrencyLimit } from '../../pkg/apiserver/flowcontrol-dispatch.js';
import { DEFAULT_ISSUER } from '../../pkg/serviceaccount/claims.js';
import { completeServiceIPRanges, parseAdvertiseAddress, tskubeServiceIPRange, validateServiceIPRanges, type ServiceIPRanges } from '../../pkg/apiserver/service-ip-range-options.js';
import { FlagError, parseFlags, usage } from '../../pkg/util/flags.js';
import { onStopSignal, runMain } from '../../pkg/util/main.js';
import { logger } from '../../pkg/util/log.js';

const spec = {
  'data-dir': { type: 'string', default: '/var/lib/tskube/apiserver', help: 'state directory (embedded etcd data, PKI, tokens, kubeconfigs)' },
  'etcd-servers': { type: 'list', default: [], help: 'external etcd endpoints (comma-separated); empty runs an embedded etcd' },
  'etcd-client-port': { type: 'number', default: 2379, help: 'client port of the embedded etcd (loopback)' },
  'etcd-peer-port': { type: 'number', default: 2380, help: 'peer port of the embedded etcd (loopback)' },
  'bind-address': { type: 'string', default: '127.0.0.1', help: 'address to serve HTTPS on' },
  'secure-port': { type: 'number', default: 6443, help: 'HTTPS port (0 picks a free one)' },
  'advertise-address': { type: 'string', default: '127.0.0.1', help: 'address written into kubeconfigs' },
  'tls-san': { type: 'list', default: [], help: 'extra subject alternative names for the serving certificate' },
  'tls-cert-file': { type: 'string', default: '', help: 'serving certificate (default: generated)' },
  'tls-private-key-file': { type: 'string', default: '', help: 'serving key (default: generated)' },
  'kubelet-client-certificate': { type: 'string', default: '', help: 'client certificate shown to the node agents when proxying logs, exec, attach, port-forward and nodes/proxy (default: DATA_DIR/pki/apiserver-kubelet-client.crt, generated)' },
  'kubelet-client-key': { type: 'string', default: '', help: 'its private key (default: DATA_DIR/pki/apiserver-kubelet-client.key, generated)' },
  'kubelet-certificate-authority': { type: 'string', default: '', help: 'CA bundle (PEM) the node agents\' serving certificates must chain to, for the address dialled; default: not verified' },
  'token-auth-file': { type: 'string', default: '', help: 'static token file token,user,uid,"groups" (default: DATA_DIR/tokens.csv)' },
  'enable-logs-handler': { type: 'boolean', default: true, help: 'If true, install a /logs handler for the apiserver logs (the files of /var/log, to those allowed the nonResourceURL /logs/*).' },
  'anonymous-auth': { type: 'boolean', default: true, help: 'requests without credentials run as system:anonymous (group system:unauthenticated) and meet authorization; --anonymous-auth=false answers them 401' },
  'enable-bootstrap-token-auth': { type: 'boolean', default: false, help: 'bearer tokens <id>.<secret> of bootstrap.kubernetes.io/token Secrets kube-system/bootstrap-token-<id> marked usage-bootstrap-authentication=true authenticate as system:bootstrap:<id> (groups system:bootstrappers and their auth-extra-groups), as kubeadm join uses them' },
  'grpc-port': { type: 'number', default: 6444, help: 'gRPC port (0 picks a free one, -1 disables)' },
  'join-token': { type: 'string', default: '', help: 'token nodes join with (default: generated into DATA_DIR/join-token)' },
  'watch-cache-size': { type: 'number', default: 10000, help: 'events kept per resource for watch resumption' },
  'etcd-compaction-interval': { type: 'number', default: 300, help: 'seconds between etcd compactions (0 disables)' },
  'event-ttl': { type: 'string', default: '1h0m0s', help: 'how long events are kept (a duration: 1h0m0s, 30m, 90s)' },
  'request-timeout': { type: 'string', default: '1m0s', help: 'how long a request that is not a watch, log, exec, attach, port-forward or proxy may take before it is answered 504 Timeout (a Go duration; a client\'s ?timeout= can only shorten it)' },
  'max-requests-inflight': { type: 'number', default: 400, help: 'this and --max-mutating-requests-inflight are summed to determine the server\'s total concurrency limit (which must be positive), divided among the API Priority and Fairness priority levels' },
  'max-mutating-requests-inflight': { type: 'number', default: 200, help: 'this and --max-requests-inflight are summed to determine the server\'s total concurrency limit (which must be positive)' },
  'service-cluster-ip-range': { type: 'string', default: DEFAULT_SERVICE_CIDR, help: 'IPv4 CIDR Service cluster IPs are allocated from (must not overlap the pod CIDR, 10.244.0.0/16 by default; at least 8 and at most 2^20 addresses, and of the --advertise-address\'s family, as kube-apiserver 1.32 checks them; tskube has no IPv6 or dual-stack Services)' },
  'service-node-port-range': { type: 'string', default: '30000-32767', help: 'ports NodePort Services are allocated from (MIN-MAX)' },
  'service-account-issuer': { type: 'list', default: [DEFAULT_ISSUER], help: 'the iss of service account tokens; tokens of any listed issuer are accepted, the first is the one new tokens get' },
  'service-account-signing-key-file': { type: 'string', default: '', help: 'private key (PEM, RSA or EC P-256) service account tokens are signed with (default: DATA_DIR/pki/sa.key, generated)' },
  'service-account-key-file': { type: 'list', default: [], help: 'more PEM files of public keys that verify service account tokens' },
  'api-audiences': { type: 'list', default: [], help: 'the API\'s token audiences (default: the first issuer)' },
  'service-account-extend-token-expiration': { type: 'boolean', default: true, help: 'pod-bound tokens asked for 3607 s (the admission plugin\'s) are valid a year, with a warnafter claim' },
  'default-storage-class': { type: 'boolean', default: true, help: 'create the local-path StorageClass (default class, tskube.io/local-path provisioner) at start when it is absent' },
  'admission-control-config-file': { type: 'string', default: '', help: 'an AdmissionConfiguration (apiserver.config.k8s.io/v1); its PodSecurity plugin entry (PodSecurityConfiguration) sets the defaults of unlabelled namespaces and the exempt usernames, runtimeClasses and namespaces' },
  help: { type: 'boolean', default: false, help: 'show this help' },
} as const;

/** A RunE error of kube-apiserver's command: component-base's cli.Run logs "command failed" with the error, then exit 1. */
function commandFailed(err: string): never {
  process.stderr.write(`"command failed" err=${JSON.stringify(err)}\n`);
  process.exit(1);
}

function eventTTLSeconds(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    throw new FlagError(`--event-ttl: ${(e as Error).message}`);
  }
  if (ms < 1000) throw new FlagError(`--event-ttl: must be at least 1s, got "${text}"`);
  return Math.round(ms / 1000);
}

async function main(): Promise<void> {
  const { flags } = parseFlags(spec, process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`Usage: tskube-apiserver [flags]\n${usage(spec)}\n`);
    return;
  }
  const cfg = defaultConfig(flags['data-dir']);
  Object.assign(cfg, {
    etcdServers: flags['etcd-servers'],
    etcdClientPort: flags['etcd-client-port'],
    etcdPeerPort: flags['etcd-peer-port'],
    bindAddress: flags['bind-address'],
    securePort: flags['secure-port'],
    advertiseAddress: flags['advertise-address'],
    certSANs: flags['tls-san'],
    tlsCertFile: flags['tls-cert-file'] || undefined,
    tlsKeyFile: flags['tls-private-key-file'] || undefined,
    kubeletClientCertificate: flags['kubelet-client-certificate'] || undefined,
    kubeletClientKey: flags['kubelet-client-key'] || undefined,
    kubeletCertificateAuthority: flags['kubelet-certificate-authority'] || undefined,
    tokenAuthFile: flags['token-auth-file'] || undefined,
    anonymousAuth: flags['anonymous-auth'],
    enableLogsHandler: flags['enable-logs-handler'],
    enableBootstrapTokenAuth: flags['enable-bootstrap-token-auth'],
    joinToken: flags['join-token'] || undefined,
    watchCacheSize: flags['watch-cache-size'],
    grpcPort: flags['grpc-port'],
    compactionIntervalMs: flags['etcd-compaction-interval'] * 1000,
    eventTTLSeconds: eventTTLSeconds(flags['event-ttl']),
    serviceClusterIPRange: flags['service-cluster-ip-range'],
    serviceNodePortRange: flags['service-node-port-range'],
    serviceAccountIssuers: flags['service-account-issuer'],
    serviceAccountSigningKeyFile: flags['service-account-signing-key-file'] || undefined,
    serviceAccountKeyFiles: flags['service-account-key-file'],
    apiAudiences: flags['api-audiences'],
    serviceAccountExtendTokenExpiration: flags['service-account-extend-token-expiration'],
    defaultStorageClass: flags['default-storage-class'],
  });
  const check = (flag: string, fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      throw new FlagError(`--${flag}: ${(e as Error).message}`);
    }
  };
  try {
    cfg.requestTimeoutMs = parseRequestTimeoutFlag(flags['request-timeout']);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  try {
    cfg.serverConcurrencyLimit = serverConcurrencyLimit(flags['max-requests-inflight'], flags['max-mutating-requests-inflight']);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  const admissionFile = flags['admission-control-config-file'];
  if (admissionFile) check('admission-control-config-file', () => Object.assign(cfg, loadAdmissionConfig(admissionFile)));
  check('service-node-port-range', () => parsePortRange(cfg.serviceNodePortRange));
  try {
    cfg.advertiseAddress = parseAdvertiseAddress(flags['advertise-address']);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  // (Complete()'s and Validate()'s errors end kube-apiserver's RunE: "command failed", exit 1)
  let ranges: ServiceIPRanges;
  try {
    ranges = completeServiceIPRanges(flags['service-cluster-ip-range'], DEFAULT_SERVICE_CIDR);
  } catch (e) {
    return commandFailed((e as Error).message);
  }
  const invalid = validateServiceIPRanges(ranges, cfg.advertiseAddress);
  // (utilerrors.NewAggregate: one error as it is, several as [a, b])
  if (invalid.length) return commandFailed(invalid.length === 1 ? invalid[0]! : `[${invalid.join(', ')}]`);
  try {
    cfg.serviceClusterIPRange = tskubeServiceIPRange(ranges);
  } catch (e) {
    throw new FlagError((e as Error).message);
  }
  check('service-cluster-ip-range', () => new ServiceAllocator(cfg.serviceClusterIPRange, { min: 1, max: 1 }, async () => []));
  const server = new ApiServer(cfg);
  const stop = async (sig: string) => {
    logger('apiserver').info('shutting down', { signal: sig });
    await server.stop();
    process.exit(0);
  };
  onStopSignal(stop);
  await server.start();
  // Tells a supervisor (tsctl up, tests) the port and that we are ready.
  process.stdout.write(JSON.stringify({ ready: true, url: server.url, port: server.port }) + '\n');
}

runMain('apiserver', main);
