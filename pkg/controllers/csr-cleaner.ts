// The CSR cleaner (kube-controller-manager's csrcleaner, pkg/controller/certificates/cleaner/
// cleaner.go), on by default: every hour (and at start) it deletes the CertificateSigningRequests
// that are done with: issued more than an hour after approval, denied or failed more than an hour
// ago, pending (no condition at all) for more than 24 hours, or whose issued
// certificate has expired. Every kubelet bootstrap and renewal leaves a request behind; without
// it they pile up.
import { X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import type { ApiClient } from '../client/api-client.js';
import { CertificateSigningRequests, isNotFound } from '../client/rest-client.js';
import { logger } from '../util/log.js';

const log = logger('csrcleaner');

const POLLING_INTERVAL_MS = 3600_000;
const APPROVED_EXPIRATION_MS = 3600_000;
const DENIED_EXPIRATION_MS = 3600_000;
const PENDING_EXPIRATION_MS = 24 * 3600_000;

type Csr = CertificateSigningRequest & KubeObject;

/** isOlderThan: a time that is set and more than `ms` before now. */
const olderThan = (t: string | undefined, ms: number, now: number) => !!t && now - Date.parse(t) > ms;

/** Why a request is to be deleted, in the cleaner's log words (its checks in handle's order), or undefined to keep it. */
export function cleanupReason(csr: Csr, now: number): string | undefined {
  const conds = csr.status?.conditions ?? [];
  const has = (type: string) => conds.some((c) => c.type === type);
  const issued = !!csr.status?.certificate;
  // isIssuedPastDeadline
  if (issued && conds.some((c) => c.type === 'Approved' && olderThan(c.lastUpdateTime, APPROVED_EXPIRATION_MS, now))) return 'Cleaning CSR as it is more than approvedExpiration duration old and approved.';
  // isDeniedPastDeadline, isFailedPastDeadline
  if (conds.some((c) => c.type === 'Denied' && olderThan(c.lastUpdateTime, DENIED_EXPIRATION_MS, now))) return 'Cleaning CSR as it is more than deniedExpiration duration old and denied.';
  if (conds.some((c) => c.type === 'Failed' && olderThan(c.lastUpdateTime, DENIED_EXPIRATION_MS, now))) return 'Cleaning CSR as it is more than deniedExpiration duration old and failed.';
  // isPendingPastDeadline (no condition at all: kubectl shows it Pending)
  if (!conds.length && olderThan(csr.metadata?.creationTimestamp, PENDING_EXPIRATION_MS, now)) return 'Cleaning CSR as it is more than pendingExpiration duration old and unhandled.';
  // isIssuedExpired
  if (issued && has('Approved')) {
    try {
      const cert = new X509Certificate(Buffer.from(String(csr.status!.certificate), 'base64').toString());
      if (now > Date.parse(cert.validTo)) return 'Cleaning CSR as the associated certificate is expired.';
    } catch {
      // (a certificate that does not parse is left, as parseCSR's error leaves it)
    }
  }
  return undefined;
}

export class CsrCleaner {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Pick<ApiClient, 'delete'>,
    private readonly csrs: { list(): Csr[] },
    private readonly opts: { now?: () => number; intervalMs?: number } = {},
  ) {}

  start(): void {
    const tick = () => void this.sweep().catch((e) => log.warn('cleaning certificate signing requests failed', { err: e }));
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs ?? POLLING_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One pass over every request (the worker). */
  async sweep(): Promise<void> {
    const now = (this.opts.now ?? Date.now)();
    for (const csr of this.csrs.list()) {
      const why = cleanupReason(csr, now);
      if (!why) continue;
      log.info(why, { csr: csr.metadata!.name });
      try {
        await this.client.delete(CertificateSigningRequests, undefined, csr.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) log.warn(`unable to delete CSR "${csr.metadata!.name}"`, { err: e });
      }
    }
  }
}
