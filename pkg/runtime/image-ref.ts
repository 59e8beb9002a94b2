// Image references parsed the way Docker's reference package does ("normalized named"):
// `busybox` → docker.io/library/busybox:latest, `127.0.0.1:5000/team/app:1.2`, `name@sha256:...`.
import { InvalidArgumentError } from './errors.js';

export interface ImageRef {
  /** Registry host, possibly with a port: `docker.io`, `127.0.0.1:5000`. */
  domain: string;
  /** Repository path inside the registry: `library/busybox`, `team/app`. */
  path: string;
  tag?: string;
  digest?: string;
}

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DOMAIN = 'index.docker.io';
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const domainRe = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

export function parseImageRef(input: string): ImageRef {
  const s = input.trim();
  if (!s) throw new InvalidArgumentError('image reference: empty');
  if (/^[a-f0-9]{64}$/.test(s)) throw new InvalidArgumentError(`image reference "${s}": a bare 64-hex id is not a reference`);
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw new InvalidArgumentError(`image reference "${s}": invalid digest "${digest}"`);
    if (digest.startsWith('sha256:') && !/^sha256:[a-f0-9]{64}$/.test(digest)) {
      throw new InvalidArgumentError(`image reference "${s}": invalid sha256 digest`);
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw new InvalidArgumentError(`image reference "${s}": invalid tag "${tag}"`);
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (!domainRe.test(domain)) throw new InvalidArgumentError(`image reference "${s}": invalid registry "${domain}"`);
  if (domain === LEGACY_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`;
  if (path !== path.toLowerCase()) throw new InvalidArgumentError(`image reference "${s}": repository name must be lowercase`);
  for (const c of path.split('/')) {
    if (!pathComponent.test(c)) throw new InvalidArgumentError(`image reference "${s}": invalid repository path component "${c}"`);
  }
  if (domain.length + 1 + path.length > 255) throw new InvalidArgumentError(`image reference "${s}": name too long`);
  if (!tag && !digest) tag = 'latest';
  return { domain, path, tag, digest };
}

/** The repository without tag or digest: `docker.io/library/busybox`. */
export function repoName(r: ImageRef): string {
  return `${r.domain}/${r.path}`;
}

/** Canonical string: `docker.io/library/busybox:latest`, `host/app@sha256:...`, or both. */
export function formatImageRef(r: ImageRef): string {
  return `${repoName(r)}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/** `docker.io/library/busybox:latest` → `busybox:latest`, as `docker images` prints it. */
export function familiarName(r: ImageRef): string {
  let name = repoName(r);
  if (r.domain === DEFAULT_DOMAIN) name = r.path.startsWith('library/') ? r.path.slice(8) : r.path;
  return `${name}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export function normalizeImageName(input: string): string {
  return formatImageRef(parseImageRef(input));
}

/**
 * The registry name of images built on the node itself (`tsctl up` builds tskube.local/busybox
 * from the machine's busybox-static): there is no such registry, so they are never pulled.
 */
export const LOCAL_IMAGE_DOMAIN = 'tskube.local';

/** Whether `image` names one built on the node (see LOCAL_IMAGE_DOMAIN); false for what does not parse. */
export function isNodeLocalImage(image: string): boolean {
  try {
    return parseImageRef(image).domain === LOCAL_IMAGE_DOMAIN;
  } catch {
    return false;
  }
}

/** Registries reached over plain HTTP: loopback hosts (the tests' and labs' docker-registry). */
export function isInsecureRegistry(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The host to talk to: docker.io's API lives at registry-1.docker.io. */
export function registryHost(domain: string): string {
  return domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
}
