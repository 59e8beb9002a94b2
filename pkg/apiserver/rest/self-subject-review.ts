// authentication.k8s.io/v1 SelfSubjectReview: "who am I?", what `kubectl auth whoami` asks. The
// answer is the requester's user as the authenticator saw it (name, uid, groups, extra); the
// request body says nothing and is not read.
import type { UserInfo } from '../registry/store.js';
import { rfc3339Now } from '../../util/time.js';

export const SELF_SUBJECT_REVIEW_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

export function selfSubjectReview(user: UserInfo): Record<string, unknown> {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: rfc3339Now() },
    status: { userInfo: { username: user.name, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}) } },
  };
}
