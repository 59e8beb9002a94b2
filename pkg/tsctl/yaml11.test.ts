import { describe, expect, it } from 'vitest';
import { parseManifests } from './manifests.js';

describe('manifests read as kubectl reads them (go-yaml v2, YAML 1.1)', () => {
  it('reads a volume\'s defaultMode 0644 as octal 420, as kubectl apply sends it', () => {
    const [m] = parseManifests('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: v, configMap: {name: c, defaultMode: 0644}}]\n', 'pod.yaml');
    expect((m!.obj as unknown as { spec: { volumes: { configMap: { defaultMode: number } }[] } }).spec.volumes[0]!.configMap.defaultMode).toBe(420);
  });

  it('resolves plain scalars as kubectl create --dry-run=client -o json shows them', () => {
    const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: 0644\n  b: y\n  c: off\n  d: 1_000\n  e: 0x1F\n  g: 0o17\n  h: 1:20\n  k: 2001-12-14\n  l: 0b11\n  m: +12\n  n: 1e3\n  o: 010\n  p: 08\n  r: .5\n  s: -0x10\n  t: 1.50\n  ts: 2001-12-14T21:59:43Z\n  x: tRue\n  u: ~\n  w:\n  list: [Y, No, "on", !!str yes, !!int "12"]\n';
    // (the key n is the bool false, as a map key "false")
    expect(parseManifests(text, 'cm.yaml')[0]!.obj).toMatchObject({
      data: { a: 420, b: true, c: false, d: 1000, e: 31, false: 1000, g: 15, h: '1:20', k: '2001-12-14', l: 3, list: [true, false, 'on', 'yes', 12], m: 12, o: 8, p: 8, r: 0.5, s: -16, t: 1.5, ts: '2001-12-14T21:59:43Z', x: 'tRue', u: null, w: null },
    });
  });

  it('keeps quoted scalars strings and follows merge keys', () => {
    const [m] = parseManifests('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labels: {a: "yes", b: \'0644\'}}\nbase: &b {k: 1}\nmerged: {<<: *b, j: 2}\n', 'cm.yaml');
    expect(m!.obj).toMatchObject({ metadata: { labels: { a: 'yes', b: '0644' } }, merged: { k: 1, j: 2 } });
  });
});
