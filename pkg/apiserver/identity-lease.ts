// The apiserver's identity Lease (APIServerIdentity, on by default in 1.32): each apiserver keeps
// kube-system/apiserver-<hash of its host name>, held as "<name>_<uuid>" for 3600 s and renewed
// every 10 s (pkg/controlplane/instance.go's start-kube-apiserver-identity-lease-controller and
// component-helpers' lease controller), labelled apiserver.kubernetes.io/identity=kube-apiserver
// and kubernetes.io/hostname (labelAPIServerHeartbeatFunc). Every apiserver also deletes the
// identity Leases that have expired, once at start and then every hour
// (pkg/controlplane/controller/apiserverleasegc): those of apiservers that have gone.
import { createHash, randomUUID } from 'node:crypto';
import type { KubeObject, Lease } from '../api/types.js';
import { isNotFound } from './errors.js';
import type { RequestContext, Store } from './registry/store.js';

export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const KUBE_APISERVER = 'kube-apiserver';
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
/** IdentityLeaseDurationSeconds. */
export const IDENTITY_LEASE_DURATION_SECONDS = 3600;
/** IdentityLeaseRenewIntervalPeriod. */
export const IDENTITY_LEASE_RENEW_MS = 10_000;
/** IdentityLeaseGCPeriod. */
export const IDENTITY_LEASE_GC_MS = 3600_000;

/**
 * The apiserver's ID, its Lease's name (genericapiserver's NewConfig): "apiserver-" and the
 * lower-case unpadded base32 of the first 16 bytes of the SHA-256 of the host name and
 * "kube-apiserver", each prefixed with its 2-byte big-endian length (cryptobyte's
 * AddUint16LengthPrefixed), so one host's apiserver has the same name after a restart.
 */
export function apiserverID(hostname: string): string {
  const part = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const hash = createHash('sha256').update(Buffer.concat([part(hostname), part(KUBE_APISERVER)])).digest().subarray(0, 16);
  return `apiserver-${base32(hash).toLowerCase()}`;
}

/** RFC 4648 base32 without padding (base32.StdEncoding.WithPadding(NoPadding)). */
function base32(data: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The Leases of kube-system as the two controllers read and write them (the apiserver's own store). */
export interface IdentityLeaseAccess {
  get(name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  /** Conditional on the lease's resourceVersion; a stale one is a 409. */
  update(lease: Lease): Promise<Lease>;
  /** The Leases carrying apiserver.kubernetes.io/identity=kube-apiserver (from the watch cache). */
  listIdentityLeases(): Lease[];
  /** Deleted; a Lease already gone is not an error. */
  delete(name: string): Promise<void>;
}

/** metav1.MicroTime as it is serialized: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

/** One apiserver's identity Lease: created when missing, renewed on each sync (component-helpers' lease controller). */
export class IdentityLeaseController {
  readonly name: string;
  readonly holderIdentity: string;
  /** The Lease as last written by this controller (updates start from it, without a GET). */
  private latest: Lease | undefined;

  constructor(
    private readonly leases: IdentityLeaseAccess,
    private readonly hostname: string,
    private readonly now: () => number = Date.now,
    uuid: () => string = randomUUID,
  ) {
    this.name = apiserverID(hostname);
    this.holderIdentity = `${this.name}_${uuid()}`;
  }

  /** The lease controller's sync: update from the last written Lease, else get or create it and update it. */
  async sync(): Promise<void> {
    if (this.latest) {
      try {
        this.latest = await this.leases.update(this.renewed(this.latest));
        return;
      } catch {
        // (fallback to ensure lease: read it again)
        this.latest = undefined;
      }
    }
    const existing = await this.leases.get(this.name);
    if (!existing) {
      this.latest = await this.leases.create(this.renewed(undefined));
      return;
    }
    this.latest = await this.leases.update(this.renewed(existing));
  }

  /** newLease: the bare spec on create (holder, duration), the stored Lease otherwise; renewTime now; the labels asserted. */
  private renewed(base: Lease | undefined): Lease {
    const lease: Lease = base
      ? structuredClone(base)
      : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: 'kube-system' }, spec: { holderIdentity: this.holderIdentity, leaseDurationSeconds: IDENTITY_LEASE_DURATION_SECONDS } };
    lease.spec = { ...lease.spec, renewTime: microTime(this.now()) };
    lease.metadata = { ...lease.metadata, labels: { ...lease.metadata?.labels, [IDENTITY_LABEL]: KUBE_APISERVER, [HOSTNAME_LABEL]: this.hostname } };
    return lease;
  }
}

/** isLeaseExpired: no renewTime or duration, or renewTime + duration before now. */
export function identityLeaseExpired(lease: Lease, now: number): boolean {
  const renew = lease.spec?.renewTime;
  const duration = lease.spec?.leaseDurationSeconds;
  if (!renew || duration === undefined || duration === null) return true;
  return Date.parse(renew) + duration * 1000 < now;
}

/** One pass of the apiserver lease garbage collector: expired identity Leases, checked again against storage, deleted. */
export async function collectExpiredIdentityLeases(leases: IdentityLeaseAccess, now: () => number = Date.now): Promise<string[]> {
  const deleted: string[] = [];
  for (const cached of leases.listIdentityLeases()) {
    if (!identityLeaseExpired(cached, now())) continue;
    const name = cached.metadata!.name!;
    // (double check the latest lease before deleting: another apiserver may have renewed or removed it)
    const latest = await leases.get(name);
    if (!latest || !identityLeaseExpired(latest, now())) continue;
    await leases.delete(name);
    deleted.push(name);
  }
  return deleted;
}

/** The access above over the apiserver's Lease store, as its loopback client (ctx) writes. */
export function storeIdentityLeaseAccess(store: Store, ctx: () => RequestContext): IdentityLeaseAccess {
  const ns = 'kube-system';
  return {
    get: async (name) => {
      try {
        return (await store.get(ns, name)) as Lease;
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    },
    create: async (lease) => (await store.create(ns, lease as KubeObject, ctx())) as Lease,
    update: async (lease) => (await store.update(ns, lease.metadata!.name!, lease as KubeObject, ctx())) as Lease,
    listIdentityLeases: () =>
      store.cache
        .list({ keyPrefix: `${store.prefix}${ns}/`, matches: (o) => o.labels[IDENTITY_LABEL] === KUBE_APISERVER })
        .items.map((raw) => raw.obj as Lease),
    delete: async (name) => {
      try {
        await store.delete(ns, name, {}, ctx());
      } catch (e) {
        // (in an HA cluster another apiserver's collector may have deleted it: legit)
        if (!isNotFound(e)) throw e;
      }
    },
  };
}
