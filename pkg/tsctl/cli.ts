// tsctl's command dispatch and flags.
import { findKubeconfig, loadKubeconfig, defaultDataDir } from '../client/kubeconfig.js';
import { RestClient, StatusError } from '../client/rest-client.js';
import { standardErrorMessage } from './error-message.js';
import { FlagError, parseFlags } from '../util/flags.js';
import { applyErrorsText, applyOne } from './apply.js';
import { down, startJoinedAgent, up } from './cluster.js';
import { deleteObjects, describeObjects, get, type Out } from './commands.js';
import { ManifestError, readManifests } from './manifests.js';
import { Discovery } from './resources.js';
import { attach, exec, streamLogs } from './streams.js';
import { isTerminal, openTerminal } from './terminal.js';
import { imageCommand } from './images.js';
import { defaultLab, labDown, labUp } from '../lab/lab.js';
import { joinWithBootstrapToken, joinWithK10Token } from './join.js';
import { mixedArgumentsError, parseJoinConfiguration, type JoinConfig } from './join-config.js';
import { ensureBootstrapTokenSetup } from './bootstrap-token-setup.js';
import { createToken, deleteTokens, generateBootstrapToken, joinCommand, listTokens, parseGoDuration, TokenValidationError } from './token.js';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { ReadStream } from 'node:tty';

const help = `tsctl controls a tskube cluster.

Cluster:
  up [--data-dir DIR]        start a single-node cluster on this machine (default ${defaultDataDir})
     [--advertise-address IP]  listen on and advertise IP, so that other machines can join (prints the join command)
  down [--data-dir DIR]      stop it and remove everything it created
  lab up [--nodes 3] [--etcd-members 1|3] [--data-dir /var/lib/tskube-lab]
                             a multi-node lab cluster on this machine (nodes are network namespaces)
  lab down [--data-dir DIR]  remove every trace of it
  join HOST:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HASH [--node-name N]
       [--output-file FILE] [--cert-dir DIR] [--ignore-preflight-errors CHECK]
                             join as kubeadm join does: check the cluster-info ConfigMap's signature
                             and CA, get this node's client certificate by TLS bootstrapping, write the
                             cluster's kubelet-config as DATA_DIR/config.yaml and start the node agent
                             (--start-agent=false: print how to start it); tsctl down stops it
  join --discovery-file KUBECONFIG|https://URL --tls-bootstrap-token ID.SECRET [...]
                             the same, trusting a copied (or downloaded) kubeconfig's server and CA
  join --config FILE [--node-name N] [--ignore-preflight-errors CHECK] [--data-dir DIR] [...]
                             the same, from a kubeadm JoinConfiguration (kubeadm.k8s.io/v1beta4 or
                             v1beta3: discovery, nodeRegistration, timeouts.discovery)
  join --server URL --token K10... [--node-name N] [--output-file FILE]
                             exchange a tskube join token for this node's kubeconfig
  token create [TOKEN] [--ttl 24h] [--usages signing,authentication] [--groups G] [--description D]
        [--print-join-command] | token list [-o json|yaml] | token delete TOKEN|ID... | token generate
                             kubeadm's bootstrap tokens (bootstrap-token-ID Secrets in kube-system)
  init phase bootstrap-token  what up makes for token joins (cluster-info, kubeadm's RBAC rules),
                             for a control plane started by hand
  image SUBCOMMAND           build-busybox, pull, push, import, export, ls, rm (the node's image store)

Objects (kubectl-style):
  apply -f FILE|DIR|-        create or update objects from YAML/JSON manifests
  get TYPE [NAME...]         list objects (-o wide|yaml|json|name, -l SELECTOR, --field-selector, --show-labels, -w, -A, -n NS)
  describe TYPE [NAME...]    show objects in detail, with their events (a name prefix, or all)
  logs POD [-c C] [-f] [--tail N] [--since S] [--previous] [--timestamps]
  exec POD [-c C] [-i] [-t] -- COMMAND [ARGS...]
  attach POD [-c C] [-i] [-t]
  delete TYPE NAME... | -f FILE   delete objects (-l SELECTOR, --all, --grace-period N, --now, --force, --wait=false)

Global flags: --kubeconfig FILE, -n/--namespace NS, --context NAME
`;

const spec = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig file' },
  context: { type: 'string', default: '', help: 'kubeconfig context' },
  namespace: { type: 'string', default: '', help: 'namespace' },
  'all-namespaces': { type: 'boolean', default: false, help: 'all namespaces' },
  filename: { type: 'list', default: [], help: 'manifest file, directory or -' },
  output: { type: 'string', default: '', help: 'output format' },
  selector: { type: 'string', default: '', help: 'label selector' },
  'field-selector': { type: 'string', default: '', help: 'field selector' },
  watch: { type: 'boolean', default: false, help: 'watch for changes' },
  'show-labels': { type: 'boolean', default: false, help: 'a LABELS column' },
  'grace-period': { type: 'number', default: -1, help: 'grace period seconds' },
  now: { type: 'boolean', default: false, help: 'grace period 1' },
  force: { type: 'boolean', default: false, help: 'immediate deletion' },
  all: { type: 'boolean', default: false, help: 'delete every object of the type' },
  wait: { type: 'boolean', default: true, help: 'wait for deletion' },
  timeout: { type: 'number', default: 120, help: 'seconds to wait' },
  'data-dir': { type: 'string', default: defaultDataDir, help: 'cluster data dir' },
  'apiserver-port': { type: 'number', default: 6443, help: 'apiserver port for up' },
  'advertise-address': { type: 'string', default: '', help: 'up: the address the apiserver listens on and advertises, for other machines to join (default: the one the cluster has, else 127.0.0.1)' },
  'etcd-port': { type: 'number', default: 2379, help: 'embedded etcd client port for up (peer port is +1)' },
  nodes: { type: 'number', default: 3, help: 'lab nodes' },
  'etcd-members': { type: 'number', default: 1, help: 'lab etcd members (1 or 3)' },
  server: { type: 'string', default: '', help: 'apiserver URL for join' },
  token: { type: 'string', default: '', help: 'join token' },
  'node-name': { type: 'string', default: '', help: 'node name for join' },
  'output-file': { type: 'string', default: '', help: 'where join writes the kubeconfig' },
  'discovery-file': { type: 'string', default: '', help: 'join: a kubeconfig (e.g. of cluster-info), or an https URL to download it from (checked against the machine\'s trusted roots), whose server and CA are trusted, instead of token discovery' },
  'discovery-token': { type: 'string', default: '', help: 'join: the token of discovery (default --token)' },
  'tls-bootstrap-token': { type: 'string', default: '', help: 'join: the token of the TLS bootstrap (default --token)' },
  'discovery-token-ca-cert-hash': { type: 'list', default: [], help: 'join: the pin (sha256:<hex> of its public key) of the cluster CA to trust' },
  'discovery-token-unsafe-skip-ca-verification': { type: 'boolean', default: false, help: 'join: trust the cluster-info CA without a pin' },
  config: { type: 'string', default: '', help: 'join: a kubeadm JoinConfiguration file (its discovery, node name, preflight errors to ignore and discovery timeout)' },
  'cert-dir': { type: 'string', default: '', help: 'join: where the node certificate is kept (default DATA_DIR/pki)' },
  'start-agent': { type: 'boolean', default: true, help: 'join: start the node agent once joined, under the supervisor up uses (tsctl down --data-dir DIR stops it); --start-agent=false prints how to start it instead' },
  'ignore-preflight-errors': { type: 'list', default: [], help: 'join: checks whose errors are only warnings (e.g. FileAvailable-..., all)' },
  ttl: { type: 'string', default: '24h0m0s', help: 'token create: the token\'s lifetime, 0 for ever' },
  usages: { type: 'list', default: [], help: 'token create: signing, authentication (default both)' },
  groups: { type: 'list', default: [], help: 'token create: extra groups it authenticates in (default system:bootstrappers:kubeadm:default-node-token)' },
  description: { type: 'string', default: '', help: 'token create: a description' },
  'print-join-command': { type: 'boolean', default: false, help: 'token create: print the whole join command' },
  components: { type: 'list', default: [], help: 'components for up (default: all that are built)' },
  'validate': { type: 'string', default: 'Strict', help: 'field validation: Strict, Warn, Ignore' },
  container: { type: 'string', default: '', help: 'container' },
  follow: { type: 'boolean', default: false, help: 'follow logs' },
  tail: { type: 'number', default: -1, help: 'lines from the end' },
  since: { type: 'string', default: '', help: 'logs newer than a duration (10s, 5m, 1h)' },
  previous: { type: 'boolean', default: false, help: 'the previous instance of the container' },
  timestamps: { type: 'boolean', default: false, help: 'include timestamps' },
  stdin: { type: 'boolean', default: false, help: 'pass stdin to the container' },
  tty: { type: 'boolean', default: false, help: 'allocate a TTY' },
  help: { type: 'boolean', default: false, help: 'help' },
} as const;

const shortFlags: Record<string, string> = { '-n': '--namespace', '-A': '--all-namespaces', '-f': '--filename', '-o': '--output', '-l': '--selector', '-w': '--watch', '-h': '--help', '-c': '--container', '-i': '--stdin', '-t': '--tty' };

function expandShort(argv: string[]): string[] {
  const out: string[] = [];
  for (const [i, a] of argv.entries()) {
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(-[nfolwAhcit])(=?)(.*)$/.exec(a);
    if (m && shortFlags[m[1]!]) {
      out.push(shortFlags[m[1]!]!);
      if (m[3]) out.push(m[3]);
    } else out.push(a);
  }
  return out;
}

/** tsctl join --config FILE: the file's JoinConfiguration, once no flag it replaces was given too. */
function joinConfigFile(path: string, argv: string[], warn: (line: string) => void): JoinConfig {
  const end = argv.indexOf('--');
  const given = (end < 0 ? argv : argv.slice(0, end)).filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!);
  const mixed = mixedArgumentsError(given);
  if (mixed) throw new Error(mixed);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`unable to read config from ${JSON.stringify(path)} : ${(e as Error).message}`, { cause: e });
  }
  return parseJoinConfiguration(text, warn);
}

function parseDuration(s: string): number {
  const m = /^(\d+)(s|m|h)?$/.exec(s);
  if (!m) throw new Error(`invalid duration "${s}": use e.g. 30s, 5m, 1h`);
  return Number(m[1]) * ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2] ?? 's']!;
}

export async function run(argv: string[], io: Out, opts: { signal?: AbortSignal; stdin?: () => string; stdinStream?: NodeJS.ReadableStream; stdoutStream?: NodeJS.WritableStream } = {}): Promise<number> {
  let parsed;
  try {
    // For logs, -f means --follow (as in kubectl), not --filename.
    const isLogs = argv.includes('logs');
    parsed = parseFlags(spec, expandShort(isLogs ? argv.map((a) => (a === '-f' ? '--follow' : a)) : argv));
  } catch (e) {
    if (e instanceof FlagError) {
      io.err(`error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const { flags, args } = parsed;
  const [cmd, ...rest] = args;
  if (!cmd || flags.help) {
    io.out(help);
    return cmd ? 0 : flags.help ? 0 : 2;
  }
  const log = (l: string) => io.out(l + '\n');
  if (cmd === 'up') {
    await up({ dataDir: flags['data-dir'], apiserverPort: flags['apiserver-port'], etcdClientPort: flags['etcd-port'], etcdPeerPort: flags['etcd-port'] + 1, advertiseAddress: flags['advertise-address'] || undefined, only: flags.components.length ? flags.components : undefined, log });
    return 0;
  }
  if (cmd === 'lab') {
    const dataDir = flags['data-dir'] === defaultDataDir ? '/var/lib/tskube-lab' : flags['data-dir'];
    if (rest[0] === 'up') {
      const members = flags['etcd-members'];
      if (members !== 1 && members !== 3) {
        io.err('error: --etcd-members must be 1 or 3\n');
        return 2;
      }
      if (flags.nodes < 1 || flags.nodes > 50) {
        io.err('error: --nodes must be between 1 and 50\n');
        return 2;
      }
      await labUp({ ...defaultLab(dataDir, log), nodes: flags.nodes, etcdMembers: members });
      return 0;
    }
    if (rest[0] === 'down') {
      await labDown({ dataDir, log });
      return 0;
    }
    io.err('error: usage: tsctl lab up|down\n');
    return 2;
  }
  if (cmd === 'join') {
    const nodeName = flags['node-name'] || hostname().toLowerCase();
    const kubeconfigPath = flags['output-file'] || join(flags['data-dir'], 'node.kubeconfig');
    const out = (s: string) => io.out(s);
    if (flags.token.startsWith('K10')) {
      const server = flags.server || (rest[0] ? `https://${rest[0]}` : '');
      if (!server || !flags.token) {
        io.err('error: usage: tsctl join --server https://HOST:6443 --token K10... [--node-name NAME] [--output-file FILE]\n');
        return 2;
      }
      await joinWithK10Token({ server, token: flags.token, nodeName, kubeconfigPath, out });
      return 0;
    }
    try {
      // (kubeadm: with --config the file says what the discovery flags would, and they may not be given too)
      const config = flags.config ? joinConfigFile(flags.config, argv, (l) => io.err(`W ${l}\n`)) : undefined;
      const discovery = config ?? {
        endpoint: rest[0] ?? flags.server.replace(/^https:\/\//, '').replace(/\/$/, ''),
        token: flags['discovery-token'] || flags.token,
        tlsBootstrapToken: flags['tls-bootstrap-token'] || flags.token,
        discoveryFile: flags['discovery-file'] || undefined,
        caCertHashes: flags['discovery-token-ca-cert-hash'],
        unsafeSkipCAVerification: flags['discovery-token-unsafe-skip-ca-verification'],
        discoveryTimeoutMs: undefined,
      };
      await joinWithBootstrapToken({
        endpoint: discovery.endpoint,
        token: discovery.token,
        tlsBootstrapToken: discovery.tlsBootstrapToken,
        discoveryFile: discovery.discoveryFile,
        caCertHashes: discovery.caCertHashes,
        unsafeSkipCAVerification: discovery.unsafeSkipCAVerification,
        // (--node-name wins over the file's nodeRegistration.name; the preflight errors are both's)
        nodeName: flags['node-name'] || config?.nodeName || nodeName,
        dataDir: flags['data-dir'],
        kubeconfigPath,
        certDir: flags['cert-dir'] || join(flags['data-dir'], 'pki'),
        discoveryTimeoutMs: discovery.discoveryTimeoutMs,
        ignorePreflightErrors: [...new Set([...flags['ignore-preflight-errors'], ...(config?.ignorePreflightErrors ?? [])])],
        startAgent: flags['start-agent'] ? (a) => startJoinedAgent(a, log) : undefined,
        out,
      });
      return 0;
    } catch (e) {
      // (a phase's failure is said as kubeadm says it, "error execution phase <phase>: ...")
      const msg = (e as Error).message;
      io.err(msg.startsWith('error execution phase ') ? `${msg}\n` : `error: ${msg}\n`);
      return e instanceof TokenValidationError ? 3 : 1;
    }
  }
  if (cmd === 'token' && rest[0] === 'generate') {
    io.out(`${generateBootstrapToken()}\n`);
    return 0;
  }
  if (cmd === 'image' || cmd === 'images') {
    return imageCommand(cmd === 'images' ? ['ls'] : rest, flags['data-dir'], io);
  }
  if (cmd === 'down') {
    await down({ dataDir: flags['data-dir'], log });
    return 0;
  }
  const kubeconfigPath = findKubeconfig(flags.kubeconfig || undefined, flags['data-dir']);
  const cfg = loadKubeconfig(kubeconfigPath, flags.context || undefined);
  const namespace = flags.namespace || cfg.namespace;
  const client = new RestClient(cfg);
  const disco = new Discovery(client);
  try {
    switch (cmd) {
      case 'apply': {
        if (!flags.filename.length) {
          io.err('error: must specify one of -f and -k\n');
          return 2;
        }
        const manifests = readManifests(flags.filename, opts.stdin);
        // (as kubectl apply: every object is tried, and the errors are said after them all)
        const errors: unknown[] = [];
        for (const m of manifests) {
          try {
            const r = await applyOne(client, disco, m, namespace, flags.validate, io.err, !!flags.namespace);
            io.out(`${r.ref} ${r.action}\n`);
          } catch (e) {
            errors.push(e);
          }
        }
        if (errors.length) io.err(applyErrorsText(errors));
        return errors.length ? 1 : 0;
      }
      case 'get': {
        if (!rest[0]) {
          io.err('error: you must specify the type of resource to get\n');
          return 2;
        }
        return await get(client, disco, rest, { namespace, allNamespaces: flags['all-namespaces'], output: flags.output, labelSelector: flags.selector || undefined, fieldSelector: flags['field-selector'] || undefined, watch: flags.watch, showLabels: flags['show-labels'], signal: opts.signal }, io);
      }
      case 'describe': {
        const [what, ...names] = rest[0]?.includes('/') ? rest[0].split('/') : rest;
        if (!what) {
          io.err('error: You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.\n');
          return 1;
        }
        return await describeObjects(client, disco, what, names, namespace, io);
      }
      case 'delete': {
        // The grace period as kubectl's DeleteOptions.Complete and Validate settle it: --now is
        // 1, --grace-period=0 without --force is 1 (an accidental immediate deletion is refused),
        // --force is 0 and cannot go with a longer one.
        let grace = flags['grace-period'];
        const refuse = (msg: string) => {
          io.err(`error: ${msg}\n`);
          return 1;
        };
        if (flags.now) {
          if (grace !== -1) return refuse('--now and --grace-period cannot be specified together');
          grace = 1;
        }
        if (grace === 0 && !flags.force) grace = 1;
        if (flags.force && grace < 0) grace = 0;
        // (the resource builder's SelectAllParam refuses the pair before Validate would)
        if (flags.all && flags.selector) return refuse("setting 'all' parameter but found a non empty selector. ");
        if (flags.force && grace > 0) return refuse('--force and --grace-period greater than 0 cannot be specified together');
        if (flags.force) io.err('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
        const o = { namespace, gracePeriod: grace >= 0 ? grace : undefined, wait: flags.wait, timeoutMs: flags.timeout * 1000, labelSelector: flags.selector || undefined, all: flags.all };
        if (flags.filename.length) return await deleteObjects(client, disco, { manifests: readManifests(flags.filename, opts.stdin) }, o, io);
        const [what, ...names] = rest[0]?.includes('/') ? [rest[0].split('/')[0]!, rest[0].split('/')[1]!, ...rest.slice(1)] : rest;
        if (!what) {
          io.err('error: usage: tsctl delete TYPE (NAME... | -l SELECTOR | --all) or tsctl delete -f FILE\n');
          return 2;
        }
        if (names.length && (flags.selector || flags.all)) return refuse('name cannot be provided when a selector is specified');
        if (!names.length && !flags.selector && !flags.all) return refuse('resource(s) were provided, but no name was specified');
        return await deleteObjects(client, disco, { what, names }, o, io);
      }
      case 'logs': {
        if (!rest[0]) {
          io.err('error: usage: tsctl logs POD [-c CONTAINER] [-f]\n');
          return 2;
        }
        const follow = flags.follow;
        await streamLogs(client, namespace, rest[0].replace(/^pods?\//, ''), {
          container: flags.container || undefined,
          follow,
          tailLines: flags.tail >= 0 ? flags.tail : undefined,
          sinceSeconds: flags.since ? parseDuration(flags.since) : undefined,
          previous: flags.previous,
          timestamps: flags.timestamps,
          signal: opts.signal,
        }, (s) => io.out(s));
        return 0;
      }
      case 'exec':
      case 'attach': {
        const dash = argv.indexOf('--');
        const command = dash >= 0 ? argv.slice(dash + 1) : rest.slice(1);
        if (cmd === 'exec' && (!rest[0] || !command.length)) {
          io.err('error: usage: tsctl exec POD [-c CONTAINER] -- COMMAND [ARGS...]\n');
          return 2;
        }
        if (cmd === 'attach' && (!rest[0] || rest.length > 1)) {
          io.err('error: usage: tsctl attach POD [-c CONTAINER] [-i] [-t]\n');
          return 2;
        }
        // As kubectl: -t needs -i, and -i -t a terminal on stdin (else a warning and no tty).
        const stdin = flags.stdin ? (opts.stdinStream ?? process.stdin) : undefined;
        let tty = flags.tty && stdin !== undefined;
        if (tty && !isTerminal(stdin)) {
          io.err('Unable to use a TTY - input is not a terminal or the right kind of file\n');
          tty = false;
        }
        const term = tty ? openTerminal(stdin as ReadStream, opts.stdoutStream ?? process.stdout) : undefined;
        const outText = new StringDecoder('utf8');
        const errText = new StringDecoder('utf8');
        try {
          const pod = rest[0].replace(/^pods?\//, '');
          const o = { container: flags.container || undefined, stdin, tty, terminal: term?.size, stdout: (b: Buffer) => io.out(outText.write(b)), stderr: (b: Buffer) => io.err(errText.write(b)) };
          return await (cmd === 'exec' ? exec(client, namespace, pod, command, o) : attach(client, namespace, pod, o));
        } finally {
          term?.restore();
        }
      }
      case 'init': {
        // (kubeadm init phase bootstrap-token, for a control plane started by hand: what `up` does itself)
        if (rest[0] !== 'phase' || rest[1] !== 'bootstrap-token') {
          io.err('error: usage: tsctl init phase bootstrap-token [--kubeconfig ADMIN-KUBECONFIG]\n');
          return 2;
        }
        await ensureBootstrapTokenSetup(client, kubeconfigPath, log);
        return 0;
      }
      case 'token': {
        const sub = rest[0];
        try {
          if (sub === 'create') {
            const ttlMs = parseGoDuration('ttl', flags.ttl);
            const token = await createToken(client, { token: rest[1], ttlMs, usages: flags.usages.length ? flags.usages : undefined, groups: flags.groups.length ? flags.groups : undefined, description: flags.description || undefined });
            io.out(`${flags['print-join-command'] ? joinCommand(cfg, token) : token}\n`);
            return 0;
          }
          if (sub === 'list') {
            const format = flags.output || 'text';
            if (format !== 'text' && format !== 'json' && format !== 'yaml') throw new TokenValidationError(`unable to match a printer suitable for the output format "${format}", allowed formats are: json,text,yaml`);
            const r = await listTokens(client, Date.now(), format);
            io.out(r.out);
            if (r.err) io.err(r.err);
            return 0;
          }
          if (sub === 'delete') {
            await deleteTokens(client, rest.slice(1), (s) => io.out(s));
            return 0;
          }
        } catch (e) {
          if (e instanceof TokenValidationError) {
            io.err(`error: ${e.message}\n`);
            return 3;
          }
          throw e;
        }
        io.err(sub ? `error: invalid subcommand "${sub}"\nusage: tsctl token create|list|delete|generate\n` : "error: missing subcommand; \"token\" is not meant to be run on its own\nusage: tsctl token create|list|delete|generate\n");
        return 1;
      }
      default:
        io.err(`error: unknown command "${cmd}"\n${help}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof StatusError) {
      io.err(`${standardErrorMessage(e)}\n`);
      return 1;
    }
    if (e instanceof ManifestError || e instanceof Error) {
      io.err(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    client.close();
  }
}
