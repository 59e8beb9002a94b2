// The CSR approving controller (kube-controller-manager's csrapproving, pkg/controller/
// certificates/approver/sarapprove.go): a kubelet client certificate request (signer
// kubernetes.io/kube-apiserver-client-kubelet, a request the signer would take: ValidateKubeletClientCSR)
// that is neither approved nor denied yet is approved when a SubjectAccessReview says its requestor
// may create certificatesigningrequests/selfnodeclient (a node renewing its own certificate: the
// requestor is the subject's CN) or certificatesigningrequests/nodeclient (any node client, e.g. a
// bootstrap token's request at join), with reason AutoApproved. Requests of other signers, or the
// SubjectAccessReview says no, are left for a person (kubectl certificate approve).
import type { CertificateSigningRequest, KubeObject } from '../api/types.js';
import { pemBlock } from '../api/validation-certificates.js';
import type { ApiClient, ResourceRef } from '../client/api-client.js';
import { keyOf, type Informer } from '../client/informer.js';
import { CertificateSigningRequests, isNotFound } from '../client/rest-client.js';
import { logger } from '../util/log.js';
import { KUBELET_CLIENT_SIGNER, kubeletClientProblem, readRequest, type RequestedName } from './csr-signing.js';
import { IgnorableError, WorkQueue } from './work-queue.js';

const log = logger('csrapproving');

export const SubjectAccessReviews: ResourceRef = { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', namespaced: false };

type Csr = CertificateSigningRequest & KubeObject;

/** One kind of request the approver knows, the permission its requestor needs, and the approval's message (csrRecognizer). */
interface Recognizer {
  recognize(csr: Csr, req: RequestedName): boolean;
  subresource: 'selfnodeclient' | 'nodeclient';
  message: string;
}

const isNodeClientCert = (csr: Csr, req: RequestedName) => csr.spec?.signerName === KUBELET_CLIENT_SIGNER && kubeletClientProblem(req, csr.spec?.usages) === undefined;

/** recognizers(): the node's own renewal first, then any node client. */
export const RECOGNIZERS: readonly Recognizer[] = [
  { recognize: (csr, req) => csr.spec?.username === req.commonName && isNodeClientCert(csr, req), subresource: 'selfnodeclient', message: 'Auto approving self kubelet client certificate after SubjectAccessReview.' },
  { recognize: isNodeClientCert, subresource: 'nodeclient', message: 'Auto approving kubelet client certificate after SubjectAccessReview.' },
];

/** GetCertApprovalCondition: whether an Approved or a Denied condition is there (of any status). */
export function approvalState(csr: Csr): { approved: boolean; denied: boolean } {
  const c = csr.status?.conditions ?? [];
  return { approved: c.some((x) => x.type === 'Approved'), denied: c.some((x) => x.type === 'Denied') };
}

/** The SubjectAccessReview asked for a request's requestor (sarApprover.authorize): its user, uid, groups and extra as the CSR recorded them. */
export function accessReviewFor(csr: Csr, subresource: string): Record<string, unknown> {
  const s = csr.spec!;
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: s.username,
      uid: s.uid,
      groups: s.groups,
      extra: s.extra,
      resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource },
    },
  };
}

export class CsrApprovingController {
  readonly queue: WorkQueue;

  /** `reviews`: the client SubjectAccessReviews are created with (REST: the gRPC frontend serves stored resources only). */
  constructor(
    private readonly client: Pick<ApiClient, 'update'>,
    private readonly reviews: Pick<ApiClient, 'create'>,
    private readonly csrs: Pick<Informer<Csr>, 'on' | 'list' | 'get'>,
  ) {
    this.queue = new WorkQueue('csrapproving', (key) => this.sync(key));
    csrs.on({ add: (c) => this.enqueue(c), update: (c) => this.enqueue(c), delete: () => {} });
  }

  start(): void {
    for (const c of this.csrs.list()) this.enqueue(c);
  }

  stop(): void {
    this.queue.stop();
  }

  private enqueue(c: Csr): void {
    if (!c.status?.certificate) this.queue.add(keyOf(c));
  }

  /** handle: the first recognizer whose permission the requestor has approves the request. */
  async sync(key: string): Promise<void> {
    const csr = this.csrs.get(key);
    if (!csr?.spec || csr.status?.certificate) return;
    const { approved, denied } = approvalState(csr);
    if (approved || denied) return;
    const name = csr.metadata!.name!;
    const pem = typeof csr.spec.request === 'string' ? Buffer.from(csr.spec.request, 'base64').toString() : '';
    // (ParseCSR: an error, the request tried again with back-off)
    if (!pemBlock(pem, 'CERTIFICATE REQUEST')) throw new Error(`unable to parse csr "${name}": PEM block type must be CERTIFICATE REQUEST`);
    const req = await readRequest(pem).catch((e: Error) => {
      throw new Error(`unable to parse csr "${name}": ${e.message.replace(/^unable to parse csr: /, '')}`);
    });
    const tried: string[] = [];
    for (const r of RECOGNIZERS) {
      if (!r.recognize(csr, req)) continue;
      tried.push(r.subresource);
      const review = (await this.reviews.create(SubjectAccessReviews, undefined, accessReviewFor(csr, r.subresource))) as { status?: { allowed?: boolean } };
      if (!review.status?.allowed) continue;
      const conditions = [...(csr.status?.conditions ?? []), { type: 'Approved', status: 'True', reason: 'AutoApproved', message: r.message }];
      try {
        await this.client.update(CertificateSigningRequests, undefined, name, { ...csr, status: { ...(csr.status ?? {}), conditions } }, 'approval');
      } catch (e) {
        if (isNotFound(e)) return;
        throw new Error(`error updating approval for csr: ${(e as Error).message}`, { cause: e });
      }
      log.info('approved certificate signing request', { csr: name, user: csr.spec.username, as: r.subresource });
      return;
    }
    // (an IgnorableError, as 1.32's: logged at debug, the request looked at again with back-off,
    // as a binding made later may allow it)
    if (tried.length) throw new IgnorableError(`recognized csr "${name}" as [${tried.join(' ')}] but subject access review was not approved`);
  }
}
