// Reading manifests for apply/delete -f: files, directories and stdin; multi-document YAML and
// JSON (including v1 List). Errors name the file, the document and the line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { KubeObject } from '../api/types.js';
import { goYamlSchema } from '../util/yaml11.js';

export interface Manifest {
  obj: KubeObject;
  /** "pod.yaml#2" — file and 1-based document index, for messages. */
  where: string;
  /** The file as given (or STDIN), as kubectl names an object's source in its errors. */
  source: string;
}

export class ManifestError extends Error {}

function filesOf(path: string): string[] {
  if (path === '-') return ['-'];
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new ManifestError(`the path "${path}" does not exist`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(path, f));
}

export function readManifests(paths: string[], stdin?: () => string): Manifest[] {
  const out: Manifest[] = [];
  for (const p of paths) {
    for (const file of filesOf(p)) {
      const text = file === '-' ? (stdin ? stdin() : readFileSync(0, 'utf8')) : readFileSync(file, 'utf8');
      out.push(...parseManifests(text, file === '-' ? 'STDIN' : file));
    }
  }
  return out;
}

export function parseManifests(text: string, source: string): Manifest[] {
  let docs: unknown[];
  try {
    // (as kubectl reads them: YAML 1.1's booleans and Go's integers, see ../util/yaml11.ts)
    docs = yaml.loadAll(text, undefined, { schema: goYamlSchema });
  } catch (e) {
    const err = e as { mark?: { line?: number }; reason?: string; message: string };
    const line = err.mark?.line !== undefined ? ` line ${err.mark.line + 1}` : '';
    throw new ManifestError(`error parsing ${source}:${line}: ${err.reason ?? err.message}`);
  }
  const out: Manifest[] = [];
  docs.forEach((doc, i) => {
    if (doc === null || doc === undefined) return;
    const where = `${source}#${i + 1}`;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestError(`error validating ${where}: the document is not an object`);
    const obj = doc as KubeObject;
    if (obj.kind === 'List' && Array.isArray((obj as { items?: unknown[] }).items)) {
      (obj as { items: KubeObject[] }).items.forEach((item, j) => out.push({ obj: item, where: `${where} item ${j + 1}`, source }));
      return;
    }
    if (!obj.apiVersion) throw new ManifestError(`error validating ${where}: apiVersion not set`);
    if (!obj.kind) throw new ManifestError(`error validating ${where}: kind not set`);
    out.push({ obj, where, source });
  });
  return out;
}
