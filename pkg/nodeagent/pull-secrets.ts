// Registry credentials from a pod's imagePullSecrets, as the kubelet's credential keyring reads
// them: Secrets of type kubernetes.io/dockerconfigjson (`{"auths": {...}}` under
// .dockerconfigjson) or the older kubernetes.io/dockercfg (the `auths` map itself under
// .dockercfg). An entry applies to an image when its host (and port) is the image's registry
// and its path, if any, is a prefix of the image's repository. Every matching entry is a
// candidate; the kubelet tries them in turn until a pull succeeds.
import type { Pod } from '../api/types.js';
import { parseImageRef } from '../runtime/image-ref.js';
import type { RegistryAuth } from '../runtime/registry-client.js';
import type { ConfigSources } from './config-sources.js';

interface DockerAuthEntry {
  username?: string;
  password?: string;
  /** base64 of `username:password` */
  auth?: string;
}

/** Docker Hub answers to several names. */
const hubAliases = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const sameRegistry = (a: string, b: string) => a === b || (hubAliases.has(a) && hubAliases.has(b));

/** Whether a docker config key (`host[:port][/path]`, possibly with a scheme or Docker's `/v1/`) names the image's registry and repository. */
export function keyMatches(key: string, domain: string, repository: string): boolean {
  const k = key.replace(/^[a-z]+:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/+$/, '');
  const slash = k.indexOf('/');
  const host = slash < 0 ? k : k.slice(0, slash);
  const path = slash < 0 ? '' : k.slice(slash + 1);
  if (!sameRegistry(host, domain)) return false;
  return !path || repository === path || repository.startsWith(`${path}/`);
}

function entryAuth(e: DockerAuthEntry): RegistryAuth | undefined {
  if (e.username !== undefined || e.password !== undefined) return { username: e.username ?? '', password: e.password ?? '' };
  if (!e.auth) return undefined;
  const plain = Buffer.from(e.auth, 'base64').toString();
  const colon = plain.indexOf(':');
  return colon < 0 ? undefined : { username: plain.slice(0, colon), password: plain.slice(colon + 1) };
}

/** The credentials the pod's imagePullSecrets offer for `image`, in order; empty when none match (or none exist). */
export function pullCredentials(pod: Pod, image: string, sources: ConfigSources): RegistryAuth[] {
  let ref;
  try {
    ref = parseImageRef(image);
  } catch {
    return [];
  }
  const out: RegistryAuth[] = [];
  for (const s of pod.spec?.imagePullSecrets ?? []) {
    const data = s.name ? sources.get('secrets', s.name) : undefined;
    if (!data) continue;
    let auths: Record<string, DockerAuthEntry> = {};
    try {
      if (data.has('.dockerconfigjson')) auths = (JSON.parse(data.get('.dockerconfigjson')!.toString()) as { auths?: Record<string, DockerAuthEntry> }).auths ?? {};
      else if (data.has('.dockercfg')) auths = JSON.parse(data.get('.dockercfg')!.toString()) as Record<string, DockerAuthEntry>;
    } catch {
      continue; // not JSON: the kubelet skips such a secret too
    }
    for (const [key, entry] of Object.entries(auths)) {
      const a = keyMatches(key, ref.domain, ref.path) ? entryAuth(entry) : undefined;
      if (a) out.push(a);
    }
  }
  return out;
}

/**
 * The pod's imagePullSecrets that could not be had (missing from the API), by name: the kubelet's
 * getPullSecretsForPod says so on every sync, in a FailedToRetrieveImagePullSecret warning, even
 * when no image is to be pulled. Entries without a name are skipped (validation lets them in).
 */
export function missingPullSecrets(pod: Pod, sources: ConfigSources): string[] {
  return (pod.spec?.imagePullSecrets ?? []).flatMap((s) => (s.name && !sources.get('secrets', s.name) ? [s.name] : []));
}

/** The kubelet's words for missing pull secrets. */
export const missingPullSecretsMessage = (names: string[]) => `Unable to retrieve some image pull secrets (${names.join(', ')}); attempting to pull the image may not succeed.`;
