// tsctl join --config: a kubeadm JoinConfiguration file, read as kubeadm 1.32's join reads it
// (cmd/kubeadm/app/util/config/joinconfiguration.go LoadOrDefaultJoinConfiguration): the
// JoinConfiguration document of the file (kubeadm.k8s.io/v1beta4, or the deprecated v1beta3)
// gives the discovery, the TLS bootstrap token, the node's name, the preflight errors to ignore
// and the discovery timeout (v1beta4 timeouts.discovery, v1beta3 discovery.timeout; 5m if
// unset). Such flags cannot be given with it (validation.ValidateMixedArguments).
import yaml from 'js-yaml';
import { goYamlSchema } from '../util/yaml11.js';
import { parseGoDuration, TokenValidationError } from './token.js';

/** What a JoinConfiguration says of a join (unset: not said). */
export interface JoinConfig {
  endpoint: string;
  token: string;
  tlsBootstrapToken: string;
  caCertHashes: string[];
  unsafeSkipCAVerification: boolean;
  discoveryFile?: string;
  discoveryTimeoutMs: number;
  nodeName?: string;
  ignorePreflightErrors: string[];
}

const GROUP = 'kubeadm.k8s.io';
const DEFAULT_DISCOVERY_TIMEOUT = '5m0s';

/**
 * The flags --config may be given with (validation isAllowedFlag: --config, --ignore-preflight-errors,
 * --dry-run, --node-name, --skip-*, ...); tskube's own (--data-dir, --cert-dir, --output-file,
 * --start-agent, --kubeconfig) are no kubeadm flags and are not checked.
 */
const KUBEADM_JOIN_FLAGS = ['token', 'discovery-token', 'discovery-token-ca-cert-hash', 'discovery-token-unsafe-skip-ca-verification', 'discovery-file', 'tls-bootstrap-token', 'server'];

/** ValidateMixedArguments' error when flags the config file replaces were given with --config; names in pflag's (sorted) order. */
export function mixedArgumentsError(given: Iterable<string>): string | undefined {
  const bad = [...new Set(given)].filter((f) => KUBEADM_JOIN_FLAGS.includes(f)).sort();
  return bad.length ? `can not mix '--config' with arguments [${bad.join(' ')}]` : undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const strs = (v: unknown) => (Array.isArray(v) ? v.map(str) : []);

/** The JoinConfiguration of a config file's YAML documents; `warn` gets what kubeadm only warns of. */
export function parseJoinConfiguration(text: string, warn: (line: string) => void = () => {}): JoinConfig {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { schema: goYamlSchema });
  } catch (e) {
    throw new Error(`error converting YAML to JSON: ${(e as Error).message}`, { cause: e });
  }
  let join: Obj | undefined;
  let version = '';
  for (const d of docs) {
    if (!isObj(d)) continue;
    const [group, v] = str(d.apiVersion).split('/');
    if (d.kind !== 'JoinConfiguration' || group !== GROUP) continue;
    if (v !== 'v1beta3' && v !== 'v1beta4') {
      throw new Error(`unsupported apiVersion ${JSON.stringify(str(d.apiVersion))}, you may be using an old version of kubeadm: this version of tsctl join reads kubeadm.k8s.io/v1beta4 and v1beta3`);
    }
    join = d;
    version = v;
  }
  if (!join) throw new Error('no JoinConfiguration found in the supplied config');
  const discovery = isObj(join.discovery) ? join.discovery : {};
  const bootstrap = isObj(discovery.bootstrapToken) ? discovery.bootstrapToken : undefined;
  const file = isObj(discovery.file) ? discovery.file : undefined;
  const registration = isObj(join.nodeRegistration) ? join.nodeRegistration : {};
  const timeouts = isObj(join.timeouts) ? join.timeouts : {};
  // (v1beta4 moved discovery.timeout to timeouts.discovery; the old field is unknown there)
  if (version === 'v1beta4' && discovery.timeout !== undefined) warn(`strict decoding error: unknown field "discovery.timeout"`);
  const timeout = str(version === 'v1beta4' ? timeouts.discovery : discovery.timeout) || DEFAULT_DISCOVERY_TIMEOUT;
  const field = version === 'v1beta4' ? 'timeouts.discovery' : 'discovery.timeout';
  let discoveryTimeoutMs: number;
  try {
    discoveryTimeoutMs = parseGoDuration(field, timeout);
  } catch (e) {
    throw new TokenValidationError(`${field}: Invalid value: ${JSON.stringify(timeout)}: ${(e as Error).message.replace(/^.*: time: /, 'time: ')}`, { cause: e });
  }
  const token = str(bootstrap?.token);
  return {
    endpoint: str(bootstrap?.apiServerEndpoint),
    token,
    // (SetDefaults_Discovery: the TLS bootstrap token is the discovery token unless set)
    tlsBootstrapToken: str(discovery.tlsBootstrapToken) || token,
    caCertHashes: strs(bootstrap?.caCertHashes),
    unsafeSkipCAVerification: bootstrap?.unsafeSkipCAVerification === true,
    discoveryFile: file ? str(file.kubeConfigPath) || undefined : undefined,
    discoveryTimeoutMs,
    nodeName: str(registration.name) || undefined,
    ignorePreflightErrors: strs(registration.ignorePreflightErrors),
  };
}
