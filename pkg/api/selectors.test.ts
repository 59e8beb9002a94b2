import { describe, expect, it } from 'vitest';
import {
  SelectorError,
  checkFieldSelector,
  fieldsOf,
  formatLabelSelector,
  labelSelectorFromObject,
  matchesFieldSelector,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from './selectors.js';

const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

describe('label selectors', () => {
  it('parses every operator', () => {
    expect(parseLabelSelector('a=b,c==d,e!=f,g in (y,x),h notin (z),i,!j').requirements).toEqual([
      { key: 'a', operator: 'In', values: ['b'] },
      { key: 'c', operator: 'In', values: ['d'] },
      { key: 'e', operator: 'NotIn', values: ['f'] },
      { key: 'g', operator: 'In', values: ['x', 'y'] },
      { key: 'h', operator: 'NotIn', values: ['z'] },
      { key: 'i', operator: 'Exists', values: [] },
      { key: 'j', operator: 'DoesNotExist', values: [] },
    ]);
  });

  it('accepts spaces and prefixed keys', () => {
    expect(parseLabelSelector(' app.kubernetes.io/name = web , tier in ( a , b ) ').requirements).toHaveLength(2);
  });

  it('matches like Kubernetes', () => {
    const l = { app: 'web', tier: 'front', n: '5' };
    expect(m('', l)).toBe(true);
    expect(m('app=web', l)).toBe(true);
    expect(m('app=db', l)).toBe(false);
    expect(m('app!=db', l)).toBe(true);
    expect(m('missing!=x', l)).toBe(true); // != matches objects without the label
    expect(m('tier in (front,back)', l)).toBe(true);
    expect(m('tier notin (front)', l)).toBe(false);
    expect(m('missing notin (front)', l)).toBe(true);
    expect(m('app', l)).toBe(true);
    expect(m('!app', l)).toBe(false);
    expect(m('!missing', l)).toBe(true);
    expect(m('app=web,tier=back', l)).toBe(false);
    expect(m('n>3', l)).toBe(true);
    expect(m('n<3', l)).toBe(false);
    expect(m('app=', { app: '' })).toBe(true);
  });

  it.each([
    ['a in (x', /expected/],
    ['a in x', /'\(' after set operator/],
    ['a b', /expected: in, notin/],
    ['=b', /expected: identifier/],
    ['!', /identifier after '!'/],
    ['a=b,', /expected: identifier/],
    ['a=b c', /expected: ','/],
    ['-bad=x', /key: Invalid value: "-bad"/],
    ['a=-bad-', /Invalid value: "-bad-"/],
    ['a>x', /must be an integer/],
  ])('rejects %j', (s, re) => {
    expect(() => parseLabelSelector(s)).toThrow(SelectorError);
    expect(() => parseLabelSelector(s)).toThrow(re);
  });

  it('converts LabelSelector objects', () => {
    const sel = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['front', 'back'] },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
      ],
    });
    expect(matchesLabels(sel, { app: 'web', tier: 'back' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'back', legacy: 'y' })).toBe(false);
    expect(matchesLabels(labelSelectorFromObject({}), { x: 'y' })).toBe(true);
    expect(matchesLabels(labelSelectorFromObject(undefined), { x: 'y' })).toBe(false);
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(/can't be empty/);
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo' }] })).toThrow(/not a valid label selector operator/);
  });

  it('formats back', () => {
    expect(formatLabelSelector(parseLabelSelector('a=b,c in (x,y),!d,e'))).toBe('a=b,c in (x,y),!d,e');
  });
});

describe('field selectors', () => {
  it('parses =, == and != with escapes and empty values', () => {
    expect(parseFieldSelector('metadata.name=x,spec.nodeName!=,status.phase==Running').requirements).toEqual([
      { field: 'metadata.name', op: '=', value: 'x' },
      { field: 'spec.nodeName', op: '!=', value: '' },
      { field: 'status.phase', op: '=', value: 'Running' },
    ]);
    expect(parseFieldSelector('metadata.name=a\\,b').requirements[0].value).toBe('a,b');
    expect(parseFieldSelector('').requirements).toEqual([]);
  });

  it('rejects malformed selectors', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(/can't understand/);
    expect(() => parseFieldSelector('=x')).toThrow(/can't understand/);
  });

  it('selects unscheduled pods and pods on a node', () => {
    const bound = { metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };
    const unbound = { metadata: { name: 'q', namespace: 'default' }, spec: {} };
    const unscheduled = parseFieldSelector('spec.nodeName=');
    expect(matchesFieldSelector(unscheduled, fieldsOf('pods', bound))).toBe(false);
    expect(matchesFieldSelector(unscheduled, fieldsOf('pods', unbound))).toBe(true);
    const onN1 = parseFieldSelector('spec.nodeName=n1,status.phase!=Succeeded');
    expect(matchesFieldSelector(onN1, fieldsOf('pods', bound))).toBe(true);
  });

  it('knows the selectable fields of each kind', () => {
    expect(fieldsOf('nodes', { metadata: { name: 'n' }, spec: { unschedulable: true } })).toEqual({ 'metadata.name': 'n', 'spec.unschedulable': 'true' });
    const ev = fieldsOf('events', { metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'Started', source: { component: 'kubelet' } } as never);
    expect(ev['involvedObject.kind']).toBe('Pod');
    expect(ev.source).toBe('kubelet');
    expect(ev['involvedObject.uid']).toBe('');
    expect(Object.keys(fieldsOf('leases', {}))).toEqual(['metadata.name', 'metadata.namespace']);
    expect(Object.keys(fieldsOf('configmaps', {}))).toEqual(['metadata.name', 'metadata.namespace']);
    expect(fieldsOf('secrets', { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls' })).toEqual({ 'metadata.name': 's', 'metadata.namespace': 'd', type: 'kubernetes.io/tls' });
  });

  it('rejects unsupported field labels', () => {
    expect(() => checkFieldSelector('pods', parseFieldSelector('foo=bar'))).toThrow('field label not supported: foo');
    expect(() => checkFieldSelector('nodes', parseFieldSelector('spec.nodeName=x'))).toThrow('field label not supported: spec.nodeName');
    expect(() => checkFieldSelector('pods', parseFieldSelector('spec.nodeName=x'))).not.toThrow();
  });
});
