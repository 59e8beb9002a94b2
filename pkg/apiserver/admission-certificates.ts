// CertificateSigningRequest admission, as kube-apiserver's registry and its CertificateApproval
// and CertificateSigning plugins do it: a new request records who made it (spec.username, uid,
// groups, whatever the client claimed); approving or denying one needs `approve` on its signer
// (certificates.k8s.io signers, by name or `domain/*`); issuing a certificate needs `sign`.
import type { CertificateSigningRequest } from '../api/types.js';
import type { AdmissionPlugin } from './admission.js';
import type { Authorizer } from './authorizer.js';
import { admissionForbidden } from './errors.js';
import type { UserInfo } from './registry/store.js';

const GROUP = 'certificates.k8s.io';

/** Whether `user` may `verb` the signer of a request: by its name or its `domain/*` wildcard. */
async function maySigner(authorizer: Authorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  for (const name of [signerName, `${signerName.split('/')[0]}/*`]) {
    if ((await authorizer.authorize(user, { verb, group: GROUP, resource: 'signers', name })).allowed) return true;
  }
  return false;
}

export function certificateAdmission(authorizer: Authorizer): AdmissionPlugin {
  return {
    name: 'CertificateSigningRequest',
    resources: ['certificatesigningrequests'],
    admit(req) {
      if (req.operation !== 'CREATE' || !req.obj) return;
      const spec = ((req.obj as CertificateSigningRequest).spec ??= {});
      const user = req.ctx.user;
      spec.username = user?.name ?? '';
      spec.groups = user?.groups ?? [];
      if (user?.uid) spec.uid = user.uid;
      else delete spec.uid;
      // (the user's extra attributes too, as 1.32's PrepareForCreate copies user.GetExtra())
      if (user?.extra && Object.keys(user.extra).length) spec.extra = { ...user.extra };
      else delete spec.extra;
    },
    async validate(req) {
      if (req.operation !== 'UPDATE' || !req.ctx.user) return;
      const csr = req.obj as CertificateSigningRequest;
      const old = req.old as CertificateSigningRequest;
      const signer = csr.spec?.signerName ?? '';
      if (req.subresource === 'approval') {
        const decided = (csr.status?.conditions ?? []).some((c) => (c.type === 'Approved' || c.type === 'Denied') && !(old.status?.conditions ?? []).some((o) => o.type === c.type));
        if (decided && !(await maySigner(authorizer, req.ctx.user, 'approve', signer))) {
          throw admissionForbidden(GROUP, 'certificatesigningrequests', req.name, `user not permitted to approve requests with signerName "${signer}"`);
        }
      } else if (req.subresource === 'status') {
        const issued = !!csr.status?.certificate && !old.status?.certificate;
        if (issued && !(await maySigner(authorizer, req.ctx.user, 'sign', signer))) {
          throw admissionForbidden(GROUP, 'certificatesigningrequests', req.name, `user not permitted to sign requests with signerName "${signer}"`);
        }
      }
    },
  };
}
