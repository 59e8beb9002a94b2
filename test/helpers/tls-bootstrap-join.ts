// Joins a node kubeadm-style, by kubelet TLS bootstrapping, on a test control plane whose
// apiserver has --enable-bootstrap-token-auth and whose controller manager signs with the
// cluster CA: a bootstrap token Secret, kubeadm's three bindings, and loadClientCert as the node
// agent runs it for --bootstrap-kubeconfig. The node ends with a client certificate for
// system:node:NAME and no node token.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterRoleBindings, core } from '../../pkg/client/rest-client.js';
import { ControllerManager, defaultControllerConfig } from '../../pkg/controllers/manager.js';
import { loadClientCert } from '../../pkg/nodeagent/kubelet-bootstrap.js';
import { ensureBootstrapTokenSetup } from '../../pkg/tsctl/bootstrap-token-setup.js';
import { eventually, startControlPlane, type TestControlPlane } from './control-plane.js';

/** A ClusterRoleBinding of ROLE to GROUP, as kubeadm writes its bootstrap bindings. */
export const groupBinding = (name: string, role: string, group: string) => ({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
});

/** The controller manager settings that sign kubelet client certificates with the cluster CA. */
export const clusterSigning = (cp: TestControlPlane) => ({ clusterSigning: { caCertFile: join(cp.dataDir, 'pki', 'ca.crt'), caKeyFile: join(cp.dataDir, 'pki', 'ca.key') } });

/** A control plane that machines join the kubeadm way, and how to stop it. */
export interface JoinControlPlane {
  cp: TestControlPlane;
  /** Stops the controller manager, then the apiserver and its etcd, and removes the data dir. */
  stop(): Promise<void>;
}

export interface JoinControlPlaneOptions {
  /** The address the apiserver binds and advertises (cluster-info's server); default the loopback the harness picks. */
  address?: string;
  /** Whether the controller manager allocates nodes' podCIDRs (only a test that runs pods on joined nodes needs it). Default false. */
  allocateNodeCIDRs?: boolean;
  /** Whether to run `tsctl up`'s bootstrap-token phase (cluster-info and kubeadm's bindings) once started. Default true. */
  bootstrapTokenSetup?: boolean;
}

/**
 * An apiserver with --enable-bootstrap-token-auth and a controller manager that runs the
 * bootstrapsigner and tokencleaner beside its defaults and signs kubelet client certificates with
 * the cluster CA, as `tsctl up` leaves a cluster for `tsctl join`. A failed start stops what began.
 */
export async function startJoinControlPlane(opts: JoinControlPlaneOptions = {}): Promise<JoinControlPlane> {
  const address = opts.address === undefined ? {} : { bindAddress: opts.address, advertiseAddress: opts.address };
  const cp = await startControlPlane({ enableBootstrapTokenAuth: true, ...address }, { serviceAccountControllers: false });
  let cm: ControllerManager | undefined;
  const stop = async () => {
    await cm?.stop();
    await cp.stop(true);
  };
  try {
    cm = new ControllerManager(cp.admin, { ...defaultControllerConfig, leaderElect: false, allocateNodeCIDRs: opts.allocateNodeCIDRs ?? false, controllers: ['*', 'bootstrapsigner', 'tokencleaner'], ...clusterSigning(cp) });
    await cm.start();
    if (opts.bootstrapTokenSetup ?? true) await ensureBootstrapTokenSetup(cp.admin, cp.kubeconfig);
  } catch (e) {
    await stop();
    throw e;
  }
  return { cp, stop };
}

/**
 * kubeadm's three bindings: GROUP's tokens may create CSRs and have node client ones approved
 * (nodeclient), and nodes have their renewals approved (selfnodeclient).
 */
export async function addKubeadmBindings(cp: TestControlPlane, group: string): Promise<void> {
  await cp.admin.create(ClusterRoleBindings, undefined, groupBinding('kubeadm:kubelet-bootstrap', 'system:node-bootstrapper', group));
  await cp.admin.create(ClusterRoleBindings, undefined, groupBinding('kubeadm:node-autoapprove-bootstrap', 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', group));
  await cp.admin.create(ClusterRoleBindings, undefined, groupBinding('kubeadm:node-autoapprove-certificate-rotation', 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', 'system:nodes'));
}

/** Writes PATH as kubeadm join writes bootstrap-kubelet.conf: the cluster's server and CA and TOKEN, no gRPC extension. */
export function writeBootstrapKubeconfig(cp: TestControlPlane, token: string, path: string): string {
  writeFileSync(path, readFileSync(cp.kubeconfig, 'utf8').replace(/token: \S+/, `token: ${token}`).replace(/\n    extensions:\n(    .*\n)*?(?=users:)/, '\n'), { mode: 0o600 });
  return path;
}

/** Bootstraps NAME's kubeconfig into DIR/kubelet.conf (certificates in DIR/pki) and returns its path. */
export async function joinByTlsBootstrap(cp: TestControlPlane, nodeName: string, dir: string): Promise<string> {
  const group = 'system:bootstrappers:kubeadm:default-node-token';
  await cp.admin.create(core('secrets'), 'kube-system', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bootstrap-token-abcdef', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    stringData: { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': group },
  });
  await addKubeadmBindings(cp, group);
  const bootstrap = writeBootstrapKubeconfig(cp, 'abcdef.0123456789abcdef', join(dir, 'bootstrap-kubelet.conf'));
  const kubeconfig = join(dir, 'kubelet.conf');
  // (the authenticator reads the token Secret from its watch cache)
  await eventually(async () => (await loadClientCert({ kubeconfigPath: kubeconfig, bootstrapPath: bootstrap, certDir: join(dir, 'pki'), nodeName, pollMs: 100, timeoutMs: 20_000 }), true), { timeoutMs: 30_000, what: 'a bootstrapped kubeconfig' });
  return kubeconfig;
}
