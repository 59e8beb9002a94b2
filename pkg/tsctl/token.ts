// tsctl token create|list|delete|generate: kubeadm token (cmd/kubeadm/app/cmd/token.go) over the
// same objects, bootstrap-token-<id> Secrets of type bootstrap.kubernetes.io/token in kube-system
// written and read as kubeadm's bootstraptoken/v1 BootstrapTokenToSecret and
// BootstrapTokenFromSecret do: a token `[a-z0-9]{6}.[a-z0-9]{16}`, an expiration its --ttl from
// now (24h by default, 0 for never), usage-bootstrap-<usage>=true for each of --usages (signing,
// authentication), auth-extra-groups (system:bootstrappers:kubeadm:default-node-token) and a
// description. `create --print-join-command` prints the join command for the token and the
// kubeconfig's cluster: its endpoint and the pin of its CA's public key.
import { randomInt } from 'node:crypto';
import yaml from 'js-yaml';
import {
  BOOTSTRAP_TOKEN_EXPIRATION_KEY,
  BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY,
  BOOTSTRAP_TOKEN_ID_KEY,
  BOOTSTRAP_TOKEN_PATTERN,
  BOOTSTRAP_TOKEN_SECRET_KEY,
  BOOTSTRAP_TOKEN_SECRET_PREFIX,
  BOOTSTRAP_TOKEN_SECRET_TYPE,
  bootstrapTokenGroups,
  parseBootstrapToken,
  parseRFC3339,
  secretData,
  type SecretLike,
} from '../api/bootstrap-token.js';
import type { ApiClient } from '../client/api-client.js';
import type { ClusterConfig } from '../client/kubeconfig.js';
import { parseCertsPem, publicKeyPin } from '../client/pubkey-pin.js';
import { core, isNotFound } from '../client/rest-client.js';
import { NODE_BOOTSTRAP_TOKEN_GROUP } from './bootstrap-token-setup.js';

const Secrets = core('secrets');
const USAGE_PREFIX = 'usage-bootstrap-';
const DESCRIPTION_KEY = 'description';
/** bootstrapapi.KnownTokenUsages, the default of --usages. */
export const KNOWN_USAGES = ['signing', 'authentication'];
export const BOOTSTRAP_TOKEN_ID_PATTERN = '\\A([a-z0-9]{6})\\z';
const DEFAULT_TTL_MS = 24 * 3600_000;

/** A failure kubeadm reports as a validation error (its exit code 3). */
export class TokenValidationError extends Error {}

/** GenerateBootstrapToken: six and sixteen random characters of [a-z0-9]. */
export function generateBootstrapToken(): string {
  const chars = '0123456789abcdefghijklmnopqrstuvwxyz';
  const pick = (n: number) => Array.from({ length: n }, () => chars[randomInt(chars.length)]).join('');
  return `${pick(6)}.${pick(16)}`;
}

/** time.ParseDuration as pflag's DurationVar reads --ttl: units required (but for 0), ns..h, a sign, fractions. */
export function parseGoDuration(flag: string, text: string): number {
  const bad = (why: string) => new TokenValidationError(`invalid argument ${JSON.stringify(text)} for "--${flag}" flag: time: ${why} ${JSON.stringify(text)}`);
  const m = /^([+-]?)(.*)$/.exec(text)!;
  const body = m[2]!;
  if (body === '0') return 0;
  if (!body) throw bad('invalid duration');
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)?/gy;
  let total = 0;
  while (re.lastIndex < body.length) {
    const at = re.lastIndex;
    const part = re.exec(body);
    if (!part || !part[1] || part[1] === '.') throw bad('invalid duration');
    if (!part[2]) throw bad(re.lastIndex >= body.length ? 'missing unit in duration' : 'invalid duration');
    if (re.lastIndex === at) throw bad('invalid duration');
    total += Number(part[1]) * unit[part[2]]!;
  }
  return m[1] === '-' ? -total : total;
}

export interface TokenCreateOptions {
  token?: string;
  ttlMs?: number;
  usages?: string[];
  groups?: string[];
  description?: string;
}

/** Go's %#v of a []string, as field errors print an invalid list. */
const goStrings = (l: string[]) => `[]string{${l.map((s) => JSON.stringify(s)).join(', ')}}`;

/** ValidateBootstrapTokens for the one token of `token create`: kubeadm's field errors, aggregated. */
export function validateTokenOptions(o: Required<Pick<TokenCreateOptions, 'usages' | 'groups'>>): void {
  const errs: string[] = [];
  const path = 'bootstrapTokens.0';
  const unknown = [...new Set(o.usages.filter((u) => !KNOWN_USAGES.includes(u)))].sort();
  if (unknown.length) errs.push(`${path}.usages: Invalid value: ${goStrings(o.usages)}: invalid bootstrap token usage string: ${unknown.join(',')}, valid usage options: ${KNOWN_USAGES.join(',')}`);
  if (o.groups.length && !o.usages.includes('authentication')) errs.push(`${path}.groups: Invalid value: ${goStrings(o.groups)}: token groups cannot be specified unless --usages includes "authentication"`);
  for (const g of o.groups) {
    const r = bootstrapTokenGroups({ data: { [BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY]: Buffer.from(g).toString('base64') } });
    if ('error' in r) errs.push(`${path}.groups: Invalid value: ${goStrings(o.groups)}: ${r.error}`);
  }
  if (errs.length) throw new TokenValidationError(errs.length === 1 ? errs[0] : `[${errs.join(', ')}]`);
}

/** BootstrapTokenToSecret: the Secret of a token (encodeTokenSecretData's keys, the expiration in UTC RFC 3339). */
export function tokenSecret(token: string, o: TokenCreateOptions, now: number): SecretLike & { apiVersion: string; kind: string; type: string; data: Record<string, string> } {
  const parsed = parseBootstrapToken(token)!;
  const data: Record<string, string> = { [BOOTSTRAP_TOKEN_ID_KEY]: parsed.id, [BOOTSTRAP_TOKEN_SECRET_KEY]: parsed.secret };
  if (o.description) data[DESCRIPTION_KEY] = o.description;
  const ttl = o.ttlMs ?? DEFAULT_TTL_MS;
  if (ttl > 0) data[BOOTSTRAP_TOKEN_EXPIRATION_KEY] = new Date(Math.floor((now + ttl) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  for (const u of o.usages ?? KNOWN_USAGES) data[USAGE_PREFIX + u] = 'true';
  const groups = o.groups ?? [NODE_BOOTSTRAP_TOKEN_GROUP];
  if (groups.length) data[BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY] = groups.join(',');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: BOOTSTRAP_TOKEN_SECRET_PREFIX + parsed.id, namespace: 'kube-system' },
    type: BOOTSTRAP_TOKEN_SECRET_TYPE,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** CreateNewTokens: refuses an id that exists, else creates its Secret; returns the token. */
export async function createToken(client: Pick<ApiClient, 'get' | 'create'>, o: TokenCreateOptions, now = Date.now()): Promise<string> {
  let token = o.token;
  if (token !== undefined && !parseBootstrapToken(token)) throw new TokenValidationError(`the bootstrap token ${JSON.stringify(token)} was not of the form ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)}`);
  validateTokenOptions({ usages: o.usages ?? KNOWN_USAGES, groups: o.groups ?? [NODE_BOOTSTRAP_TOKEN_GROUP] });
  token ??= generateBootstrapToken();
  const id = parseBootstrapToken(token)!.id;
  const exists = await client.get(Secrets, 'kube-system', BOOTSTRAP_TOKEN_SECRET_PREFIX + id).then(
    () => true,
    (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)),
  );
  if (exists) throw new Error(`a token with id ${JSON.stringify(id)} already exists`);
  try {
    await client.create(Secrets, 'kube-system', tokenSecret(token, o, now));
  } catch (e) {
    throw new Error(`failed to create or update bootstrap token with name ${BOOTSTRAP_TOKEN_SECRET_PREFIX}${id}: ${(e as Error).message}`, { cause: e });
  }
  return token;
}

/** duration.ShortHumanDuration. */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(ms / 3_600_000);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

export interface ListedToken {
  token: string;
  expires?: number;
  usages: string[];
  description: string;
  groups: string[];
}

/** BootstrapTokenFromSecret: the token of a Secret, or kubeadm's complaint about it. */
export function tokenFromSecret(secret: SecretLike): ListedToken | { error: string } {
  const name = secret.metadata?.name ?? '';
  const id = secretData(secret, BOOTSTRAP_TOKEN_ID_KEY);
  if (!id) return { error: `bootstrap Token Secret has no token-id data: ${name}` };
  if (name !== BOOTSTRAP_TOKEN_SECRET_PREFIX + id) return { error: `bootstrap token name is not of the form '${BOOTSTRAP_TOKEN_SECRET_PREFIX}(token-id)'. Actual: ${JSON.stringify(name)}. Expected: ${JSON.stringify(BOOTSTRAP_TOKEN_SECRET_PREFIX + id)}` };
  const secretPart = secretData(secret, BOOTSTRAP_TOKEN_SECRET_KEY);
  if (!secretPart) return { error: `bootstrap Token Secret has no token-secret data: ${name}` };
  const token = `${id}.${secretPart}`;
  if (!parseBootstrapToken(token)) return { error: `bootstrap Token Secret is invalid and couldn't be parsed: the bootstrap token ${JSON.stringify(token)} was not of the form ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)}` };
  const expiration = secretData(secret, BOOTSTRAP_TOKEN_EXPIRATION_KEY);
  let expires: number | undefined;
  if (expiration) {
    expires = parseRFC3339(expiration);
    if (expires === undefined) return { error: `can't parse expiration time of bootstrap token ${JSON.stringify(name)}: parsing time ${JSON.stringify(expiration)} as "2006-01-02T15:04:05Z07:00": cannot parse ${JSON.stringify(expiration)} as "2006"` };
  }
  const usages = Object.keys(secret.data ?? {})
    .filter((k) => k.startsWith(USAGE_PREFIX) && secretData(secret, k) === 'true')
    .map((k) => k.slice(USAGE_PREFIX.length))
    .sort();
  const groupsText = secretData(secret, BOOTSTRAP_TOKEN_EXTRA_GROUPS_KEY);
  return { token, expires, usages, description: secretData(secret, DESCRIPTION_KEY), groups: groupsText ? groupsText.split(',') : [] };
}

/** RFC 3339 in UTC to the second, as the expiration is written (and time.Format prints it back with its own offset). */
function rfc3339Seconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * One token's lines as kubeadm's tokenTextPrinter writes them: every token through a tabwriter
 * of its own (minwidth 10, padding 3), the header with the first, and the cells padded by
 * formatBootstrapToken (%-9s, %-22s, %-56s) so that the rows line up anyway.
 */
function tokenLines(rows: string[][]): string {
  const widths = rows[0]!.slice(0, -1).map((_, j) => Math.max(10, ...rows.map((r) => r[j]!.length + 3)));
  return rows.map((r) => r.map((c, j) => (j < widths.length ? c.padEnd(widths[j]!) : c)).join('') + '\n').join('');
}

/**
 * A token as `kubeadm token list -o json|yaml` prints it: an output.kubeadm.k8s.io/v1alpha3
 * BootstrapToken (its JSON fields in struct order, empty ones left out; YAML from that JSON, keys
 * sorted), one document per token (json indented by 4 as cli-runtime's JSONPrinter, yaml with
 * `---` before every one but the first).
 */
function tokenDocument(t: ListedToken, format: 'json' | 'yaml', first: boolean): string {
  const obj: Record<string, unknown> = { kind: 'BootstrapToken', apiVersion: 'output.kubeadm.k8s.io/v1alpha3', token: t.token };
  if (t.description) obj.description = t.description;
  if (t.expires !== undefined) obj.expires = rfc3339Seconds(t.expires);
  if (t.usages.length) obj.usages = t.usages;
  if (t.groups.length) obj.groups = t.groups;
  if (format === 'json') return `${JSON.stringify(obj, null, 4)}\n`;
  return (first ? '' : '---\n') + yaml.dump(obj, { sortKeys: true, noArrayIndent: true, lineWidth: -1, quotingType: '"' });
}

/** RunListTokens: TOKEN TTL EXPIRES USAGES DESCRIPTION EXTRA GROUPS (or -o json|yaml documents); a Secret that is no good token is said on `err`. */
export async function listTokens(client: Pick<ApiClient, 'list'>, now = Date.now(), format: 'text' | 'json' | 'yaml' = 'text'): Promise<{ out: string; err: string }> {
  const secrets = await client.list<SecretLike>(Secrets, 'kube-system', { fieldSelector: `type=${BOOTSTRAP_TOKEN_SECRET_TYPE}` }).catch((e: Error) => Promise.reject(new Error(`failed to list bootstrap tokens: ${e.message}`, { cause: e })));
  let out = '';
  let err = '';
  let header = true;
  for (const s of secrets.items) {
    const t = tokenFromSecret(s);
    if ('error' in t) {
      // (kubeadm prints it with no newline; one here keeps the next from running into it)
      err += `${t.error}\n`;
      continue;
    }
    if (format !== 'text') {
      out += tokenDocument(t, format, header);
      header = false;
      continue;
    }
    const row = [
      t.token,
      (t.expires === undefined ? '<forever>' : shortHumanDuration(t.expires - now)).padEnd(9),
      t.expires === undefined ? '<never>' : rfc3339Seconds(t.expires),
      (t.usages.join(',') || '<none>').padEnd(22),
      (t.description || '<none>').padEnd(56),
      t.groups.join(',') || '<none>',
    ];
    out += tokenLines(header ? [['TOKEN', 'TTL', 'EXPIRES', 'USAGES', 'DESCRIPTION', 'EXTRA GROUPS'], row] : [row]);
    header = false;
  }
  return { out, err };
}

/** RunDeleteTokens: each argument a token or a token id; the lines kubeadm prints. */
export async function deleteTokens(client: Pick<ApiClient, 'delete'>, tokensOrIds: string[], out: (line: string) => void): Promise<void> {
  if (!tokensOrIds.length) throw new TokenValidationError(`missing argument; 'token delete' is missing token of form ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)} or ${JSON.stringify(BOOTSTRAP_TOKEN_ID_PATTERN)}`);
  for (const arg of tokensOrIds) {
    let id = arg;
    if (!/^[a-z0-9]{6}$/.test(arg)) {
      const parsed = parseBootstrapToken(arg);
      if (!parsed) throw new TokenValidationError(`given token didn't match pattern ${JSON.stringify(BOOTSTRAP_TOKEN_PATTERN)} or ${JSON.stringify(BOOTSTRAP_TOKEN_ID_PATTERN)}`);
      id = parsed.id;
    }
    try {
      await client.delete(Secrets, 'kube-system', BOOTSTRAP_TOKEN_SECRET_PREFIX + id);
    } catch (e) {
      throw new Error(`failed to delete bootstrap token ${JSON.stringify(id)}: ${(e as Error).message}`, { cause: e });
    }
    out(`bootstrap token ${JSON.stringify(id)} deleted\n`);
  }
}

/**
 * GetJoinWorkerCommand as `token create --print-join-command` prints it (the template's line
 * continuation and tabs taken out, its indentation and trailing space kept): the kubeconfig's
 * server without https://, the token, and the pin of each of its CA certificates.
 */
export function joinCommand(cluster: Pick<ClusterConfig, 'server' | 'caCert'>, token: string): string {
  if (!cluster.caCert) throw new Error('failed to get join command: no CA certificate found in kubeconfig');
  const pins = parseCertsPem(cluster.caCert).map(publicKeyPin);
  const hostPort = cluster.server.replaceAll('https://', '');
  return `tsctl join ${hostPort} --token ${token}     ${pins.map((p) => `--discovery-token-ca-cert-hash ${p} `).join('')}`;
}
