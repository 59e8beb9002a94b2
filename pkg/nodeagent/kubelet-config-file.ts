// The kubelet's --config: a KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file, YAML or
// JSON, whose fields set what the agent's flags set; a flag given on the command line wins over
// the file, as the kubelet's flags override its config file. The fields the agent has no flag for
// are left alone (logged), as the rest of the kubelet's configuration is not the agent's. As in
// 1.32, a map the file gives replaces the flag's whole default: evictionHard with one signal has
// no thresholds for the others (mergeDefaultEvictionSettings came after 1.32). Relative paths
// (staticPodPath, authentication.x509.clientCAFile) are taken from the file's directory, as
// resolveRelativePaths does.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { goParseDuration } from './node-status-settings.js';

export class KubeletConfigFileError extends Error {}

type Kind = 'thresholds' | 'pairs' | 'string' | 'number' | 'bool' | 'list' | 'path' | 'dns' | 'taints';

/** Each KubeletConfiguration field the agent has a flag for: the flag, and how the field's value becomes the flag's. */
const FIELDS: Record<string, { flag: string; kind: Kind }> = {
  systemReserved: { flag: 'system-reserved', kind: 'pairs' },
  kubeReserved: { flag: 'kube-reserved', kind: 'pairs' },
  enforceNodeAllocatable: { flag: 'enforce-node-allocatable', kind: 'list' },
  systemReservedCgroup: { flag: 'system-reserved-cgroup', kind: 'string' },
  kubeReservedCgroup: { flag: 'kube-reserved-cgroup', kind: 'string' },
  evictionHard: { flag: 'eviction-hard', kind: 'thresholds' },
  evictionSoft: { flag: 'eviction-soft', kind: 'thresholds' },
  evictionSoftGracePeriod: { flag: 'eviction-soft-grace-period', kind: 'pairs' },
  evictionMinimumReclaim: { flag: 'eviction-minimum-reclaim', kind: 'pairs' },
  evictionPressureTransitionPeriod: { flag: 'eviction-pressure-transition-period', kind: 'string' },
  evictionMaxPodGracePeriod: { flag: 'eviction-max-pod-grace-period', kind: 'number' },
  imageGCHighThresholdPercent: { flag: 'image-gc-high-threshold', kind: 'number' },
  imageGCLowThresholdPercent: { flag: 'image-gc-low-threshold', kind: 'number' },
  imageMinimumGCAge: { flag: 'image-minimum-gc-age', kind: 'string' },
  maxPods: { flag: 'max-pods', kind: 'number' },
  port: { flag: 'port', kind: 'number' },
  healthzPort: { flag: 'healthz-port', kind: 'number' },
  healthzBindAddress: { flag: 'healthz-bind-address', kind: 'string' },
  podCIDR: { flag: 'pod-cidr', kind: 'string' },
  clusterDomain: { flag: 'cluster-domain', kind: 'string' },
  clusterDNS: { flag: 'cluster-dns', kind: 'dns' },
  staticPodPath: { flag: 'pod-manifest-path', kind: 'path' },
  allowedUnsafeSysctls: { flag: 'allowed-unsafe-sysctls', kind: 'list' },
  registerWithTaints: { flag: 'register-with-taints', kind: 'taints' },
  rotateCertificates: { flag: 'rotate-certificates', kind: 'bool' },
};

/**
 * The fields the agent reads for settings that have no flag of their own (or whose defaulting
 * depends on whether the file set them: node-status-settings.ts), kept as the file gives them.
 */
const SETTINGS: Record<string, 'int32' | 'duration' | 'bool'> = {
  nodeLeaseDurationSeconds: 'int32',
  nodeStatusUpdateFrequency: 'duration',
  nodeStatusReportFrequency: 'duration',
  // (the kubelet has no flag for it: its serving certificate from a kubelet-serving CSR)
  serverTLSBootstrap: 'bool',
};

export interface KubeletConfigFile {
  /** Flag values by flag name, in the flags' own forms (lists as their items). */
  flags: Record<string, string | number | boolean | string[]>;
  /** The file's fields the agent has no flag or setting for. */
  ignored: string[];
  /** The SETTINGS fields the file gives: numbers, and durations as Go's time.ParseDuration takes them (checked). */
  settings: Record<string, number | string | boolean>;
}

/**
 * Reads a KubeletConfiguration file into flag values, with the kubelet's errors ('failed to load
 * Kubelet config file FILE, error failed to read kubelet config file "ABS", error: ...',
 * '... kubelet config file "ABS" was empty').
 */
export function loadKubeletConfigFile(name: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): KubeletConfigFile {
  const fail = (msg: string) => new KubeletConfigFileError(`failed to load Kubelet config file ${name}, error ${msg}`);
  const abs = resolve(name);
  let text: string;
  try {
    text = read(abs);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.code === 'EISDIR' ? 'is a directory' : err.message;
    throw fail(`failed to read kubelet config file "${abs}", error: open ${abs}: ${why}`);
  }
  if (!text.length) throw fail(`kubelet config file "${abs}" was empty`);
  let doc: unknown;
  try {
    doc = yaml.load(text);
  } catch (e) {
    throw fail(`failed to decode: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw fail(`failed to decode: couldn't get version/kind; json parse error: not a KubeletConfiguration object`);
  const o = doc as Record<string, unknown>;
  if (!o.kind) throw fail(`failed to decode: Object 'Kind' is missing in '${JSON.stringify(o)}'`);
  if (o.apiVersion !== 'kubelet.config.k8s.io/v1beta1' || o.kind !== 'KubeletConfiguration') {
    throw fail(`failed to decode: no kind "${String(o.kind)}" is registered for version "${String(o.apiVersion ?? '')}" in scheme "pkg/kubelet/apis/config/scheme/scheme.go:33"`);
  }
  const flags: KubeletConfigFile['flags'] = {};
  const ignored: string[] = [];
  const settings: KubeletConfigFile['settings'] = {};
  for (const [field, value] of Object.entries(o)) {
    if (field === 'apiVersion' || field === 'kind') continue;
    const setting = SETTINGS[field];
    if (setting && value !== null && value !== undefined) {
      // (metav1.Duration's UnmarshalJSON: a JSON string, then time.ParseDuration; an int32 a whole number)
      const want = setting === 'int32' ? 'number' : setting === 'bool' ? 'boolean' : 'string';
      if (typeof value !== want || (setting === 'int32' && !Number.isInteger(value))) {
        const got = Array.isArray(value) ? 'array' : typeof value;
        throw fail(`failed to decode: json: cannot unmarshal ${got} into ${setting === 'duration' ? 'Go value of type string' : `Go struct field KubeletConfiguration.${field} of type ${setting}`}`);
      }
      if (setting === 'duration') {
        try {
          goParseDuration(value as string);
        } catch (e) {
          throw fail(`failed to decode: ${(e as Error).message}`);
        }
      }
      settings[field] = value as number | string | boolean;
      continue;
    }
    if (field === 'authentication') {
      authentication(value, abs, flags, ignored, fail);
      continue;
    }
    const f = FIELDS[field];
    if (!f) {
      ignored.push(field);
      continue;
    }
    if (value === null || value === undefined) continue;
    const bad = (want: string) => fail(`failed to decode: json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field KubeletConfiguration.${field} of type ${want}`);
    const map = (sep: string) => {
      if (typeof value !== 'object' || Array.isArray(value)) throw bad('map[string]string');
      return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}${sep}${String(v)}`);
    };
    const list = () => {
      if (!Array.isArray(value)) throw bad('[]string');
      return value.map(String);
    };
    switch (f.kind) {
      case 'thresholds':
        flags[f.flag] = map('<');
        break;
      case 'pairs':
        flags[f.flag] = map('=');
        break;
      case 'number':
        if (typeof value !== 'number') throw bad('int32');
        flags[f.flag] = value;
        break;
      case 'bool':
        if (typeof value !== 'boolean') throw bad('bool');
        flags[f.flag] = value;
        break;
      case 'string':
        if (typeof value !== 'string') throw bad('string');
        flags[f.flag] = value;
        break;
      case 'path':
        if (typeof value !== 'string') throw bad('string');
        flags[f.flag] = value && !isAbsolute(value) ? join(dirname(abs), value) : value;
        break;
      case 'list':
        flags[f.flag] = list();
        break;
      case 'dns':
        flags[f.flag] = list().join(',');
        break;
      case 'taints':
        if (!Array.isArray(value)) throw bad('[]v1.Taint');
        flags[f.flag] = (value as { key?: string; value?: string; effect?: string }[]).map((t) => `${t.key ?? ''}${t.value ? `=${t.value}` : ''}:${t.effect ?? ''}`);
        break;
    }
  }
  return { flags, ignored, settings };
}

/**
 * authentication (KubeletAuthentication): x509.clientCAFile sets --client-ca-file, relative to the
 * file's directory as resolveRelativePaths takes it; anonymous and webhook are not the agent's
 * settings (its port takes the node's token, client certificates and reviewed tokens) and are
 * left alone, each reported by its path.
 */
function authentication(value: unknown, abs: string, flags: KubeletConfigFile['flags'], ignored: string[], fail: (msg: string) => Error): void {
  if (value === null || value === undefined) return;
  const typeOf = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  const object = (v: unknown, field: string, type: string) => {
    if (typeof v !== 'object' || Array.isArray(v)) throw fail(`failed to decode: json: cannot unmarshal ${typeOf(v)} into Go struct field KubeletConfiguration.${field} of type v1beta1.${type}`);
    return v as Record<string, unknown>;
  };
  const authn = object(value, 'authentication', 'KubeletAuthentication');
  for (const [k, v] of Object.entries(authn)) {
    if (k !== 'x509') {
      ignored.push(`authentication.${k}`);
      continue;
    }
    if (v === null || v === undefined) continue;
    for (const [xk, xv] of Object.entries(object(v, 'authentication.x509', 'KubeletX509Authentication'))) {
      if (xk !== 'clientCAFile') {
        ignored.push(`authentication.x509.${xk}`);
        continue;
      }
      if (xv === null || xv === undefined) continue;
      if (typeof xv !== 'string') throw fail(`failed to decode: json: cannot unmarshal ${typeOf(xv)} into Go struct field KubeletX509Authentication.authentication.x509.clientCAFile of type string`);
      if (xv) flags['client-ca-file'] = isAbsolute(xv) ? xv : join(dirname(abs), xv);
    }
  }
}

/** The flags named on the command line (--name, --name=value), which win over the config file. */
export function givenFlags(argv: string[]): Set<string> {
  const out = new Set<string>();
  for (const a of argv) {
    if (a === '--') break;
    const m = /^--([^=]+)/.exec(a);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Sets `flags` from the file where the command line did not name the flag. */
export function applyKubeletConfigFile(flags: Record<string, unknown>, file: KubeletConfigFile, given: Set<string>): void {
  for (const [name, value] of Object.entries(file.flags)) if (!given.has(name)) flags[name] = value;
}
