// Kubernetes' CEL authorizer library, as ValidatingAdmissionPolicies see it (`authorizer`):
// authorizer.group('apps').resource('deployments').namespace('ns').name('web').check('update'),
// authorizer.path('/healthz').check('get'), authorizer.serviceAccount(ns, name) for another user,
// authorizer.requestResource for the request's own resource; a check gives a decision with
// allowed(), reason(), errored() and error(). CEL runs synchronously and authorization does not:
// a check whose decision is not known yet throws NeedDecision, the caller authorizes and
// evaluates again (decisions are kept between the runs, as kube's caching authorizer keeps them).
import { CelEvalError, noSuchOverload } from '../cel/errors.js';
import { CelMap, type CelObject, type CelReceiver, type CelValue } from '../cel/values.js';

export interface AuthzUser {
  name: string;
  groups: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

/** What is asked: a resource (group, resource, ...) or a non-resource path. */
export interface AuthzCheck {
  user: AuthzUser;
  verb: string;
  path?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface AuthzDecision {
  allowed: boolean;
  reason: string;
  error?: string;
}

/** Method names the library adds to the CEL environment. */
export const AUTHORIZER_METHODS: ReadonlySet<string> = new Set(['path', 'group', 'serviceAccount', 'resource', 'subresource', 'namespace', 'name', 'check', 'allowed', 'reason', 'errored', 'error']);

/** Thrown by a check whose decision is not known yet. */
export class NeedDecision extends Error {
  /** Not a CEL error: pkg/cel lets it through to the policy plugin, which asks the authorizer. */
  readonly celPassThrough = true;
  constructor(
    readonly key: string,
    readonly check: AuthzCheck,
  ) {
    super('authorization decision pending');
  }
}

export const checkKey = (c: AuthzCheck): string => JSON.stringify([c.user.name, c.user.groups, c.verb, c.path ?? null, c.group ?? null, c.resource ?? null, c.subresource ?? '', c.namespace ?? '', c.name ?? '']);

const str = (v: CelValue | undefined): string => {
  if (typeof v !== 'string') throw noSuchOverload();
  return v;
};

type Decide = (c: AuthzCheck) => AuthzDecision;

/** The library's values: compared by identity, typed by name, with methods of their own. */
abstract class LibraryValue implements CelObject, CelReceiver {
  abstract readonly typeName: string;
  equals(o: unknown): boolean {
    return o === this;
  }
  abstract callMethod(fn: string, args: CelValue[]): CelValue;
}

class Decision extends LibraryValue {
  readonly typeName = 'kubernetes.authorization.Decision';
  constructor(private readonly d: AuthzDecision) {
    super();
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (args.length) throw noSuchOverload();
    if (fn === 'allowed') return this.d.allowed;
    if (fn === 'reason') return this.d.reason;
    if (fn === 'errored') return !!this.d.error;
    if (fn === 'error') return this.d.error ?? '';
    throw noSuchOverload();
  }
}

type ResourceAttrs = Pick<AuthzCheck, 'group' | 'resource' | 'subresource' | 'namespace' | 'name'>;

/** A check being built for a user: a path, a group, or a resource within a group. */
class CheckBuilder extends LibraryValue {
  constructor(
    readonly typeName: 'kubernetes.authorization.PathCheck' | 'kubernetes.authorization.GroupCheck' | 'kubernetes.authorization.ResourceCheck',
    private readonly user: AuthzUser,
    private readonly decide: Decide,
    private readonly attrs: ResourceAttrs & { path?: string },
  ) {
    super();
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (args.length !== 1) throw noSuchOverload();
    const v = str(args[0]);
    const kind = this.typeName;
    if (fn === 'check' && kind !== 'kubernetes.authorization.GroupCheck') return new Decision(this.decide({ user: this.user, verb: v, ...this.attrs }));
    if (fn === 'resource' && kind === 'kubernetes.authorization.GroupCheck') return new CheckBuilder('kubernetes.authorization.ResourceCheck', this.user, this.decide, { ...this.attrs, resource: v });
    if ((fn === 'subresource' || fn === 'namespace' || fn === 'name') && kind === 'kubernetes.authorization.ResourceCheck') return new CheckBuilder(kind, this.user, this.decide, { ...this.attrs, [fn]: v });
    throw noSuchOverload();
  }
}

/** `authorizer` (a map only for its requestResource field). */
class Authorizer extends CelMap implements CelReceiver {
  constructor(
    private readonly user: AuthzUser,
    private readonly decide: Decide,
    request: ResourceAttrs | undefined,
  ) {
    super();
    if (request) this.set('requestResource', new CheckBuilder('kubernetes.authorization.ResourceCheck', user, decide, request));
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (fn === 'path' && args.length === 1) return new CheckBuilder('kubernetes.authorization.PathCheck', this.user, this.decide, { path: str(args[0]) });
    if (fn === 'group' && args.length === 1) return new CheckBuilder('kubernetes.authorization.GroupCheck', this.user, this.decide, { group: str(args[0]) });
    if (fn === 'serviceAccount' && args.length === 2) {
      const ns = str(args[0]);
      const name = str(args[1]);
      const user = { name: `system:serviceaccount:${ns}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'] };
      return new Authorizer(user, this.decide, undefined);
    }
    throw noSuchOverload();
  }
}

/**
 * The `authorizer` value of one evaluation: checks answer from `known` (by checkKey) or throw
 * NeedDecision; `request` is the request's own resource (authorizer.requestResource).
 */
export function celAuthorizer(user: AuthzUser, known: ReadonlyMap<string, AuthzDecision>, request: ResourceAttrs | undefined): CelValue {
  const decide: Decide = (c) => {
    if (!c.verb) throw new CelEvalError('verb must not be empty');
    const key = checkKey(c);
    const d = known.get(key);
    if (!d) throw new NeedDecision(key, c);
    return d;
  };
  return new Authorizer(user, decide, request);
}
