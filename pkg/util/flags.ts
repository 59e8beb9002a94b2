// A small flag parser for the binaries: --name=value, --name value, --bool, repeated flags,
// and a clear error naming an unknown flag.

export type FlagSpec = Record<string, { type: 'string' | 'number' | 'boolean' | 'list'; default?: unknown; help: string }>;

export type Flags<S extends FlagSpec> = { [K in keyof S]: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : S[K]['type'] extends 'list' ? string[] : string };

export class FlagError extends Error {}

export function parseFlags<S extends FlagSpec>(spec: S, argv: string[]): { flags: Flags<S>; args: string[] } {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) out[k] = v.type === 'list' ? [...((v.default as string[]) ?? [])] : v.default;
  const args: string[] = [];
  const seenList = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      args.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new FlagError(`unknown flag: --${name}`);
    let value: string | undefined = eq < 0 ? undefined : a.slice(eq + 1);
    if (s.type === 'boolean') {
      out[name] = value === undefined ? true : !['false', '0', 'no', 'off'].includes(value);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new FlagError(`flag needs an argument: --${name}`);
    }
    if (s.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new FlagError(`invalid value "${value}" for --${name}: not a number`);
      out[name] = n;
    } else if (s.type === 'list') {
      if (!seenList.has(name)) {
        out[name] = [];
        seenList.add(name);
      }
      (out[name] as string[]).push(...value.split(',').filter(Boolean));
    } else out[name] = value;
  }
  return { flags: out as Flags<S>, args };
}

export function usage(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([k, v]) => `  --${k}${v.type === 'boolean' ? '' : ` ${v.type}`}\t${v.help}${v.default !== undefined && v.default !== '' ? ` (default ${JSON.stringify(v.default)})` : ''}`)
    .join('\n');
}
