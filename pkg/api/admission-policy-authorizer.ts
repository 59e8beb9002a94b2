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

class Decision implements CelObject, CelReceiver {
  readonly typeName = 'kubernetes.authorization.Decision';
  constructor(private readonly d: AuthzDecision) {}
  equals(o: unknown): boolean {
    return o === this;
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

class PathCheck implements CelObject, CelReceiver {
  readonly typeName = 'kubernetes.authorization.PathCheck';
  constructor(
    private readonly user: AuthzUser,
    private readonly path: string,
    private readonly decide: Decide,
  ) {}
  equals(o: unknown): boolean {
    return o === this;
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (fn === 'check' && args.length === 1) return new Decision(this.decide({ user: this.user, verb: str(args[0]), path: this.path }));
    throw noSuchOverload();
  }
}

type ResourceAttrs = Pick<AuthzCheck, 'group' | 'resource' | 'subresource' | 'namespace' | 'name'>;

class ResourceCheck implements CelObject, CelReceiver {
  readonly typeName = 'kubernetes.authorization.ResourceCheck';
  constructor(
    private readonly user: AuthzUser,
    private readonly attrs: ResourceAttrs,
    private readonly decide: Decide,
  ) {}
  equals(o: unknown): boolean {
    return o === this;
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (args.length !== 1) throw noSuchOverload();
    const v = str(args[0]);
    if (fn === 'subresource' || fn === 'namespace' || fn === 'name') return new ResourceCheck(this.user, { ...this.attrs, [fn]: v }, this.decide);
    if (fn === 'check') return new Decision(this.decide({ user: this.user, verb: v, ...this.attrs }));
    throw noSuchOverload();
  }
}

class GroupCheck implements CelObject, CelReceiver {
  readonly typeName = 'kubernetes.authorization.GroupCheck';
  constructor(
    private readonly user: AuthzUser,
    private readonly group: string,
    private readonly decide: Decide,
  ) {}
  equals(o: unknown): boolean {
    return o === this;
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (fn === 'resource' && args.length === 1) return new ResourceCheck(this.user, { group: this.group, resource: str(args[0]) }, this.decide);
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
    if (request) this.set('requestResource', new ResourceCheck(user, request, decide));
  }
  callMethod(fn: string, args: CelValue[]): CelValue {
    if (fn === 'path' && args.length === 1) return new PathCheck(this.user, str(args[0]), this.decide);
    if (fn === 'group' && args.length === 1) return new GroupCheck(this.user, str(args[0]), this.decide);
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
