// kube-system/extension-apiserver-authentication as kube-apiserver 1.32 publishes it
// (pkg/controlplane/controller/clusterauthenticationtrust, started by the post-start hook
// start-cluster-authentication-info-controller): how this apiserver authenticates clients, for the
// servers that delegate to it (kube-scheduler, kube-controller-manager, aggregated apiservers) to
// trust the same client certificates. client-ca-file is the CA bundle of the ConfigMap already
// there and then this apiserver's client CA, without duplicates and without certificates expired
// more than five minutes ago (several apiservers each add theirs); the requestheader-* keys are
// kept, combined the same way, and written only while a requestheader CA is known (this apiserver
// has no --requestheader-client-ca-file). Written when it differs, at start, at every change of
// the ConfigMap (its deletion included) and every minute.
import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../api/types.js';
import { logger } from '../util/log.js';
import { pemBlocks } from '../util/pem.js';

const log = logger('cluster-authentication-trust');

export const AUTH_CONFIGMAP_NAMESPACE = 'kube-system';
export const AUTH_CONFIGMAP_NAME = 'extension-apiserver-authentication';
/** How often the ConfigMap is checked besides its changes (the controller's PollImmediateUntil). */
export const AUTH_RESYNC_MS = 60_000;

/** ClusterAuthenticationInfo: what this apiserver requires the ConfigMap to hold. */
export interface ClusterAuthenticationInfo {
  clientCA?: string;
  requestHeaderCA?: string;
  requestHeaderUsernameHeaders?: string[];
  requestHeaderUIDHeaders?: string[];
  requestHeaderGroupHeaders?: string[];
  requestHeaderExtraHeaderPrefixes?: string[];
  requestHeaderAllowedNames?: string[];
}

const FIVE_MINUTES_MS = 5 * 60_000;

/** combineCertLists: the certificates of both bundles in order, unexpired (five minutes' slack), each once. */
export function combineCABundles(lhs: string | undefined, rhs: string | undefined, now = Date.now()): string | undefined {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const bundle of [lhs, rhs]) {
    for (const block of pemBlocks(bundle ?? '', 'CERTIFICATE')) {
      const cert = new X509Certificate(block);
      if (Date.parse(cert.validTo) <= now - FIVE_MINUTES_MS) continue;
      const raw = cert.raw.toString('base64');
      if (seen.has(raw)) continue;
      seen.add(raw);
      out.push(`-----BEGIN CERTIFICATE-----\n${raw.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
    }
  }
  return out.length ? out.join('') : undefined;
}

const unique = (lhs: string[] | undefined, rhs: string[] | undefined) => [...new Set([...(lhs ?? []), ...(rhs ?? [])])];

/** jsonDeserializeStringSlice: an absent key is none; anything but a JSON list of strings is an error. */
function stringList(data: Record<string, string>, key: string): string[] | undefined {
  const v = data[key];
  if (!v) return undefined;
  const parsed: unknown = JSON.parse(v);
  if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== 'string')) throw new Error(`json: cannot unmarshal ${key} into Go value of type []string`);
  return parsed as string[];
}

/** getClusterAuthenticationInfoFor, combinedClusterAuthenticationInfo and getConfigMapDataFor: the data the ConfigMap should hold. */
export function authenticationData(existing: Record<string, string> | undefined, required: ClusterAuthenticationInfo, now = Date.now()): Record<string, string> {
  const d = existing ?? {};
  const clientCA = combineCABundles(d['client-ca-file'], required.clientCA, now);
  const requestHeaderCA = combineCABundles(d['requestheader-client-ca-file'], required.requestHeaderCA, now);
  const data: Record<string, string> = {};
  if (clientCA) data['client-ca-file'] = clientCA;
  if (!requestHeaderCA) return data;
  data['requestheader-username-headers'] = JSON.stringify(unique(stringList(d, 'requestheader-username-headers'), required.requestHeaderUsernameHeaders));
  data['requestheader-uid-headers'] = JSON.stringify(unique(stringList(d, 'requestheader-uid-headers'), required.requestHeaderUIDHeaders));
  data['requestheader-group-headers'] = JSON.stringify(unique(stringList(d, 'requestheader-group-headers'), required.requestHeaderGroupHeaders));
  data['requestheader-extra-headers-prefix'] = JSON.stringify(unique(stringList(d, 'requestheader-extra-headers-prefix'), required.requestHeaderExtraHeaderPrefixes));
  data['requestheader-client-ca-file'] = requestHeaderCA;
  data['requestheader-allowed-names'] = JSON.stringify(unique(stringList(d, 'requestheader-allowed-names'), required.requestHeaderAllowedNames));
  return data;
}

/** The ConfigMap's reads and writes (the apiserver's own store, as system). */
export interface AuthConfigMapAccess {
  get(): Promise<KubeObject | undefined>;
  create(obj: KubeObject): Promise<void>;
  update(obj: KubeObject): Promise<void>;
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string>) => {
  const ka = Object.keys(a ?? {});
  return ka.length === Object.keys(b).length && ka.every((k) => a![k] === b[k]);
};

/** syncConfigMap: writes the ConfigMap when what it holds is not what it should (created when missing). */
export async function syncAuthenticationConfigMap(access: AuthConfigMapAccess, required: ClusterAuthenticationInfo, now = Date.now()): Promise<boolean> {
  const current = await access.get();
  const existing = current?.data as Record<string, string> | undefined;
  const data = authenticationData(existing, required, now);
  if (current && sameData(existing, data)) return false;
  log.info('writing updated authentication info', { configmap: `${AUTH_CONFIGMAP_NAMESPACE}/${AUTH_CONFIGMAP_NAME}` });
  if (current) await access.update({ ...current, data });
  else await access.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: AUTH_CONFIGMAP_NAME, namespace: AUTH_CONFIGMAP_NAMESPACE }, data });
  return true;
}

/**
 * The controller's loop: one sync at a time, a change during a sync queues one more, a failed
 * sync retried after `retryMs` (the work queue's rate limit, in small), and a sync every `resyncMs`.
 */
export class ClusterAuthenticationTrustController {
  private running = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly access: AuthConfigMapAccess, private readonly required: ClusterAuthenticationInfo, private readonly o: { resyncMs?: number; retryMs?: number } = {}) {}

  /** The first sync, awaited (its failure is logged and retried), then every resync period. */
  async start(): Promise<void> {
    await this.sync();
  }

  /** A change of the ConfigMap, or the period: sync (once more if one is under way). */
  enqueue(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.sync();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async sync(): Promise<void> {
    this.running = true;
    clearTimeout(this.timer);
    let next = this.o.resyncMs ?? AUTH_RESYNC_MS;
    try {
      await syncAuthenticationConfigMap(this.access, this.required);
    } catch (e) {
      log.error(`${AUTH_CONFIGMAP_NAMESPACE}/${AUTH_CONFIGMAP_NAME} failed with : ${(e as Error).message}`);
      next = this.o.retryMs ?? 1000;
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.again) {
      this.again = false;
      return this.sync();
    }
    this.timer = setTimeout(() => this.enqueue(), next);
    this.timer.unref?.();
  }
}
