// POST serviceaccounts/<name>/token (authentication.k8s.io/v1 TokenRequest), as Kubernetes'
// TokenREST: a signed, expiring token for the service account, for the requested audiences
// (default: the API's), bound to a Pod or a Secret when asked, valid only while that object
// exists. A node may ask only for tokens bound to a pod scheduled on it (the NodeRestriction
// admission rule; the node authorizer already checked that a pod on the node uses the account).
import type { KeyObject } from 'node:crypto';
import type { KubeObject, Pod, TokenRequest } from '../api/types.js';
import { invalid } from '../api/field-error.js';
import { omitEmptyFields } from '../api/omitempty.js';
import { defaultTokenRequest, validateTokenRequest } from '../api/validation-serviceaccount.js';
import { boundClaims, EXPIRATION_EXTENSION_SECONDS, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, type ObjectRef } from '../serviceaccount/claims.js';
import { signJwt } from '../serviceaccount/jwt.js';
import { rfc3339 } from '../util/time.js';
import { nodeNameOf } from './authz.js';
import * as errors from './errors.js';
import { ApiError, isNotFound } from './errors.js';
import { checkKindOf, decodeAs, type RequestContext, type Store } from './registry/store.js';

const GROUP = 'authentication.k8s.io';
const API_VERSION = `${GROUP}/v1`;
/** What decoding and kind checks need to know of the kind. */
const TOKEN_REQUEST = { typeName: 'TokenRequest', kind: 'TokenRequest', group: GROUP, version: 'v1' };

export interface TokenIssuerConfig {
  /** The `iss` of the tokens (--service-account-issuer). */
  issuer: string;
  /** The API's audiences: the default audience of a token, and what a token must name to be accepted here. */
  audiences: string[];
  signingKey: KeyObject;
  /** Pod-bound tokens asked for 3607 s live a year, with a warnafter claim (--service-account-extend-token-expiration). */
  extendExpiration: boolean;
}

export interface TokenRequestDeps {
  config: TokenIssuerConfig;
  store(resource: 'serviceaccounts' | 'pods' | 'secrets' | 'nodes'): Store;
  now?: () => number;
}

/** A Forbidden from an admission rule: `serviceaccounts "NAME" is forbidden: WHY`. */
const admissionForbidden = (name: string, why: string) => new ApiError(403, 'Forbidden', `serviceaccounts "${name}" is forbidden: ${why}`, { name, kind: 'serviceaccounts' });

export class TokenRequests {
  constructor(private readonly d: TokenRequestDeps) {}

  /** Handles the POST; returns the TokenRequest with its status (201). */
  async create(namespace: string | undefined, name: string, body: KubeObject, ctx: RequestContext): Promise<KubeObject> {
    if (!namespace) throw errors.badRequest('namespace is required');
    checkKindOf(TOKEN_REQUEST, body);
    const req = structuredClone(body) as TokenRequest & KubeObject;
    decodeAs(TOKEN_REQUEST, req, ctx);
    // (decoded into authentication/v1's TokenRequest: what its omitempty drops is gone)
    omitEmptyFields('TokenRequest', req);
    defaultTokenRequest(req);
    // (admission of the TokenRequest, serviceaccounts/token CREATE, as the create handler runs it
    // around TokenREST: mutating on the decoded request, validating once ValidateTokenRequest passed)
    const accounts = this.d.store('serviceaccounts');
    const review = { subresource: 'token', name, namespace, obj: req as KubeObject, kind: { group: GROUP, version: 'v1', kind: 'TokenRequest' }, ctx };
    await accounts.admitSubresourceCreate('admit', review);
    const meta = (req.metadata ??= {});
    if (meta.name && meta.name !== name) throw errors.invalid('TokenRequest', GROUP, name, [invalid('metadata.name', meta.name, 'must match the service account name if specified')]);
    if (meta.namespace && meta.namespace !== namespace) throw errors.invalid('TokenRequest', GROUP, name, [invalid('metadata.namespace', meta.namespace, 'must match the service account namespace if specified')]);
    const sa = await accounts.get(namespace, name);
    const spec = req.spec!;
    if (!spec.audiences?.length) spec.audiences = [...this.d.config.audiences];
    meta.name = name;
    meta.namespace = namespace;
    const now = (this.d.now ?? Date.now)();
    meta.creationTimestamp = rfc3339(now);
    delete req.status;
    const errs = validateTokenRequest(req);
    if (errs.length) throw errors.invalid('TokenRequest', GROUP, '', errs);
    const node = nodeNameOf(ctx.user);
    if (node) await this.nodeRestriction(node, namespace, name, req);
    await accounts.admitSubresourceCreate('validate', review);

    let pod: ObjectRef | undefined;
    let nodeRef: ObjectRef | undefined;
    let secret: ObjectRef | undefined;
    const ref = spec.boundObjectRef;
    if (ref) {
      const av = ref.apiVersion ?? '';
      const [group, version] = av.includes('/') ? [av.slice(0, av.indexOf('/')), av.slice(av.indexOf('/') + 1)] : ['', av];
      let uid: string | undefined;
      if (group === '' && ref.kind === 'Pod') {
        const p = (await this.d.store('pods').get(namespace, ref.name ?? '')) as Pod;
        if (name !== p.spec?.serviceAccountName) throw errors.badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        uid = p.metadata!.uid!;
        pod = { name: p.metadata!.name!, uid };
        if (p.spec?.nodeName) nodeRef = await this.nodeOf(p.spec.nodeName);
      } else if (group === '' && ref.kind === 'Node') {
        // (ServiceAccountTokenNodeBinding, beta and on in 1.32)
        const n = await this.d.store('nodes').get(undefined, ref.name ?? '');
        uid = n.metadata!.uid!;
        nodeRef = { name: n.metadata!.name!, uid };
      } else if (group === '' && ref.kind === 'Secret') {
        const s = await this.d.store('secrets').get(namespace, ref.name ?? '');
        uid = s.metadata!.uid!;
        secret = { name: s.metadata!.name!, uid };
      } else {
        throw errors.badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
      }
      if (ref.uid && ref.uid !== uid) {
        throw errors.conflict('', ref.kind, ref.name ?? '', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      }
    }
    // The admission plugin's magic lifetime: the token lives a year and warns after the hour.
    let exp = spec.expirationSeconds!;
    let warnAfter: number | undefined;
    const kubeAudiences = spec.audiences.every((a) => this.d.config.audiences.includes(a));
    if (this.d.config.extendExpiration && pod && exp === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && kubeAudiences) {
      warnAfter = exp;
      exp = EXPIRATION_EXTENSION_SECONDS;
    }
    const claims = boundClaims({
      issuer: this.d.config.issuer,
      serviceAccount: { namespace, name, uid: sa.metadata!.uid! },
      pod,
      node: nodeRef,
      secret,
      audiences: spec.audiences,
      expirationSeconds: exp,
      warnAfterSeconds: warnAfter,
      now,
    });
    const token = signJwt(claims, this.d.config.signingKey);
    // (the status reports the lifetime asked for: its holder refreshes at 80% of it)
    const out: KubeObject = { ...req, apiVersion: API_VERSION, kind: 'TokenRequest', status: { token, expirationTimestamp: rfc3339(now + spec.expirationSeconds! * 1000) } };
    // The answer as encoding/json writes the Go struct: what has no omitempty is there, a
    // boundObjectRef not asked for as null.
    omitEmptyFields('TokenRequest', out, true);
    return out;
  }

  /** NodeRestriction: a node's token must be bound to a pod (by uid) scheduled on that node. */
  private async nodeRestriction(node: string, namespace: string, name: string, req: TokenRequest): Promise<void> {
    const ref = req.spec?.boundObjectRef;
    if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) throw admissionForbidden(name, 'node requested token not bound to a pod');
    if (!ref.uid) throw admissionForbidden(name, 'node requested token with a pod binding without a uid');
    const pod = (await this.d.store('pods').get(namespace, ref.name)) as Pod;
    if (ref.uid !== pod.metadata?.uid) {
      throw admissionForbidden(name, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    if (pod.spec?.nodeName !== node) throw admissionForbidden(name, 'node requested token bound to a pod scheduled on a different node');
  }

  /** The node a pod runs on, for the token's node claim (its name alone when the Node is gone). */
  private async nodeOf(nodeName: string): Promise<ObjectRef> {
    const nodes = this.d.store('nodes');
    const cached = nodes.cache.peek(nodes.key(undefined, nodeName));
    const obj = cached?.obj ?? (await nodes.get(undefined, nodeName).catch((e) => (isNotFound(e) ? undefined : Promise.reject(e))));
    return { name: nodeName, uid: obj?.metadata?.uid ?? '' };
  }
}
