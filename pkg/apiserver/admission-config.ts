// kube-apiserver's --admission-control-config-file: an AdmissionConfiguration
// (apiserver.config.k8s.io/v1) naming per-plugin configuration inline or by path. tskube reads
// the PodSecurity plugin's PodSecurityConfiguration (pod-security.admission.config.k8s.io/v1):
// the policy of unlabelled namespaces and the exempt usernames, runtime classes and namespaces.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { MODES, parseLevel, parseVersion, type Policy } from '../api/pod-security.js';
import type { PodSecurityConfig } from './admission-pod-security.js';

type Doc = Record<string, unknown>;

const POD_SECURITY_VERSIONS = ['pod-security.admission.config.k8s.io/v1', 'pod-security.admission.config.k8s.io/v1beta1'];

function stringList(v: unknown, where: string): string[] {
  if (v == null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw new Error(`${where}: must be a list of non-empty strings`);
  return v as string[];
}

/** A PodSecurityConfiguration document as the plugin's config (defaults privileged:latest, no exemptions). */
export function parsePodSecurityConfiguration(doc: Doc): PodSecurityConfig {
  if (doc.kind !== 'PodSecurityConfiguration' || !POD_SECURITY_VERSIONS.includes(String(doc.apiVersion))) {
    throw new Error(`PodSecurity configuration: expected kind PodSecurityConfiguration of ${POD_SECURITY_VERSIONS[0]}, got ${String(doc.kind)} of ${String(doc.apiVersion)}`);
  }
  const d = (doc.defaults ?? {}) as Record<string, unknown>;
  const defaults = {} as Policy;
  for (const mode of MODES) {
    const levelText = d[mode] ?? 'privileged';
    const versionText = d[`${mode}-version`] ?? 'latest';
    const level = parseLevel(String(levelText));
    if (typeof level !== 'string') throw new Error(`defaults.${mode}: Invalid value: ${JSON.stringify(levelText)}: ${level.error}`);
    const version = parseVersion(String(versionText));
    if ('error' in version) throw new Error(`defaults.${mode}-version: Invalid value: ${JSON.stringify(versionText)}: ${version.error}`);
    defaults[mode] = { level, version };
  }
  const e = (doc.exemptions ?? {}) as Record<string, unknown>;
  return {
    defaults,
    exemptions: {
      usernames: stringList(e.usernames, 'exemptions.usernames'),
      runtimeClasses: stringList(e.runtimeClasses, 'exemptions.runtimeClasses'),
      namespaces: stringList(e.namespaces, 'exemptions.namespaces'),
    },
  };
}

/** The PodSecurity configuration of an AdmissionConfiguration file (undefined when it has none). */
export function loadAdmissionConfig(file: string): { podSecurity?: PodSecurityConfig } {
  const doc = yaml.load(readFileSync(file, 'utf8')) as Doc | undefined;
  if (!doc || doc.kind !== 'AdmissionConfiguration') throw new Error(`${file}: expected kind AdmissionConfiguration`);
  const plugins = (doc.plugins ?? []) as { name?: string; path?: string; configuration?: Doc }[];
  const entry = plugins.find((p) => p.name === 'PodSecurity');
  if (!entry) return {};
  const conf = entry.configuration ?? (entry.path ? (yaml.load(readFileSync(resolve(dirname(file), entry.path), 'utf8')) as Doc) : undefined);
  if (!conf) throw new Error(`${file}: plugin PodSecurity has neither configuration nor path`);
  return { podSecurity: parsePodSecurityConfiguration(conf) };
}
