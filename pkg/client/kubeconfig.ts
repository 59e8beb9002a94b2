// Kubeconfig loading, as kubectl does it: --kubeconfig, then $KUBECONFIG, then the local
// single-node cluster's kubeconfig (and ~/.kube/config last).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { goYamlSchema } from '../util/yaml11.js';

export const defaultDataDir = '/var/lib/tskube';

/** The kubeconfig cluster extension that names the gRPC frontend. */
export const grpcExtension = 'tskube.io/grpc';

export interface ClusterConfig {
  server: string;
  caCert?: string;
  token?: string;
  clientCert?: string;
  clientKey?: string;
  insecureSkipTLSVerify?: boolean;
  /** host:port of the apiserver's gRPC frontend (cluster extension tskube.io/grpc), if known. */
  grpcServer?: string;
  namespace: string;
  /** Where it came from, for error messages. */
  source: string;
}

interface RawKubeconfig {
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  'current-context'?: string;
}

export function findKubeconfig(explicit?: string, dataDir = defaultDataDir): string {
  if (explicit) return explicit;
  const env = process.env.KUBECONFIG?.split(':').find((p) => p && existsSync(p));
  if (env) return env;
  const local = `${dataDir}/kubeconfig`;
  if (existsSync(local)) return local;
  const home = `${homedir()}/.kube/config`;
  if (existsSync(home)) return home;
  throw new Error(`no kubeconfig found: pass --kubeconfig, set $KUBECONFIG, or start a cluster with "tsctl up" (looked for ${local})`);
}

export function loadKubeconfig(path: string, context?: string): ClusterConfig {
  let raw: RawKubeconfig;
  try {
    // (as client-go's clientcmd reads it, through sigs.k8s.io/yaml and go-yaml v2: YAML 1.1)
    raw = yaml.load(readFileSync(path, 'utf8'), { schema: goYamlSchema }) as RawKubeconfig;
  } catch (e) {
    throw new Error(`kubeconfig ${path}: ${(e as Error).message}`);
  }
  const ctxName = context ?? raw['current-context'];
  const ctx = raw.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${path}: context "${ctxName}" not found`);
  const cluster = raw.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster) throw new Error(`kubeconfig ${path}: cluster "${ctx.cluster}" not found`);
  const user = raw.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const base = dirname(resolve(path));
  const fileOrData = (data: unknown, file: unknown): string | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64').toString('utf8');
    if (typeof file === 'string') return readFileSync(resolve(base, file), 'utf8');
    return undefined;
  };
  let token = typeof user.token === 'string' ? user.token : undefined;
  if (!token && typeof user.tokenFile === 'string') token = readFileSync(resolve(base, user.tokenFile), 'utf8').trim();
  const ext = (cluster.extensions as { name?: string; extension?: { server?: unknown } }[] | undefined)?.find((e) => e?.name === grpcExtension);
  return {
    server: String(cluster.server),
    grpcServer: typeof ext?.extension?.server === 'string' ? ext.extension.server : undefined,
    caCert: fileOrData(cluster['certificate-authority-data'], cluster['certificate-authority']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    token,
    clientCert: fileOrData(user['client-certificate-data'], user['client-certificate']),
    clientKey: fileOrData(user['client-key-data'], user['client-key']),
    namespace: ctx.namespace ?? 'default',
    source: path,
  };
}
