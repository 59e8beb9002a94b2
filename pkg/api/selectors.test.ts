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
  unsupportedFieldLabel,
} from './selectors.js';

const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

describe('label selectors', () => {
  it('parses every operator', () => {
    expect(parseLabelSelector('a=b,c==d,e!=f,g in (y,x),h notin (z),i,!j').requirements).toEqual([
      { key: 'a', operator: 'In', values: ['b'], equality: '=' },
      { key: 'c', operator: 'In', values: ['d'], equality: '==' },
      { key: 'e', operator: 'NotIn', values: ['f'], equality: '!=' },
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

  // labels.Parse's words: errors inside a requirement are prefixed, the ones between requirements not
  it.each([
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (b,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['a=!', "unable to parse requirement: found '!', expected: identifier"],
    ['=b', "found '=', expected: !, identifier, or 'end of string'"],
    [',a', "found ',', expected: !, identifier, or 'end of string'"],
    ['a=b,', "found '', expected: identifier after ','"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['-bad=x', /^unable to parse requirement: <nil>: Invalid value: "-bad": name part must consist of/],
    ['a=-bad-', /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-bad-": a valid label must be/],
    ['a in (ok,-z-)', /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-z-"/],
    ['a>x', "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"],
  ])('rejects %j', (s, want) => {
    expect(() => parseLabelSelector(s)).toThrow(SelectorError);
    if (typeof want === 'string') expect(() => parseLabelSelector(s)).toThrow(new SelectorError(want));
    else expect(() => parseLabelSelector(s)).toThrow(want);
  });

  it('reads in and notin as values and takes the empty value in sets', () => {
    expect(parseLabelSelector('a in (in,notin)').requirements).toEqual([{ key: 'a', operator: 'In', values: ['in', 'notin'] }]);
    expect(parseLabelSelector('a in (,x),b notin ()').requirements).toEqual([
      { key: 'a', operator: 'In', values: ['', 'x'] },
      { key: 'b', operator: 'NotIn', values: [''] },
    ]);
    expect(parseLabelSelector('a==,!b,c!=d').requirements).toEqual([
      { key: 'a', operator: 'In', values: [''], equality: '==' },
      { key: 'b', operator: 'DoesNotExist', values: [] },
      { key: 'c', operator: 'NotIn', values: ['d'], equality: '!=' },
    ]);
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
    // (as Requirement.String: by key, the spelling kept, a set of one value still a set, values sorted)
    expect(formatLabelSelector(parseLabelSelector('z==1,y in (b),x notin (q),w!=2,v in (c,a)'))).toBe('v in (a,c),w!=2,x notin (q),y in (b),z==1');
  });

  it('formats a LabelSelector object as LabelSelectorAsSelector(...).String() does: matchLabels as a=b, matchExpressions set-based', () => {
    const sel = { matchLabels: { tier: 'web', app: 'x' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }, { key: 'b', operator: 'NotIn', values: ['z', 'y'] }, { key: 'c', operator: 'Exists' }] };
    expect(formatLabelSelector(labelSelectorFromObject(sel))).toBe('app=x,b notin (y,z),c,env in (prod),tier=web');
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

  it('rejects malformed selectors in fields.ParseSelector\'s words', () => {
    expect(() => parseFieldSelector('metadata.name')).toThrow(new SelectorError("invalid selector: 'metadata.name'; can't understand 'metadata.name'"));
    expect(() => parseFieldSelector('a=1,b')).toThrow(new SelectorError("invalid selector: 'a=1,b'; can't understand 'b'"));
    // (UnescapedRune prints the rune as Go's %v does: its number)
    expect(() => parseFieldSelector('metadata.name=a=b')).toThrow(new SelectorError('invalid field selector: unescaped character in value: 61'));
    expect(() => parseFieldSelector('metadata.name=a\\x')).toThrow(new SelectorError('invalid field selector: invalid escape sequence: \\x'));
    expect(() => parseFieldSelector('metadata.name=a\\')).toThrow(new SelectorError('invalid field selector: invalid escape sequence: \\'));
  });

  it('splits a term at its first operator and skips empty terms, as splitTerm and parseSelector do', () => {
    expect(parseFieldSelector('metadata.name=a,').requirements).toEqual([{ field: 'metadata.name', op: '=', value: 'a' }]);
    expect(parseFieldSelector(',spec.nodeName!=n1').requirements).toEqual([{ field: 'spec.nodeName', op: '!=', value: 'n1' }]);
    expect(parseFieldSelector('=x').requirements).toEqual([{ field: '', op: '=', value: 'x' }]);
    expect(parseFieldSelector('a!b=c').requirements).toEqual([{ field: 'a!b', op: '=', value: 'c' }]);
  });

  it("says what each kind's field-label conversion says of a label it does not take", () => {
    expect(unsupportedFieldLabel('pods', 'foo')).toBe('field label not supported: foo');
    expect(unsupportedFieldLabel('jobs', 'foo')).toBe('field label "foo" not supported for Job');
    expect(unsupportedFieldLabel('configmaps', 'status.phase')).toBe('"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(unsupportedFieldLabel('deployments', 'spec.replicas')).toBe('"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
    expect(() => checkFieldSelector('serviceaccounts', parseFieldSelector('secrets=x'))).toThrow('"secrets" is not a known field selector');
    // the default conversion takes metadata.namespace of cluster-scoped kinds too; Node's and CSR's do not
    expect(() => checkFieldSelector('persistentvolumes', parseFieldSelector('metadata.namespace='))).not.toThrow();
    expect(() => checkFieldSelector('nodes', parseFieldSelector('metadata.namespace='))).toThrow('field label not supported: metadata.namespace');
    expect(() => checkFieldSelector('certificatesigningrequests', parseFieldSelector('spec.signerName=x'))).not.toThrow();
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
    // the scheduler's events.k8s.io-style event: source is its reportingController
    expect(fieldsOf('events', { metadata: { name: 'e', namespace: 'ns' }, source: {}, reportingComponent: 'default-scheduler', reportingInstance: 'default-scheduler-vm' } as never).source).toBe('default-scheduler');
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
