// Wiring of the apiserver: etcd (embedded or external), storage, one watch cache per resource,
// the registry stores, bootstrap namespaces, PKI and tokens, the REST and gRPC frontends, and
// the in-process namespace finalizer and etcd compactor.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { collectDefaultMetrics } from 'prom-client';
import { groupResource, reportStoredObjects } from './storage-metrics.js';
import type { IngressClass, KubeObject, LimitRange, MutatingWebhookConfiguration, PriorityClass, ResourceQuota, RuntimeClass, StorageClass, PolicyRule, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, ValidatingWebhookConfiguration } from '../api/types.js';
import { validatingAdmissionPolicy, type PolicyAccess } from './admission-policy.js';
import { reconcilePolicyStatus } from './admission-policy-status.js';
import { SYSTEM_PRIORITY_CLASSES } from '../api/validation-scheduling.js';
import { AdmissionChain } from './admission.js';
import { priorityAdmission, type PriorityClassLister } from './admission-priority.js';
import { runtimeClassAdmission } from './admission-runtime-class.js';
import { limitRangerAdmission } from './admission-limit-ranger.js';
import { currentUsage, quotaAdmission, type QuotaAccess } from './admission-quota.js';
import { formatUsage } from '../api/quota.js';
import { logger } from '../util/log.js';
import { EtcdClient } from './etcd-client.js';
import { LeaseManager } from './lease-manager.js';
import { ensureFlowcontrolConfiguration, FlowClassifier, updateDanglingConditions, type FlowcontrolStores } from './flowcontrol-config.js';
import { FlowDispatcher, SERVER_CONCURRENCY_LIMIT } from './flowcontrol-dispatch.js';
import { collectExpiredIdentityLeases, IDENTITY_LEASE_GC_MS, IDENTITY_LEASE_RENEW_MS, IdentityLeaseController, storeIdentityLeaseAccess } from './identity-lease.js';
import { loopbackContext } from './loopback.js';
import type { RawObject } from './raw-object.js';
import { EmbeddedEtcd } from './etcd-process.js';
import { ApiError, isNotFound } from './errors.js';
import * as errors from './errors.js';
import { ensureKubeletClientCert, ensurePki, ensureServiceAccountKey, ensureTokenFile, kubeconfigYaml, parseTokenFile, tokenFor, type TokenEntry } from './pki.js';
import { DEFAULT_ISSUER } from '../serviceaccount/claims.js';
import { LEGACY_TOKEN_LAST_USED_LABEL, ServiceAccountTokenAuthenticator } from '../serviceaccount/authenticator.js';
import { looksLikeJwt } from '../serviceaccount/jwt.js';
import { loadPrivateKey, loadPublicKeys } from '../serviceaccount/keys.js';
import { TokenRequests } from './token-request.js';
import { serviceAccountAdmission } from './service-account-admission.js';
import { nodeRestrictionAdmission } from './node-restriction.js';
import { podSecurityAdmission, type PodSecurityConfig } from './admission-pod-security.js';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { JWKS_PATH, jwks, openIDConfiguration } from '../serviceaccount/issuer-discovery.js';
import { allResources, etcdPrefix, storageOf, type ResourceInfo } from './registry/resources.js';
import { builtinResources, ResourceRegistry } from './registry/resource-registry.js';
import { CRDController } from './crd-controller.js';
import { Store, type RequestContext, type UserInfo } from './registry/store.js';
import { apiserverHealthChecks } from './rest/health-checks.js';
import { parseCABundle } from './rest/kubelet-tls.js';
import { finalizeNamespaces } from './namespace-finalizer.js';
import { tokenReviewer } from './token-review.js';
import { rfc3339Now } from '../util/time.js';
import { RestServer, requestCount } from './rest/server.js';
import { streamedListCount } from './rest/http-util.js';
import { eventLoopBusy, startMemoryReducer } from '../util/memory-reducer.js';
import { GrpcServer } from './grpc/server.js';
import { ensureJoinToken, handleJoin, isJoinPath, type JoinDeps } from './join.js';
import { systemNamespaces } from './registry/operations.js';
import { Storage } from './storage.js';
import { MASTER_LEASES, masterLeaseIPs, masterLeaseKey, masterLeaseValue, reconcileKubernetesEndpoints, reconcileKubernetesService } from './kubernetes-service.js';
import { parsePortRange, ServiceAllocator } from './registry/service-allocator.js';
import { WatchCache } from './watch-cache.js';
import { defaultIngressClassAdmission, ensureDefaultIngressClass } from './admission-ingress-class.js';
import { storageAdmission, type StorageClassLister } from './storage-admission.js';
import { ANN_DEFAULT_CLASS, DEFAULT_STORAGE_CLASS, LOCAL_PATH_PROVISIONER } from '../api/persistent-volumes.js';
import { ChainAuthorizer, type Authorizer } from './authorizer.js';
import { ingressTLSRefs } from './ingress-tls-refs.js';
import { POLICY_RESOURCES, PolicyIndex, type PolicyResource } from './rbac/policy-index.js';
import { watchPolicy } from './rbac/policy-watch.js';
import { RbacAuthorizer } from './rbac/rbac-authorizer.js';
import type { EscalationDeps } from './rbac/escalation.js';
import { rbacEscalationAdmission } from './admission-rbac.js';
import { admitConnect, webhookAdmission, type WebhookAccess } from './admission-webhook.js';
import type { ConnectAttributes } from './rest/node-proxy.js';
import { certificateAdmission } from './admission-certificates.js';
import { reconcileBootstrapPolicy } from './rbac/bootstrap-reconcile.js';
import { BootstrapTokenAuthenticator } from './bootstrap-token-auth.js';
import { ensureClusterAdminsBinding } from './cluster-admins-binding.js';
import { AUTH_CONFIGMAP_NAME, AUTH_CONFIGMAP_NAMESPACE, ClusterAuthenticationTrustController } from './cluster-authentication-trust.js';
import { joinHostPort } from '../util/host-port.js';

const log = logger('apiserver');

/** kubeadm's default service range; the controller-manager's default pod CIDR is 10.244.0.0/16. */
export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';

/** How long an apiserver's master lease lives unrenewed. */
const MASTER_LEASE_TTL_SECONDS = 15;

let metricsStarted = false;
/** How long a read waits for the watch cache to hold this apiserver's own write before going on with what it has. */
const SETTLE_TIMEOUT_MS = 3000;

export interface ApiServerConfig {
  dataDir: string;
  /** External etcd endpoints; empty means the embedded etcd. */
  etcdServers: string[];
  etcdClientPort: number;
  etcdPeerPort: number;
  bindAddress: string;
  securePort: number;
  /** Extra names and addresses for the serving certificate. */
  certSANs: string[];
  /** Address written into kubeconfigs. */
  advertiseAddress: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /** --kubelet-client-certificate and --kubelet-client-key: what the apiserver shows node agents (default: generated into DATA_DIR/pki). */
  kubeletClientCertificate?: string;
  kubeletClientKey?: string;
  /** --kubelet-certificate-authority: the CA bundle agents' serving certificates are verified against (none: not verified, as kube-apiserver without it). */
  kubeletCertificateAuthority?: string;
  tokenAuthFile?: string;
  /** Join token for new nodes (default: generated into DATA_DIR/join-token). */
  joinToken?: string;
  watchCacheSize: number;
  /** gRPC port (0 picks a free one, -1 disables it). */
  grpcPort: number;
  /** Compact etcd history older than this, every interval (0 disables). */
  compactionIntervalMs: number;
  /** How often missing system namespaces (a deleted kube-node-lease) are made again. */
  systemNamespacesIntervalMs: number;
  /** How long events are kept (kube-apiserver's --event-ttl). */
  eventTTLSeconds: number;
  /** The deadline of a REST request that is not long-running (the most its ?timeout= can ask) and of a gRPC unary call: kube-apiserver's --request-timeout (default 60 s). */
  requestTimeoutMs?: number;
  /** The seats API Priority and Fairness divides among the priority levels: --max-requests-inflight + --max-mutating-requests-inflight (default 400 + 200). */
  serverConcurrencyLimit?: number;
  /** Cluster IPs of Services (--service-cluster-ip-range); must not overlap the pod CIDR. */
  serviceClusterIPRange: string;
  /** Node ports of NodePort and LoadBalancer Services (--service-node-port-range). */
  serviceNodePortRange: string;
  /** The `iss` of service account tokens; tokens of these issuers are accepted (the first is the one tokens get). */
  serviceAccountIssuers: string[];
  /** The key service account tokens are signed with (default: DATA_DIR/pki/sa.key, generated). */
  serviceAccountSigningKeyFile?: string;
  /** More PEM files of public keys that verify service account tokens (the signing key's always does). */
  serviceAccountKeyFiles: string[];
  /** The API's audiences (default: the first issuer). */
  apiAudiences: string[];
  /** Pod-bound tokens asked for 3607 s are valid a year (--service-account-extend-token-expiration). */
  serviceAccountExtendTokenExpiration: boolean;
  /** Create the local-path StorageClass at start when it is absent (--default-storage-class). */
  defaultStorageClass: boolean;
  /** Requests without credentials run as system:anonymous, as kube-apiserver's --anonymous-auth (default true). */
  anonymousAuth: boolean;
  /** Serve /logs/ from logsDir (kube-apiserver's --enable-logs-handler, default true). */
  enableLogsHandler?: boolean;
  /** The directory /logs/ serves: /var/log, as kube-apiserver's (a test's own directory elsewhere). */
  logsDir?: string;
  /** Defaults and exemptions of the PodSecurity admission plugin (--admission-control-config-file); none by default. */
  podSecurity?: PodSecurityConfig;
  /** Bootstrap tokens (kube-system Secrets bootstrap-token-<id>) authenticate, as kube-apiserver's --enable-bootstrap-token-auth (default false). */
  enableBootstrapTokenAuth?: boolean;
  /** How often the identity Lease kube-system/apiserver-<hash> is renewed (IdentityLeaseRenewIntervalPeriod, 10 s). */
  identityLeaseRenewIntervalMs: number;
  /** How often expired identity Leases are deleted (IdentityLeaseGCPeriod, 1 h; also once at start). */
  identityLeaseGCIntervalMs: number;
  /** How often the API Priority and Fairness configuration objects are ensured (the config producer's period, 1 min; also at start). */
  flowcontrolConfigIntervalMs: number;
  /** How often the `kubernetes` Service and its endpoints are reconciled and this apiserver's master lease renewed (1.32's lease endpoint reconciler: every 10 s, the lease living 15 s). */
  endpointReconcilerIntervalMs: number;
}

export const defaultConfig = (dataDir: string): ApiServerConfig => ({
  dataDir,
  etcdServers: [],
  etcdClientPort: 2379,
  etcdPeerPort: 2380,
  bindAddress: '127.0.0.1',
  securePort: 6443,
  certSANs: [],
  advertiseAddress: '127.0.0.1',
  watchCacheSize: 10_000,
  eventTTLSeconds: 3600,
  grpcPort: 6444,
  compactionIntervalMs: 5 * 60_000,
  systemNamespacesIntervalMs: 60_000,
  serviceClusterIPRange: DEFAULT_SERVICE_CIDR,
  serviceNodePortRange: '30000-32767',
  serviceAccountIssuers: [DEFAULT_ISSUER],
  serviceAccountKeyFiles: [],
  apiAudiences: [],
  serviceAccountExtendTokenExpiration: true,
  defaultStorageClass: true,
  anonymousAuth: true,
  identityLeaseRenewIntervalMs: IDENTITY_LEASE_RENEW_MS,
  identityLeaseGCIntervalMs: IDENTITY_LEASE_GC_MS,
  flowcontrolConfigIntervalMs: 60_000,
  endpointReconcilerIntervalMs: 10_000,
});

/** The apiserver's own writes (loopback.ts): kube-apiserver's manager and user. Spread with fresh warnings where used. */
const systemCtx: RequestContext = loopbackContext();

export class ApiServer {
  private etcd: EmbeddedEtcd | undefined;
  private client: EtcdClient | undefined;
  /** Whether a cached version of a namespace is being deleted. */
  private readonly terminating = new WeakMap<RawObject, boolean>();
  private caches: WatchCache[] = [];
  readonly stores = new Map<ResourceInfo, Store>();
  /** Stops reporting apiserver_storage_objects for this server's stores. */
  private stopObjectCounts?: () => void;
  /** The resources served: built-in, and those of Established CustomResourceDefinitions. */
  readonly registry = new ResourceRegistry();
  private crdController: CRDController | undefined;
  private rest: RestServer | undefined;
  private grpc: GrpcServer | undefined;
  grpcPort = 0;
  private tokens = new Map<string, TokenEntry>();
  private serviceAccountTokens: ServiceAccountTokenAuthenticator | undefined;
  private bootstrapTokens: BootstrapTokenAuthenticator | undefined;
  /** The audiences the API's own tokens are for (TokenReview's default). */
  private apiAudiences: string[] = [];
  /** The issuer of service account tokens and the keys that verify them (issuer discovery). */
  private serviceAccountIssuer: { issuer: string; keys: KeyObject[] } | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopReducer: (() => void) | undefined;
  /** host:port of the gRPC frontend, once it listens. */
  grpcAddress: string | undefined;
  private isReady = false;
  /** Set by stop(): /readyz's shutdown check fails from then on. */
  private shuttingDown = false;
  private serviceAllocator: ServiceAllocator | undefined;
  /** The last endpoint reconcile or removal queued: each waits for the one before. */
  private endpointsTurn: Promise<void> = Promise.resolve();
  /** Set by stop(): no reconcile renews this apiserver's master lease from then on. */
  private endpointsStopped = false;
  private policyWatch: { stop(): void } | undefined;
  private authTrust: { stop(): void } | undefined;
  /** The fixed rules, then RBAC over the policy kept in memory. */
  authorizer!: Authorizer;
  private storage: Storage | undefined;
  port = 0;
  caCert = '';

  constructor(readonly config: ApiServerConfig) {}

  store(resource: string): Store {
    for (const [r, s] of this.stores) if (r.name === resource) return s;
    throw new Error(`no store for ${resource}`);
  }

  /**
   * The ObjectCountTracker API Priority and Fairness' list work estimator reads: the objects its
   * watch cache holds of a group's resource (storage's count, as apiserver_storage_objects gives
   * it); undefined for one not stored here (an aggregated API's), which 1.32 estimates at 1 seat.
   */
  private objectCount(group: string, resource: string): number | undefined {
    for (const [r, s] of this.stores) if (r.name === resource && r.group === group) return s.cache.size;
    return undefined;
  }

  get url(): string {
    return `https://${joinHostPort(this.config.advertiseAddress, this.port)}`;
  }

  get etcdEndpoints(): string[] {
    return this.config.etcdServers.length ? this.config.etcdServers : [this.etcd!.endpoint];
  }

  async start(): Promise<void> {
    const c = this.config;
    const t0 = Date.now();
    mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
    if (!metricsStarted) {
      collectDefaultMetrics();
      metricsStarted = true;
    }
    if (!c.etcdServers.length) {
      this.etcd = new EmbeddedEtcd({ dataDir: join(c.dataDir, 'etcd'), clientPort: c.etcdClientPort, peerPort: c.etcdPeerPort, logFile: join(c.dataDir, 'etcd.log') });
      await this.etcd.start();
    }
    this.client = new EtcdClient(this.etcd ? [this.etcd.clientEndpoint] : this.etcdEndpoints);
    const storage = new Storage(this.client);
    this.storage = storage;
    await waitForEtcd(storage);
    const leases = new LeaseManager(storage);
    this.serviceAllocator = new ServiceAllocator(c.serviceClusterIPRange, parsePortRange(c.serviceNodePortRange), (prefix) => storage.keys(prefix));
    const policy = new PolicyIndex();
    const rbac = new RbacAuthorizer(policy);
    this.authorizer = new ChainAuthorizer(rbac, async (node, ns) => this.store('pods').cachedByField(ns, 'spec.nodeName', node).map((raw) => this.parsed(raw)), ingressTLSRefs(this.stores, this.settler));
    const escalation = this.escalationDeps(rbac);
    const webhookAccess: WebhookAccess = {
      validating: () => this.cachedIn('validatingwebhookconfigurations') as ValidatingWebhookConfiguration[],
      mutating: () => this.cachedIn('mutatingwebhookconfigurations') as MutatingWebhookConfiguration[],
      namespaceLabels: async (name) => (await this.lookupShared('namespaces', undefined, name))?.metadata?.labels ?? undefined,
      service: (ns, name) => this.lookup('services', ns, name),
      endpoints: (ns, name) => this.lookup('endpoints', ns, name),
    };
    const webhooks = webhookAdmission(webhookAccess);
    const admission = new AdmissionChain([
      priorityAdmission(this.priorityClassLister()),
      limitRangerAdmission((ns) => this.cachedIn('limitranges', ns) as LimitRange[]),
      serviceAccountAdmission((ns, name) => this.lookupShared('serviceaccounts', ns, name)),
      nodeRestrictionAdmission((name) => this.lookup('nodes', undefined, name)),
      // (PodSecurity follows ServiceAccount in kube-apiserver's plugin order, before Priority and the webhooks)
      podSecurityAdmission({ namespace: (name) => this.lookupShared('namespaces', undefined, name), pods: (ns) => this.cachedIn('pods', ns) }, c.podSecurity),
      ...storageAdmission(this.storageClassLister()),
      runtimeClassAdmission((name) => this.cachedOrStored('runtimeclasses', name) as Promise<RuntimeClass | undefined>),
      // (webhooks after the built-in plugins and before quota, as kube-apiserver orders them)
      validatingAdmissionPolicy(this.policyAccess()),
      webhooks,
      quotaAdmission(this.quotaAccess(), (key) => this.quotaCharged.set(key, Date.now())),
      defaultIngressClassAdmission(() => this.ingressClasses()),
      rbacEscalationAdmission(escalation),
      certificateAdmission(this.authorizer),
    ], this.settler);
    for (const r of builtinResources) {
      if (r.view) continue; // served over its storage resource's store
      const cache = new WatchCache(storage, etcdPrefix(r), c.watchCacheSize, (o) => r.fields(o));
      this.caches.push(cache);
      const expiry = r.name === 'events' ? { ttlSeconds: c.eventTTLSeconds, leases } : undefined;
      const allocator = r.name === 'services' ? this.serviceAllocator : undefined;
      this.stores.set(r, new Store(storage, r, cache, (ns, ctx, target) => this.checkNamespace(ns, ctx, target), expiry, allocator, admission));
    }
    await Promise.all(this.caches.map((x) => x.start()));
    this.stopObjectCounts = reportStoredObjects(() => [...this.stores].filter(([r]) => !r.view).map(([r, store]) => [groupResource(r), store.cache.size]));
    this.policyWatch = watchPolicy(policy, Object.fromEntries(POLICY_RESOURCES.map((r) => [r, this.store(r).cache])) as Record<PolicyResource, WatchCache>);
    await this.bootstrapNamespaces();
    await this.trackLegacyTokens();
    await this.bootstrapPriorityClasses();
    await ensureFlowcontrolConfiguration(this.flowcontrolStores(), () => ({ ...systemCtx, warnings: [] }));
    // (the config consumer's first pass once its caches hold what the producer made: every
    // schema's Dangling condition is there when the apiserver is ready)
    await Promise.all([this.store('flowschemas').cache.syncToLatest(), this.store('prioritylevelconfigurations').cache.syncToLatest()]);
    await updateDanglingConditions(this.flowcontrolStores(), () => ({ ...systemCtx, warnings: [] }), rfc3339Now);
    await ensureDefaultIngressClass(this.store('ingressclasses'), { ...systemCtx, warnings: [] });
    if (c.defaultStorageClass) await this.bootstrapStorageClass();
    // (custom resources meet the webhooks too, then quota, as in kube-apiserver)
    const customAdmission = new AdmissionChain([validatingAdmissionPolicy(this.policyAccess()), webhooks, quotaAdmission(this.quotaAccess(), (key) => this.quotaCharged.set(key, Date.now()))], this.settler);
    this.crdController = new CRDController({
      crds: this.store('customresourcedefinitions'),
      registry: this.registry,
      stores: this.stores,
      openCache: async (r) => {
        const cache = new WatchCache(storage, etcdPrefix(r), c.watchCacheSize, (o) => r.fields(o));
        await cache.start();
        return cache;
      },
      // (object count quotas only: the other admission plugins are about built-in kinds)
      makeStore: (r, cache) => new Store(storage, r, cache, (ns, ctx, target) => this.checkNamespace(ns, ctx, target), undefined, undefined, customAdmission),
      ctx: () => ({ ...systemCtx, warnings: [] }),
    });
    await this.crdController.start();
    await reconcileBootstrapPolicy({ clusterroles: this.store('clusterroles'), clusterrolebindings: this.store('clusterrolebindings'), roles: this.store('roles'), rolebindings: this.store('rolebindings') }, systemCtx);

    // Pods reach the apiserver as the `kubernetes` Service (its cluster IP, kubernetes.default.svc...):
    // in-cluster clients verify those names, as kube-apiserver's self-made certificate carries them.
    const inCluster = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', this.serviceAllocator.firstIP];
    const sans = ['localhost', '127.0.0.1', c.advertiseAddress, ...inCluster, ...c.certSANs].filter((v, i, a) => v && a.indexOf(v) === i);
    const pki = await ensurePki(c.dataDir, sans);
    const cert = c.tlsCertFile ? readFileSync(c.tlsCertFile, 'utf8') : pki.cert;
    const key = c.tlsKeyFile ? readFileSync(c.tlsKeyFile, 'utf8') : pki.key;
    this.caCert = pki.caCert;
    await this.startClusterAuthenticationTrust(pki.caCert);
    const kubeletClientCert = await this.kubeletClientCert();
    // (as kubeadm init: the group of a 1.29+ kubelet client certificate is bound to cluster-admin)
    await ensureClusterAdminsBinding(this.store('clusterrolebindings'), systemCtx, kubeletClientCert.cert);
    const tokenFile = c.tokenAuthFile ?? ensureTokenFile(c.dataDir);
    this.loadTokens(tokenFile);
    const tokenRequests = this.setUpServiceAccountTokens();
    if (c.enableBootstrapTokenAuth) this.bootstrapTokens = new BootstrapTokenAuthenticator((name) => this.lookup('secrets', 'kube-system', name));

    const server = `https://${joinHostPort(c.advertiseAddress, c.securePort)}`;
    const joinDeps: JoinDeps = {
      dataDir: c.dataDir,
      caPem: pki.caCert,
      joinToken: c.joinToken || ensureJoinToken(c.dataDir, pki.caCert),
      server,
      tokenFile,
      reloadTokens: () => this.loadTokens(tokenFile),
    };
    const connectPolicies = validatingAdmissionPolicy(this.policyAccess());
    const nodeProxy = {
      // exec, attach, port-forward and the proxy subresources are CONNECTs the webhooks hear of
      admitConnect: (user: UserInfo, a: ConnectAttributes) =>
        admitConnect({ operation: 'CONNECT', resource: builtinResources.find((r) => r.group === '' && r.name === a.resource)!, subresource: a.subresource, name: a.name, namespace: a.namespace, obj: a.options as KubeObject, ctx: { user, dryRun: false, fieldValidation: 'Ignore', warnings: [] } }, webhookAccess, connectPolicies),
      authorizer: this.authorizer,
      pods: this.store('pods'),
      nodes: this.store('nodes'),
      services: this.store('services'),
      endpoints: this.store('endpoints'),
      kubeletClientCert,
      kubeletCA: this.kubeletCA(),
      nodeToken: (name: string) => [...this.tokens.values()].find((t) => t.user === `system:node:${name}`)?.token ?? this.reloadedNodeToken(name),
    };
    // (API Priority and Fairness: one dispatcher, whose seats are the server's, for both frontends)
    const flowControl = new FlowDispatcher(new FlowClassifier(this.flowcontrolStores()), c.serverConcurrencyLimit ?? SERVER_CONCURRENCY_LIMIT, undefined, (group, resource) => this.objectCount(group, resource));
    this.rest = new RestServer({
      flowControl,
      unauthenticated: (req, res, path) => (isJoinPath(path) ? handleJoin({ ...joinDeps, server: `https://${joinHostPort(c.advertiseAddress, this.port)}`, grpcServer: this.grpcAddress }, req, res, path) : false),
      stores: this.stores,
      registry: this.registry,
      authenticate: (token) => this.authenticate(token),
      reviewToken: tokenReviewer({ apiAudiences: this.apiAudiences, serviceAccounts: this.serviceAccountTokens, staticToken: (t) => this.authenticateStatic(t), bootstrapToken: this.bootstrapTokens && ((t) => this.bootstrapTokens!.authenticate(t)) }),
      tokenRequests,
      // (the JWK set's URL is this apiserver's, as kube-apiserver derives it from its external address)
      issuerDiscovery: () => {
        const { issuer, keys } = this.serviceAccountIssuer!;
        return { configuration: openIDConfiguration(issuer, `https://${joinHostPort(c.advertiseAddress, this.port)}${JWKS_PATH}`, keys), jwks: jwks(keys) };
      },
      authorizer: this.authorizer,
      anonymous: c.anonymousAuth,
      logsDir: c.enableLogsHandler === false ? undefined : (c.logsDir ?? '/var/log'),
      requestTimeoutMs: c.requestTimeoutMs,
      health: apiserverHealthChecks({ etcd: async () => void (await storage.currentRevision()), started: () => this.isReady, shuttingDown: () => this.shuttingDown }),
      nodeProxy,
      componentStatus: { authorizer: this.authorizer, etcdHealth: async () => void (await storage.currentRevision()), lease: (name) => this.lookup('leases', 'kube-system', name) },
      apiServices: {
        authorizer: this.authorizer,
        resources: () => this.registry.all(),
        clusterCreated: async () => (await this.lookup('namespaces', undefined, 'kube-system'))?.metadata?.creationTimestamp,
        crds: async () => (await this.store('customresourcedefinitions').list(undefined, { matches: () => true })).items.map((i) => i.obj),
      },
    });
    this.port = await this.rest.listen({ host: c.bindAddress, port: c.securePort, cert, key, clientCA: pki.caCert });
    if (c.grpcPort >= 0) {
      this.grpc = new GrpcServer({ stores: this.stores, registry: this.registry, nodeProxy, authenticate: (token) => this.authenticate(token), authorizer: this.authorizer, tokenRequests, requestTimeoutMs: c.requestTimeoutMs, flowControl });
      this.grpcPort = await this.grpc.listen(c.bindAddress, c.grpcPort, cert, key, pki.caCert);
      this.grpcAddress = joinHostPort(c.advertiseAddress, this.grpcPort);
      writeFileSync(join(c.dataDir, 'grpc-address'), `${this.grpcAddress}\n`);
    }
    this.writeKubeconfigs(tokenFile);
    // Not fatal (kube-apiserver logs and retries too): e.g. another Service holds the first IP.
    await this.reconcileKubernetesService().catch((e) => log.error('could not reconcile the kubernetes Service; retrying', { err: e, everyMs: c.endpointReconcilerIntervalMs }));
    this.startBackgroundLoops(storage);
    this.isReady = true;
    log.info('apiserver ready', { url: this.url, etcd: this.etcdEndpoints, embeddedEtcd: !c.etcdServers.length, startupMs: Date.now() - t0 });
  }

  /**
   * kube-system/extension-apiserver-authentication with this apiserver's client CA (the cluster
   * CA), as kube-apiserver's start-cluster-authentication-info-controller post-start hook keeps it:
   * written before the apiserver is ready, put right again whenever it changes, and every minute.
   */
  private async startClusterAuthenticationTrust(clientCA: string): Promise<void> {
    const store = this.store('configmaps');
    const ctx = () => ({ ...systemCtx, warnings: [] });
    const controller = new ClusterAuthenticationTrustController(
      {
        get: () => this.lookup('configmaps', AUTH_CONFIGMAP_NAMESPACE, AUTH_CONFIGMAP_NAME),
        create: async (obj) => void (await store.create(AUTH_CONFIGMAP_NAMESPACE, obj, ctx())),
        update: async (obj) => void (await store.update(AUTH_CONFIGMAP_NAMESPACE, AUTH_CONFIGMAP_NAME, obj, ctx())),
      },
      { clientCA },
    );
    await controller.start();
    const key = store.key(AUTH_CONFIGMAP_NAMESPACE, AUTH_CONFIGMAP_NAME);
    const unwatch = store.cache.watch(store.cache.revision, { keyPrefix: key, exactKey: key, matches: () => true }, { send: () => controller.enqueue(), close: () => {} });
    this.authTrust = {
      stop() {
        unwatch();
        controller.stop();
      },
    };
  }

  /** This apiserver's master lease key: alive while it renews it. */
  private get masterLeaseKey(): string {
    return masterLeaseKey(this.config.advertiseAddress);
  }

  /**
   * The `kubernetes` Service and its endpoints: every live apiserver (kube-apiserver's "lease"
   * endpoint reconciler). This one's lease is renewed first, then the leases alive are listed.
   * Nothing once this apiserver is stopping (1.32's StopReconciling).
   */
  private reconcileKubernetesService(): Promise<void> {
    return this.endpointsExclusive(async () => {
      if (this.endpointsStopped) return;
      const storage = this.storage!;
      const stored = await storage.get(this.masterLeaseKey).then((v) => v?.json, () => undefined);
      await storage.put(this.masterLeaseKey, masterLeaseValue(this.config.advertiseAddress, stored), await storage.grantLease(MASTER_LEASE_TTL_SECONDS));
      const target = { clusterIP: this.serviceAllocator!.firstIP, port: this.port, apiservers: await this.liveApiservers() };
      await reconcileKubernetesService(this.kubernetesServiceStores(), target, { ...systemCtx, warnings: [] });
    });
  }

  /**
   * At stop: this apiserver's master lease removed and the `kubernetes` Endpoints and
   * EndpointSlice at once rewritten from the leases left, as 1.32's kubernetesservice controller
   * Stop calls the lease reconciler's RemoveEndpoints (pkg/controlplane/reconcilers/lease.go):
   * clients leave this address now rather than at another apiserver's next reconcile. The last
   * apiserver leaves them as they are (no lease left: refused, as there).
   */
  private removeKubernetesEndpoints(): Promise<void> {
    this.endpointsStopped = true;
    return this.endpointsExclusive(async () => {
      const storage = this.storage!;
      await storage.remove(this.masterLeaseKey);
      const apiservers = await this.liveApiservers();
      if (!apiservers.length) return log.info('no other apiserver lease left: the kubernetes endpoints are kept');
      const target = { clusterIP: this.serviceAllocator!.firstIP, port: this.port, apiservers };
      await reconcileKubernetesEndpoints(this.kubernetesServiceStores(), target, { ...systemCtx, warnings: [] });
    });
  }

  /** Runs `fn` after every reconcile or removal queued before it (1.32's reconcilingLock). */
  private endpointsExclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.endpointsTurn.then(fn);
    this.endpointsTurn = run.catch(() => {});
    return run;
  }

  /** Every apiserver whose master lease is alive, on this one's port (the lease names an IP only, as 1.32's). */
  private async liveApiservers(): Promise<{ address: string; port: number }[]> {
    const { items } = await this.storage!.list(MASTER_LEASES);
    return masterLeaseIPs(items.map((i) => i.json)).map((address) => ({ address, port: this.port }));
  }

  private kubernetesServiceStores() {
    return { services: this.store('services'), endpoints: this.store('endpoints'), endpointslices: this.store('endpointslices') };
  }

  /** The PEM of --kubelet-certificate-authority, read and checked at start (a file with no certificate is an error). */
  private kubeletCA(): string | undefined {
    const file = this.config.kubeletCertificateAuthority;
    if (!file) return undefined;
    const pem = readFileSync(file, 'utf8');
    try {
      parseCABundle(pem);
    } catch (e) {
      throw new Error(`--kubelet-certificate-authority ${file}: ${(e as Error).message}`, { cause: e });
    }
    return pem;
  }

  /** Re-reads the token file (node tokens are added while running). */
  /** The pair given by --kubelet-client-certificate/--kubelet-client-key (both or neither), else the generated one. */
  private async kubeletClientCert(): Promise<{ cert: string; key: string }> {
    const { kubeletClientCertificate: certFile, kubeletClientKey: keyFile } = this.config;
    if (!certFile !== !keyFile) throw new Error('--kubelet-client-certificate and --kubelet-client-key must be given together');
    if (certFile && keyFile) return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    return ensureKubeletClientCert(this.config.dataDir);
  }

  loadTokens(tokenFile = this.config.tokenAuthFile ?? join(this.config.dataDir, 'tokens.csv')): void {
    this.tokens = new Map(parseTokenFile(readFileSync(tokenFile, 'utf8')).map((e) => [e.token, e]));
  }

  private reloadedNodeToken(name: string): string | undefined {
    try {
      this.loadTokens();
    } catch {
      return undefined;
    }
    return [...this.tokens.values()].find((t) => t.user === `system:node:${name}`)?.token;
  }

  /**
   * The service account signing key (generated beside the PKI on first start), the TokenRequest
   * subresource that signs with it, and the authenticator that verifies what it signed.
   */
  private setUpServiceAccountTokens(): TokenRequests {
    const c = this.config;
    const signingKey = c.serviceAccountSigningKeyFile ? loadPrivateKey(c.serviceAccountSigningKeyFile) : ensureServiceAccountKey(c.dataDir).privateKey;
    const keys = [createPublicKey(signingKey), ...c.serviceAccountKeyFiles.flatMap((f) => loadPublicKeys(f))];
    const issuers = c.serviceAccountIssuers.length ? c.serviceAccountIssuers : [DEFAULT_ISSUER];
    const audiences = c.apiAudiences.length ? c.apiAudiences : [issuers[0]!];
    this.apiAudiences = audiences;
    this.serviceAccountIssuer = { issuer: issuers[0]!, keys };
    this.serviceAccountTokens = new ServiceAccountTokenAuthenticator({
      issuers,
      audiences,
      keys,
      getter: {
        serviceAccount: (ns, name) => this.lookup('serviceaccounts', ns, name),
        pod: (ns, name) => this.lookup('pods', ns, name),
        secret: (ns, name) => this.lookup('secrets', ns, name),
        node: (name) => this.lookup('nodes', undefined, name),
        markLegacyTokenUsed: async (ns, name, uid, day) => {
          await this.store('secrets').guaranteedUpdate(ns, name, { ...systemCtx, warnings: [] }, 'internal', (cur) => {
            if (cur.metadata?.uid !== uid) throw errors.conflict('', 'secrets', name, 'the Secret was replaced');
            return { ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata?.labels, [LEGACY_TOKEN_LAST_USED_LABEL]: day } } };
          });
        },
      },
    });
    return new TokenRequests({
      config: { issuer: issuers[0]!, audiences, signingKey, extendExpiration: c.serviceAccountExtendTokenExpiration },
      store: (r) => this.store(r),
    });
  }

  /** An object from the watch cache, or from etcd when the cache does not have it (yet); undefined when absent. */
  private async lookup(resource: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const store = this.store(resource);
    const cached = store.cache.peek(store.key(namespace, name));
    if (cached) return cached.obj;
    try {
      return await store.get(namespace, name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Service account tokens (JWTs), then the static tokens of the token file, then bootstrap tokens when enabled. */
  private async authenticate(token: string): Promise<UserInfo | undefined> {
    if (looksLikeJwt(token) && this.serviceAccountTokens) {
      const res = await this.serviceAccountTokens.authenticate(token);
      if (res && 'user' in res) return res.user;
      if (res) log.debug('service account token refused', { reason: res.error });
    }
    return this.authenticateStatic(token) ?? (await this.bootstrapTokens?.authenticate(token));
  }

  private authenticateStatic(token: string): UserInfo | undefined {
    let e = this.tokens.get(token);
    if (!e) {
      // A token added to the file since start (tsctl adds node tokens) is picked up once.
      try {
        this.loadTokens();
      } catch {
        return undefined;
      }
      e = this.tokens.get(token);
    }
    return e ? { name: e.user, groups: e.groups, ...(e.uid ? { uid: e.uid } : {}) } : undefined;
  }

  /** What the RBAC escalation checks read: the authorizer, roles fresh from etcd, and the policy caches caught up. */
  private escalationDeps(rbac: RbacAuthorizer): EscalationDeps {
    return {
      authorizer: this.authorizer,
      rbac,
      roleRules: async (ref, ns) => {
        const cluster = ref.kind === 'ClusterRole';
        try {
          const role = await this.store(cluster ? 'clusterroles' : 'roles').get(cluster ? undefined : ns, ref.name ?? '');
          return (role as { rules?: PolicyRule[] }).rules ?? [];
        } catch (e) {
          if (isNotFound(e)) return undefined;
          throw e;
        }
      },
      // This apiserver's own writes (a binding made a moment ago) are in the policy index once its caches have seen them.
      settle: async () => {
        await this.settler(POLICY_RESOURCES);
      },
    };
  }

  private writeKubeconfigs(tokenFile: string): void {
    const c = this.config;
    const server = `https://${joinHostPort(c.advertiseAddress, this.port)}`;
    const write = (file: string, user: string) => {
      const token = tokenFor(tokenFile, user);
      if (!token) return;
      writeFileSync(join(c.dataDir, file), kubeconfigYaml({ server, caCert: this.caCert, token, user: user.replace(/^system:/, ''), grpcServer: this.grpcAddress }), { mode: 0o600 });
    };
    write('kubeconfig', 'admin');
    write('scheduler.kubeconfig', 'system:kube-scheduler');
    write('controller-manager.kubeconfig', 'system:kube-controller-manager');
  }

  private async checkNamespace(ns: string, _ctx: RequestContext, target: { group: string; resource: string; name?: string }): Promise<void> {
    // The watch cache answers for namespaces it knows; one it does not know may be brand new,
    // so ask etcd before refusing.
    const store = this.store('namespaces');
    // A namespace this apiserver just marked Terminating must not look Active from a cache that lags.
    const lag = this.settler(['namespaces'], 1000);
    if (lag) await lag;
    const cached = store.cache.peek(store.key(undefined, ns));
    if (cached) {
      // (one parse per version of the namespace, not one per create in it)
      let terminating = this.terminating.get(cached);
      if (terminating === undefined) this.terminating.set(cached, (terminating = Boolean(cached.obj.metadata?.deletionTimestamp)));
      if (!terminating) return;
    }
    let obj: KubeObject | undefined = cached?.obj;
    if (!obj) {
      try {
        obj = await store.get(undefined, ns);
      } catch (e) {
        if (isNotFound(e)) throw errors.notFound('', 'namespaces', ns);
        throw e;
      }
    }
    if (obj.metadata?.deletionTimestamp) {
      // (the NamespaceLifecycle plugin's NewForbidden names what was being created, and carries
      // the NamespaceTerminating cause by which controllers tell this refusal from others)
      const err = errors.admissionForbidden(target.group, target.resource, target.name, `unable to create new content in namespace ${ns} because it is being terminated`);
      err.details!.causes = [...(err.details!.causes ?? []), { reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }];
      throw err;
    }
  }

  private flowcontrolStores(): FlowcontrolStores {
    return { flowschemas: this.store('flowschemas'), prioritylevelconfigurations: this.store('prioritylevelconfigurations') };
  }

  /** The system PriorityClasses, created at start when missing (as kube-apiserver's post-start hook). */
  private async bootstrapPriorityClasses(): Promise<void> {
    const store = this.store('priorityclasses');
    for (const pc of SYSTEM_PRIORITY_CLASSES) {
      try {
        await store.create(undefined, structuredClone(pc) as KubeObject, { ...systemCtx, warnings: [] });
        log.info('created priority class', { name: pc.metadata!.name, value: pc.value });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 409)) throw e;
      }
    }
  }

  /**
   * lookup for readers that do not change what they get (admission reading a namespace's labels
   * or a service account): a cached object is parsed once per stored version and shared.
   */
  private async lookupShared(resource: string, namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
    const store = this.store(resource);
    const cached = store.cache.peek(store.key(namespace, name));
    return cached ? this.parsed(cached) : this.lookup(resource, namespace, name);
  }

  /** Parsed copies of cached objects, one parse per stored version (admission reads them per request). */
  private parsedCache = new WeakMap<RawObject, KubeObject>();

  /** The objects of a resource in a namespace (or all, cluster-scoped), from the watch cache. */
  private cachedIn(resource: string, namespace?: string): KubeObject[] {
    const store = this.store(resource);
    const prefix = namespace ? `${store.prefix}${namespace}/` : store.prefix;
    return store.cache.list({ keyPrefix: prefix, matches: () => true }).items.map((raw) => this.parsed(raw));
  }

  /** A cached object parsed once per stored version (callers must not change it). */
  private parsed(raw: RawObject): KubeObject {
    let obj = this.parsedCache.get(raw);
    if (!obj) this.parsedCache.set(raw, (obj = raw.obj));
    return obj;
  }

  /** What ValidatingAdmissionPolicies read: policies, bindings and params from the watch caches, built-in kinds and custom ones. */
  private policyAccess(): PolicyAccess {
    return {
      policies: () => this.cachedIn('validatingadmissionpolicies') as ValidatingAdmissionPolicy[],
      bindings: () => this.cachedIn('validatingadmissionpolicybindings') as ValidatingAdmissionPolicyBinding[],
      namespace: (name) => this.lookupShared('namespaces', undefined, name),
      authorize: async (c) => {
        const d = c.path !== undefined ? this.authorizer.authorizePath(c.user, c.verb, c.path) : await this.authorizer.authorize(c.user, { verb: c.verb, group: c.group ?? '', resource: c.resource ?? '', subresource: c.subresource || undefined, namespace: c.namespace || undefined, name: c.name || undefined });
        return { allowed: d.allowed, reason: d.reason ?? '' };
      },
      params: (apiVersion, kind) => {
        const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
        const r = this.registry.all().find((x) => x.group === group && x.version === version && x.kind === kind && !x.view);
        const store = r && this.stores.get(storageOf(r));
        if (!r || !store) return undefined;
        return {
          namespaced: r.namespaced,
          get: (ns, name) => {
            const raw = store.cache.peek(store.key(ns, name));
            return raw && this.parsed(raw);
          },
          list: (ns) => store.cache.list({ keyPrefix: ns ? `${store.prefix}${ns}/` : store.prefix, matches: () => true }).items.map((raw) => this.parsed(raw)),
        };
      },
    };
  }

  /** When each quota (ns/name) was last charged by admission: its recount waits a moment after. */
  private quotaCharged = new Map<string, number>();

  private quotaAccess(): QuotaAccess {
    return {
      quotas: (ns) => this.cachedIn('resourcequotas', ns) as ResourceQuota[],
      objects: (resource, group, ns) => {
        const r = allResources.find((x) => x.name === resource && x.group === group && x.namespaced);
        if (r) return this.cachedIn(r.name, ns);
        // (custom resources: count/<plural>.<group>)
        const custom = this.registry.all().find((x) => x.custom && x.name === resource && x.group === group && x.namespaced);
        const store = custom && this.stores.get(storageOf(custom));
        return store?.cache.list({ keyPrefix: `${store.prefix}${ns}/`, matches: () => true }).items.map((raw) => this.parsed(raw));
      },
      updateStatus: async (ns, name, mutate) => {
        await this.store('resourcequotas').guaranteedUpdate(ns, name, { ...systemCtx, warnings: [] }, 'internal', (q) => mutate(q as ResourceQuota) as KubeObject);
      },
    };
  }

  /**
   * The quota controller's recount: each quota's status gets its hard limits and the usage of
   * the objects that exist, so deletions give usage back. A quota charged by admission in the
   * last 2 s is left alone (the object it admitted may not be in the cache yet).
   */
  private async recountQuotas(): Promise<void> {
    const access = this.quotaAccess();
    for (const q of this.cachedIn('resourcequotas') as ResourceQuota[]) {
      const key = `${q.metadata!.namespace}/${q.metadata!.name}`;
      if (Date.now() - (this.quotaCharged.get(key) ?? 0) < 2000) continue;
      this.quotaCharged.delete(key);
      const started = Date.now();
      const hard = q.spec?.hard ?? {};
      const status = { hard: { ...hard }, used: formatUsage(currentUsage(q, access), hard) };
      if (JSON.stringify(status) === JSON.stringify({ hard: q.status?.hard ?? {}, used: q.status?.used ?? {} })) continue;
      await this.store('resourcequotas')
        .guaranteedUpdate(q.metadata!.namespace, q.metadata!.name!, { ...systemCtx, warnings: [] }, 'internal', (cur) => ((this.quotaCharged.get(key) ?? 0) >= started ? cur : { ...cur, status }))
        .catch((e) => {
          if (!isNotFound(e)) throw e;
        });
    }
  }

  /** IngressClasses for the DefaultIngressClass plugin, from the watch cache (the chain settled it). */
  private async ingressClasses(): Promise<IngressClass[]> {
    return this.cachedIn('ingressclasses') as IngressClass[];
  }

  /**
   * Read-your-writes for what reads the watch caches (admission plugins, the node authorizer's
   * edges): waits until each resource's cache holds this apiserver's own latest write of it, as
   * a client that just created a LimitRange expects its next pod to get the defaults. Kubernetes'
   * informers give no such promise; its tests poll instead. Only writes made through this
   * apiserver are waited for (another apiserver's are seen as its watch brings them).
   */
  private readonly settler = (resources: readonly string[], timeoutMs = SETTLE_TIMEOUT_MS): Promise<void> | undefined => {
    let waits: Promise<unknown>[] | undefined;
    for (const name of resources) {
      const store = this.store(name);
      const rev = store.lastWriteRev;
      if (store.cache.revision >= rev || (this.settleGaveUp.get(store) ?? 0) >= rev) continue;
      // A cache whose watch stalls is not waited for again for the same write: one request
      // pays the timeout, the next ones read what the cache has (as before read-your-writes).
      const wait = store.cache.waitFor(rev, timeoutMs).then((ok) => {
        if (ok || (this.settleGaveUp.get(store) ?? 0) >= rev) return;
        this.settleGaveUp.set(store, rev);
        log.warn('watch cache did not catch up with this apiserver\'s write; reading it as it is', { resource: name, revision: rev, cacheRevision: store.cache.revision });
      });
      (waits ??= []).push(wait);
    }
    return waits && Promise.all(waits).then(() => undefined);
  };
  /** The write each cache was last waited for in vain (see settler). */
  private readonly settleGaveUp = new WeakMap<Store, number>();

  /** A cluster-scoped object from the watch cache, or from etcd when the cache lags (one created a moment ago). */
  private async cachedOrStored(resource: string, name: string): Promise<KubeObject | undefined> {
    const store = this.store(resource);
    const raw = store.cache.peek(store.key(undefined, name));
    if (raw) return this.parsed(raw);
    return store.get(undefined, name).catch((e) => {
      if (isNotFound(e)) return undefined;
      throw e;
    });
  }

  /** PriorityClasses for the Priority admission plugin: from the watch cache, etcd when it lags. */
  private priorityClassLister(): PriorityClassLister {
    return {
      get: (name) => this.cachedOrStored('priorityclasses', name) as Promise<PriorityClass | undefined>,
      list: () => this.cachedIn('priorityclasses') as PriorityClass[],
    };
  }

  /**
   * The legacytokentracking controller's ConfigMap, kube-system/kube-apiserver-legacy-service-account-token-tracking:
   * `since` is the day (UTC) from which this apiserver has labelled legacy tokens with their last
   * use (kubernetes.io/legacy-token-last-used), which the legacy token cleaner reads. Made when
   * missing, its date put right when it is not one.
   */
  private async trackLegacyTokens(): Promise<void> {
    const store = this.store('configmaps');
    const name = 'kube-apiserver-legacy-service-account-token-tracking';
    const today = new Date().toISOString().slice(0, 10);
    const existing = store.cache.peek(store.key('kube-system', name))?.obj as { data?: Record<string, string> } | undefined;
    const since = existing?.data?.since;
    if (since !== undefined && /^\d{4}-\d\d-\d\d$/.test(since) && !Number.isNaN(Date.parse(since))) return;
    const ctx = { ...systemCtx, warnings: [] };
    try {
      if (!existing) {
        await store.create('kube-system', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { since: today } } as KubeObject, ctx);
      } else {
        await store.guaranteedUpdate('kube-system', name, ctx, undefined, (cm) => ({ ...cm, data: { ...((cm as { data?: Record<string, string> }).data ?? {}), since: today } }));
      }
    } catch (e) {
      // (409: another apiserver made it first; 404: kube-system is being made)
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 404))) throw e;
    }
  }

  /** Creates the system namespaces that are missing (at start, then every minute: kube-node-lease may be deleted). */
  private async bootstrapNamespaces(): Promise<void> {
    const store = this.store('namespaces');
    for (const name of systemNamespaces) {
      if (store.cache.peek(store.key(undefined, name))) continue;
      try {
        await store.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { ...systemCtx, warnings: [] });
        log.info('created namespace', { name });
      } catch (e) {
        // (409: there, or another apiserver made it; 403: still terminating, made at a later round)
        if (!(e instanceof ApiError && (e.code === 409 || e.code === 403))) throw e;
      }
    }
  }

  /** StorageClasses as the watch cache has them, for the storage admission plugins. */
  private storageClassLister(): StorageClassLister {
    const store = () => this.store('storageclasses');
    return {
      list: () => store().cache.list({ keyPrefix: store().prefix, matches: () => true }).items.map((x) => x.obj as StorageClass),
      get: (name) => store().cache.peek(store().key(undefined, name))?.obj as StorageClass | undefined,
    };
  }

  /** The local-path StorageClass, the default one, as k3s ships it: created when absent (a deleted one returns at the next start). */
  private async bootstrapStorageClass(): Promise<void> {
    const sc: StorageClass = {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: DEFAULT_STORAGE_CLASS, annotations: { [ANN_DEFAULT_CLASS]: 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER,
      reclaimPolicy: 'Delete',
      volumeBindingMode: 'WaitForFirstConsumer',
    };
    try {
      await this.store('storageclasses').create(undefined, sc as KubeObject, { ...systemCtx, warnings: [] });
      log.info('created storage class', { name: DEFAULT_STORAGE_CLASS });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
  }

  private startBackgroundLoops(storage: Storage): void {
    // Namespace finalizer: empty a terminating namespace (its conditions say what remains), then remove it.
    const finalize = () =>
      finalizeNamespaces({
        namespaces: this.store('namespaces'),
        stores: this.stores,
        remove: async (name) => {
          const key = this.store('namespaces').key(undefined, name);
          const v = await storage.get(key);
          if (v) await storage.delete(key, v.rev);
        },
        ctx: () => ({ ...systemCtx, warnings: [] }),
        now: rfc3339Now,
      });
    const loop = (fn: () => Promise<void>, ms: number) => {
      const tick = () => {
        fn()
          .catch((e) => log.warn('background loop failed', { err: e }))
          .finally(() => {
            if (this.isReady) this.timers.push(setTimeout(tick, ms));
          });
      };
      this.timers.push(setTimeout(tick, ms));
    };
    loop(finalize, 1000);
    loop(() => this.recountQuotas(), 1000);
    loop(() => reconcilePolicyStatus(this.store('validatingadmissionpolicies'), () => ({ ...systemCtx, warnings: [] })), 1000);
    // As kube-apiserver's system namespaces controller: recreate a deleted kube-node-lease.
    loop(async () => {
      await this.bootstrapNamespaces();
      await this.trackLegacyTokens();
    }, this.config.systemNamespacesIntervalMs);
    // As kube-apiserver's endpoint reconciler: put the `kubernetes` Service right every 10 s.
    loop(() => this.reconcileKubernetesService(), this.config.endpointReconcilerIntervalMs);
    // API Priority and Fairness: the config producer puts the bootstrap objects back each period,
    // the consumer keeps every FlowSchema's Dangling condition current.
    loop(() => ensureFlowcontrolConfiguration(this.flowcontrolStores(), () => ({ ...systemCtx, warnings: [] })), this.config.flowcontrolConfigIntervalMs);
    loop(() => updateDanglingConditions(this.flowcontrolStores(), () => ({ ...systemCtx, warnings: [] }), rfc3339Now), 1000);
    // As kube-apiserver's identity lease controller (renewed every 10 s with 4% jitter, as
    // wait.JitterUntil) and its lease garbage collector (at once, then every hour).
    const identityLeases = storeIdentityLeaseAccess(this.store('leases'), () => ({ ...systemCtx, warnings: [] }));
    const identity = new IdentityLeaseController(identityLeases, hostname());
    const renewIdentity = () => {
      identity
        .sync()
        .catch((e) => log.warn('failed to renew the apiserver identity lease', { lease: identity.name, err: e }))
        .finally(() => {
          if (this.isReady) this.timers.push(setTimeout(renewIdentity, this.config.identityLeaseRenewIntervalMs * (1 + Math.random() * 0.04)));
        });
    };
    renewIdentity();
    const collectIdentities = async () => {
      for (const name of await collectExpiredIdentityLeases(identityLeases)) log.info('deleted expired apiserver identity lease', { lease: name });
    };
    collectIdentities().catch((e) => log.warn('apiserver lease garbage collection failed', { err: e }));
    loop(collectIdentities, this.config.identityLeaseGCIntervalMs);
    // Hand memory back after bursts, once fewer than a handful of requests arrive per tick, no
    // large list was streamed, and the loop is mostly idle: a few LISTs of 10k pods are few
    // requests, and a collection between two of them is undone by the next.
    let lastCount = requestCount();
    let lastLists = streamedListCount();
    const loopBusy = eventLoopBusy(0.25);
    this.stopReducer = startMemoryReducer(() => {
      const n = requestCount();
      const lists = streamedListCount();
      const busy = loopBusy() || n - lastCount > 25 || lists > lastLists;
      lastCount = n;
      lastLists = lists;
      return busy;
    });
    if (this.config.compactionIntervalMs > 0) {
      // Like kube-apiserver: compact to the revision seen one interval ago.
      let last = 0;
      loop(async () => {
        const rev = await storage.currentRevision();
        if (last > 0) await storage.compact(last);
        last = rev;
      }, this.config.compactionIntervalMs);
    }
  }

  async stop(): Promise<void> {
    const wasReady = this.isReady;
    this.isReady = false;
    this.shuttingDown = true;
    this.stopReducer?.();
    this.stopObjectCounts?.();
    this.policyWatch?.stop();
    this.authTrust?.stop();
    for (const t of this.timers) clearTimeout(t);
    // Leave the kubernetes Service's endpoints at once, as kube-apiserver does on shutdown (a
    // crash leaves this address until the lease expires and another apiserver reconciles).
    // (best effort and bounded: a stop must not wait on an etcd that is gone or slow)
    if (wasReady && this.storage) {
      const removed = this.removeKubernetesEndpoints().catch((e) => log.error('unable to remove endpoints from kubernetes service', { err: e }));
      await Promise.race([removed, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    }
    await this.rest?.close();
    await this.grpc?.close();
    await this.crdController?.stop();
    await Promise.all(this.caches.map((c) => c.stop()));
    this.client?.close();
    await this.etcd?.stop();
    log.info('apiserver stopped');
  }
}

async function waitForEtcd(storage: Storage): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await storage.currentRevision();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error('etcd did not become reachable within 60 s', { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export function kubeconfigPath(dataDir: string): string {
  return join(dataDir, 'kubeconfig');
}

export function hasCluster(dataDir: string): boolean {
  return existsSync(kubeconfigPath(dataDir));
}

