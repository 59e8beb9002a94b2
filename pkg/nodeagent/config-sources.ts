// The ConfigMaps and Secrets a pod uses, as the kubelet's configmap and secret managers give
// them: fetched from the API before its containers start (env, envFrom, configMap, secret and
// projected volumes), with the kubelet's errors for what is missing. Secret values arrive
// base64-encoded and are decoded here. The service account tokens of projected volumes, fetched
// by the token manager, travel with them.
import type { ReferencedKind } from '../api/pod-references.js';
import type { Container, Pod } from '../api/types.js';
import { isRelaxedEnvVarName } from '../api/names.js';

export type SourceKind = ReferencedKind;

/** A ConfigMap's or Secret's keys, decoded; undefined when it does not exist. */
export type SourceData = Map<string, Buffer> | undefined;

/** What was fetched for a pod, by kind and name. */
export class ConfigSources {
  private readonly data = new Map<string, SourceData>();

  static key(kind: SourceKind, name: string): string {
    return `${kind}/${name}`;
  }

  set(kind: SourceKind, name: string, d: SourceData): void {
    this.data.set(ConfigSources.key(kind, name), d);
  }

  has(kind: SourceKind, name: string): boolean {
    return this.data.has(ConfigSources.key(kind, name));
  }

  get(kind: SourceKind, name: string): SourceData {
    return this.data.get(ConfigSources.key(kind, name));
  }

  /** Service account tokens of projected volumes, by audience and lifetime. */
  private readonly tokens = new Map<string, string>();

  static tokenKey(p: { audience?: string; expirationSeconds?: number }): string {
    return `${p.audience ?? ''}\0${p.expirationSeconds ?? 3600}`;
  }

  setToken(p: { audience?: string; expirationSeconds?: number }, token: string): void {
    this.tokens.set(ConfigSources.tokenKey(p), token);
  }

  token(p: { audience?: string; expirationSeconds?: number }): string | undefined {
    return this.tokens.get(ConfigSources.tokenKey(p));
  }
}

/** An object's keys, decoded: a ConfigMap's data (text) and binaryData (base64); a Secret's data (base64). */
export function decodeSource(kind: SourceKind, obj: Record<string, unknown>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const data = (obj.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) out.set(k, kind === 'secrets' ? Buffer.from(v, 'base64') : Buffer.from(v));
  if (kind === 'configmaps') for (const [k, v] of Object.entries((obj.binaryData ?? {}) as Record<string, string>)) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

const kindName = (kind: SourceKind) => (kind === 'configmaps' ? 'configmap' : 'secret');
const typeName = (kind: SourceKind) => (kind === 'configmaps' ? 'ConfigMap' : 'Secret');

/** Thrown for a reference the kubelet would refuse (CreateContainerConfigError), with its message. */
export class ConfigSourceError extends Error {
  override name = 'ConfigSourceError';
}

/** A name the kubelet accepts from envFrom (1.32's IsRelaxedEnvVarName: printable ASCII but '=', not empty). */
const envNameOk = (n: string) => isRelaxedEnvVarName(n).length === 0;

/**
 * The variables a container's envFrom gives (in order, later sources win), and the names it
 * skipped as invalid (the kubelet reports those in an event). Missing non-optional sources throw.
 */
export function envFromVars(pod: Pod, c: Container, sources: ConfigSources): { vars: Map<string, string>; invalid: string[] } {
  const vars = new Map<string, string>();
  const invalid: string[] = [];
  for (const e of c.envFrom ?? []) {
    const ref = e.configMapRef ? { kind: 'configmaps' as const, r: e.configMapRef } : e.secretRef ? { kind: 'secrets' as const, r: e.secretRef } : undefined;
    if (!ref?.r.name) continue;
    const d = sources.get(ref.kind, ref.r.name);
    if (!d) {
      if (ref.r.optional) continue;
      throw new ConfigSourceError(`${kindName(ref.kind)} "${ref.r.name}" not found`);
    }
    for (const [k, v] of d) {
      const name = (e.prefix ?? '') + k;
      if (!envNameOk(name)) invalid.push(name);
      else vars.set(name, v.toString());
    }
  }
  return { vars, invalid };
}

/** One env var's value from a configMapKeyRef or secretKeyRef; undefined when optional and absent. */
export function keyRefValue(kind: SourceKind, ref: { name?: string; key?: string; optional?: boolean }, namespace: string, sources: ConfigSources): string | undefined {
  const d = sources.get(kind, ref.name ?? '');
  if (!d) {
    if (ref.optional) return undefined;
    throw new ConfigSourceError(`${kindName(kind)} "${ref.name}" not found`);
  }
  const v = d.get(ref.key ?? '');
  if (v === undefined) {
    if (ref.optional) return undefined;
    throw new ConfigSourceError(`couldn't find key ${ref.key} in ${typeName(kind)} ${namespace}/${ref.name}`);
  }
  return v.toString();
}
