import { describe, expect, it } from 'vitest';
import { CelCompileError, CelCostError, CelEvalError } from './errors.js';
import { compile } from './program.js';
import { CelMap, CelUint, display, markUnordered, type CelValue } from './values.js';

/** The result of `src` as a display string (`error: <message>` for runtime errors). */
function run(src: string, vars: Record<string, CelValue> = {}): string {
  const p = compile(src, { variables: Object.keys(vars) });
  try {
    const { value } = p.evaluate(vars);
    return typeof value === 'string' ? JSON.stringify(value) : display(value);
  } catch (e) {
    if (e instanceof CelEvalError) return `error: ${e.message}`;
    throw e;
  }
}

const table = (cases: [string, string][], vars?: Record<string, CelValue>) => {
  for (const [src, want] of cases) expect([src, run(src, vars)]).toEqual([src, want]);
};

describe('CEL literals and precedence', () => {
  it('parses literals of every type', () => {
    table([
      ['1', '1'],
      ['-9223372036854775808', '-9223372036854775808'],
      ['0x1F', '31'],
      ['42u', '42u'],
      ['1.5', '1.5'],
      ['.5e1', '5'],
      ['"a\\tb"', '"a\\tb"'],
      ["'it\\'s'", '"it\'s"'],
      ["r'\\d+'", '"\\\\d+"'],
      ['"""two\nlines"""', '"two\\nlines"'],
      ["'\\u00e9\\x41\\101'", '"éAA"'],
      ["size(b'\\xff\\x00')", '2'],
      ["size(b'é')", '2'],
      ['true', 'true'],
      ['null', 'null'],
      ['[1, 2, 3,]', '[1, 2, 3]'],
      ["{'a': 1}['a']", '1'],
    ]);
  });

  it('applies CEL precedence and associativity', () => {
    table([
      ['1 + 2 * 3', '7'],
      ['(1 + 2) * 3', '9'],
      ['10 - 4 - 3', '3'],
      ['7 / 2 * 2', '6'],
      ['-7 % 3', '-1'],
      ['!true || true', 'true'],
      ['true || false && false', 'true'],
      ['1 < 2 == true', 'true'],
      ['true ? 1 : false ? 2 : 3', '1'],
      ['false ? 1 : false ? 2 : 3', '3'],
      ['!!true', 'true'],
      ['--1', '1'],
      ['1 in [1, 2] && "a" in {"a": 1}', 'true'],
    ]);
  });

  it('reports parse errors with their position, as cel-go does', () => {
    expect(() => compile('self.x ==', { variables: ['self'] })).toThrow(CelCompileError);
    expect(() => compile('self.x ==', { variables: ['self'] })).toThrow(/^ERROR: <input>:1:10: Syntax error: mismatched input '<EOF>'/);
    expect(() => compile('1 +\n  )', { variables: [] })).toThrow(/^ERROR: <input>:2:3: Syntax error/);
    expect(() => compile("'abc", { variables: [] })).toThrow(/1:1: Syntax error: unterminated string literal/);
    expect(() => compile('a # b', { variables: [] })).toThrow(/1:3: Syntax error: token recognition error at: '#'/);
    expect(() => compile('9223372036854775808', { variables: [] })).toThrow(/invalid int literal/);
    expect(() => compile('has(self)', { variables: ['self'] })).toThrow(/invalid argument to has\(\) macro/);
    expect(() => compile('('.repeat(300) + '1' + ')'.repeat(300), { variables: [] })).toThrow(/recursion limit exceeded/);
  });

  it('refuses undeclared references and functions at compile time', () => {
    expect(() => compile('foo == 1', { variables: ['self'] })).toThrow("ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo == 1\n | ^");
    expect(() => compile('self.frobnicate()', { variables: ['self'] })).toThrow(/undeclared reference to 'frobnicate'/);
    expect(() => compile('frob(self)', { variables: ['self'] })).toThrow(/undeclared reference to 'frob'/);
    expect(() => compile('self + 1', { variables: ['self'], expectBool: true })).toThrow(/must evaluate to a bool/);
    expect(() => compile('self.all(x, x > 0)', { variables: ['self'], expectBool: true })).not.toThrow();
    expect(compile('self.a == oldSelf.a', { variables: ['self', 'oldSelf'] }).references).toEqual(new Set(['self', 'oldSelf']));
  });

  it('checks fields against the declared type', () => {
    const resolveField = (_v: string, path: string[]) => (path.includes('nope') ? `undefined field 'nope'` : undefined);
    expect(() => compile('self.spec.nope > 1', { variables: ['self'], resolveField })).toThrow(/1:10: undefined field 'nope'/);
    expect(() => compile('has(self.nope)', { variables: ['self'], resolveField })).toThrow(/undefined field 'nope'/);
    expect(() => compile('self.items.all(i, i.nope)', { variables: ['self'], resolveField })).not.toThrow();
  });
});

describe('CEL errors and logic', () => {
  const self = new CelMap();
  self.set('a', 1n);
  it('absorbs errors in && and || commutatively', () => {
    table(
      [
        ['self.missing == 1 || true', 'true'],
        ['true || self.missing == 1', 'true'],
        ['self.missing == 1 && false', 'false'],
        ['false && self.missing == 1', 'false'],
        ['self.missing == 1 && true', 'error: no such key: missing'],
        ['self.missing == 1 || false', 'error: no such key: missing'],
        ['[0, 1].all(x, 1 / x > 1)', 'false'],
        ['[1, 0].all(x, 1 / x > 0)', 'error: division by zero'],
        ['[0, 1].exists(x, 1 / x > 0)', 'true'],
        ['[0].exists(x, 1 / x > 0)', 'error: division by zero'],
        ['self["missing"]', 'error: no such key: missing'],
        ['[1][1]', 'error: index out of bounds: 1'],
        ['!self.a', 'error: no such overload'],
        ['1 + 1.0', 'error: no such overload'],
        ['self.a ? 1 : 2', 'error: no such overload'],
      ],
      { self },
    );
  });

  it('checks int64 and uint64 overflow', () => {
    table([
      ['9223372036854775807 + 1', 'error: integer overflow'],
      ['-9223372036854775808 - 1', 'error: integer overflow'],
      ['-(-9223372036854775808)', 'error: integer overflow'],
      ['4611686018427387904 * 2', 'error: integer overflow'],
      ['-9223372036854775808 / -1', 'error: integer overflow'],
      ['1 / 0', 'error: division by zero'],
      ['1 % 0', 'error: modulus by zero'],
      ['0u - 1u', 'error: integer overflow'],
      ['18446744073709551615u + 1u', 'error: integer overflow'],
      ['1.0 / 0.0', '+Inf'],
      ['int(9.3e18)', 'error: integer overflow'],
      ['uint(-1)', 'error: integer overflow'],
      ['int(18446744073709551615u)', 'error: integer overflow'],
    ]);
  });

  it('compares int, uint and double with each other', () => {
    table([
      ['1 == 1u', 'true'],
      ['1 == 1.0', 'true'],
      ['1u < 2.5', 'true'],
      ['-1 < 0u', 'true'],
      ['2 > 1.5', 'true'],
      ['9007199254740993 > 9007199254740992.0', 'true'],
      ['1 == "1"', 'false'],
      ['[1, 2] == [1.0, 2u]', 'true'],
      ["{'a': 1} == {'a': 1.0}", 'true'],
      ['null == null', 'true'],
      ['0.0/0.0 == 0.0/0.0', 'false'],
      ['"a" < "b"', 'true'],
      ["b'a' < b'b'", 'true'],
      ['false < true', 'true'],
      ['1 < "a"', 'error: no such overload'],
      ['2 in [1.0, 2.0]', 'true'],
      ['{1: "a"}[1u]', '"a"'],
    ]);
  });
});

describe('CEL macros', () => {
  const self = new CelMap();
  self.set('items', [1n, 2n, 3n]);
  const m = new CelMap();
  m.set('x', 1n);
  m.set('y', 2n);
  self.set('m', m);
  it('expands all, exists, exists_one, map, filter and has', () => {
    table(
      [
        ['self.items.all(i, i > 0)', 'true'],
        ['self.items.all(i, i > 1)', 'false'],
        ['self.items.exists(i, i == 2)', 'true'],
        ['self.items.exists_one(i, i > 1)', 'false'],
        ['self.items.existsOne(i, i == 1)', 'true'],
        ['self.items.map(i, i * 2)', '[2, 4, 6]'],
        ['self.items.map(i, i > 1, i * 10)', '[20, 30]'],
        ['self.items.filter(i, i % 2 == 1)', '[1, 3]'],
        ['self.m.all(k, self.m[k] > 0)', 'true'],
        ['self.m.map(k, k)', '[x, y]'],
        ['has(self.items)', 'true'],
        ['has(self.nope)', 'false'],
        ['has(self.m.x)', 'true'],
        ['cel.bind(n, size(self.items), n * n)', '9'],
        ['[[1], [2, 3]].all(l, l.all(x, x > 0))', 'true'],
        ['[].all(x, false)', 'true'],
        ['[].exists(x, true)', 'false'],
      ],
      { self },
    );
  });

  it('stops a runaway rule with the step budget', () => {
    const p = compile('[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a + b + c + d > 0))))', { variables: [] });
    expect(p.evaluate({}).value).toBe(true);
    expect(() => p.evaluate({}, 10_000)).toThrow(CelCostError);
  });
});

describe('CEL functions', () => {
  it('has the string functions', () => {
    table([
      ['size("héllo")', '5'],
      ['"héllo".size()', '5'],
      ['"abc".contains("b")', 'true'],
      ['"abc".startsWith("ab") && "abc".endsWith("bc")', 'true'],
      ['"abc-123".matches("^[a-z]+-\\\\d+$")', 'true'],
      ['matches("abc", "b")', 'true'],
      ['"ABC".matches("(?i)^abc$")', 'true'],
      ['"Foo.Bar".matches("^(?i)\\\\.?[a-z_][a-z_0-9]*(\\\\.[a-z_][a-z_0-9]*)*$")', 'true'],
      ['"xAb".matches("x(?i:ab)")', 'true'],
      ['"ab".matches("(?P<first>a)b\\\\z")', 'true'],
      ['"a]b".matches("[\\\\]]")', 'true'],
      ['"MiXeD".lowerAscii() + "MiXeD".upperAscii()', '"mixedMIXED"'],
      ['"  x  ".trim()', '"x"'],
      ['"a,b,c".split(",")', '[a, b, c]'],
      ['"a,b,c".split(",", 2)', '[a, b,c]'],
      ['["a", "b"].join("-")', '"a-b"'],
      ['["a", "b"].join()', '"ab"'],
      ['"aaa".replace("a", "b", 2)', '"bba"'],
      ['"héllo".indexOf("l")', '2'],
      ['"hello".lastIndexOf("l")', '3'],
      ['"hello".indexOf("z")', '-1'],
      ['"hello".substring(1, 3)', '"el"'],
      ['"hello".substring(3)', '"lo"'],
      ['"hello".substring(4, 2)', 'error: invalid substring range. start: 4, end: 2'],
      ['"hello".charAt(1)', '"e"'],
      ['"hello".charAt(5)', '""'],
      ['"hello".charAt(6)', 'error: index out of range: 6'],
      ['"abc".reverse()', '"cba"'],
      ['"a1b22".findAll("[0-9]+")', '[1, 22]'],
      ['"a1b22".find("[0-9]+")', '"1"'],
      ['"x".matches("(")', 'error: error parsing regexp: missing closing ): `(`'],
    ]);
  });

  it('converts between types', () => {
    table([
      ['int("42") + int(3.9) + int(2u)', '47'],
      ['int("x")', 'error: strconv.ParseInt: parsing "x": invalid syntax'],
      ['uint(3)', '3u'],
      ['double("1.5") + double(1)', '2.5'],
      ['string(1) + string(2u) + string(1.5) + string(true)', '"121.5true"'],
      ["string(b'abc')", '"abc"'],
      ['bool("true") && !bool("false")', 'true'],
      ['type(1) == int && type("a") == string && type([]) == list && type({}) == map', 'true'],
      ['type(1u) == uint && type(1.0) == double && type(null) == null_type && type(true) == bool', 'true'],
      ['type(type(1)) == type', 'true'],
      ['dyn(1) == 1', 'true'],
      ['string(duration("1h30m"))', '"5400s"'],
      ['string(timestamp("2024-01-02T03:04:05.5+01:00"))', '"2024-01-02T02:04:05.5Z"'],
      ['int(timestamp("1970-01-01T00:01:00Z"))', '60'],
    ]);
  });

  it('does timestamp and duration arithmetic', () => {
    table([
      ['timestamp("2024-01-01T00:00:00Z") + duration("24h") == timestamp("2024-01-02T00:00:00Z")', 'true'],
      ['timestamp("2024-01-02T00:00:00Z") - timestamp("2024-01-01T00:00:00Z") == duration("24h")', 'true'],
      ['timestamp("2024-01-01T00:00:00Z") < timestamp("2024-01-01T00:00:01Z")', 'true'],
      ['duration("1m") > duration("59s")', 'true'],
      ['duration("1.5s") + duration("500ms") == duration("2s")', 'true'],
      ['string(duration("-1.5h"))', '"-5400s"'],
      ['duration("1x")', 'error: duration parse error: time: invalid duration "1x"'],
      ['timestamp("2024-02-30T00:00:00Z")', 'error: timestamp parse error: cannot parse "2024-02-30T00:00:00Z" as RFC 3339'],
      ['timestamp("9999-12-31T23:59:59Z") + duration("1s")', 'error: timestamp out of range'],
      ['timestamp("2024-03-05T06:07:08.009Z").getFullYear()', '2024'],
      ['timestamp("2024-03-05T06:07:08.009Z").getMonth()', '2'],
      ['timestamp("2024-03-05T06:07:08.009Z").getDate()', '5'],
      ['timestamp("2024-03-05T06:07:08.009Z").getDayOfMonth()', '4'],
      ['timestamp("2024-03-05T06:07:08.009Z").getDayOfWeek()', '2'],
      ['timestamp("2024-03-05T06:07:08.009Z").getDayOfYear()', '64'],
      ['timestamp("2024-03-05T06:07:08.009Z").getHours("+02:00")', '8'],
      ['timestamp("2024-03-05T23:07:08Z").getDate("Asia/Tokyo")', '6'],
      ['timestamp("2024-03-05T06:07:08.009Z").getMilliseconds()', '9'],
      ['duration("90m").getHours()', '1'],
      ['duration("90m").getMinutes()', '90'],
    ]);
  });

  it('has the Kubernetes list, set, quantity and url libraries', () => {
    table([
      ['[1, 2, 2, 3].isSorted() && !["b", "a"].isSorted()', 'true'],
      ['[1, 2, 3].sum()', '6'],
      ['[1.5, 2.5].sum()', '4'],
      ['[].sum()', '0'],
      ['[3, 1, 2].min()', '1'],
      ['[3, 1, 2].max()', '3'],
      ['[].min()', 'error: min called on empty list'],
      ['[1, 2, 1].indexOf(1)', '0'],
      ['[1, 2, 1].lastIndexOf(1)', '2'],
      ['sets.contains([1, 2, 3], [1, 3])', 'true'],
      ['sets.intersects([1, 2], [3])', 'false'],
      ['sets.equivalent([1, 2, 2], [2, 1])', 'true'],
      ['quantity("1Gi").isGreaterThan(quantity("1G"))', 'true'],
      ['quantity("500m").isLessThan(quantity("1"))', 'true'],
      ['quantity("1k").compareTo(quantity("1000"))', '0'],
      ['quantity("2Ki").asInteger()', '2048'],
      ['quantity("1.5").isInteger()', 'false'],
      ['quantity("1.5").asApproximateFloat()', '1.5'],
      ['quantity("1").add(quantity("500m")) == quantity("1500m")', 'true'],
      ['isQuantity("1x") || isQuantity("1Mi")', 'true'],
      ['quantity("abc")', "error: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
      ['url("https://example.com:8443/a/b?x=1").getHost()', '"example.com:8443"'],
      ['url("https://example.com:8443/a").getPort()', '"8443"'],
      ['url("https://example.com/a").getScheme()', '"https"'],
      ['url("/path").getEscapedPath()', '"/path"'],
      ['isURL("not a url")', 'false'],
      ['strings.quote("a\\nb")', '"\\"a\\\\nb\\""'],
      ['[1, 2].map(x, x).size()', '2'],
      ['{"a": 1}.size()', '1'],
    ]);
  });

  it('has the Kubernetes ip, cidr and named format libraries', () => {
    table([
      ['isIP("10.0.0.1") && isIP("fe80::1") && !isIP("010.0.0.1") && !isIP("::ffff:1.2.3.4") && !isIP("fe80::1%eth0")', 'true'],
      ['ip("10.0.0.1").family() == 4 && ip("::1").family() == 6', 'true'],
      ['ip("127.0.0.2").isLoopback() && ip("::1").isLoopback() && ip("0.0.0.0").isUnspecified()', 'true'],
      ['ip("169.254.1.1").isLinkLocalUnicast() && ip("fe80::1").isLinkLocalUnicast() && ip("224.0.0.1").isLinkLocalMulticast() && ip("ff02::1").isLinkLocalMulticast()', 'true'],
      ['ip("8.8.8.8").isGlobalUnicast() && !ip("255.255.255.255").isGlobalUnicast() && !ip("224.1.1.1").isGlobalUnicast()', 'true'],
      ['string(ip("2001:DB8:0:0:1:0:0:1"))', '"2001:db8::1:0:0:1"'],
      ['ip.isCanonical("2001:db8::1") && !ip.isCanonical("2001:DB8::1") && ip("::1.2.3.4") == ip("::102:304")', 'true'],
      ['ip("300.1.1.1")', 'error: IP Address "300.1.1.1" parse error during conversion from string: ParseAddr("300.1.1.1"): invalid IP address'],
      ['cidr("10.0.0.0/8").containsIP("10.1.2.3") && !cidr("10.0.0.0/8").containsIP(ip("11.0.0.1")) && !cidr("10.0.0.0/8").containsIP("::1")', 'true'],
      ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16") && !cidr("10.1.0.0/16").containsCIDR("10.0.0.0/8")', 'true'],
      ['string(cidr("10.1.2.3/8").masked()) + " " + string(cidr("10.1.2.3/8").ip()) + " " + string(cidr("2001:db8::/32").prefixLength())', '"10.0.0.0/8 10.1.2.3 32"'],
      ['isCIDR("10.0.0.0/33") || isCIDR("10.0.0.0")', 'false'],
      ['[ip("10.0.0.1"), ip("::1")].map(ip, ip.family())', '[4, 6]'],
      ['!format.dns1123Label().validate("my-name").hasValue() && format.dns1123Label().validate("My_Name").hasValue()', 'true'],
      ['format.dns1123Label().validate("-x").value()[0]', `"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"`],
      ['!format.dns1123LabelPrefix().validate("web-").hasValue() && format.dns1123Label().validate("web-").hasValue()', 'true'],
      ['format.named("uuid").value().validate("123e4567-e89b-12d3-a456-426614174000").hasValue()', 'false'],
      ['format.named("nope").hasValue()', 'false'],
    ]);
  });

  it('formats strings as cel-go does', () => {
    table([
      ['"%s has %d items (%.2f%%)".format(["list", 3, 12.345])', '"list has 3 items (12.35%)"'],
      ['"%s".format([[1, 2]])', '"[1, 2]"'],
      ['"%x %X %o %b".format([255, "hi", 8, 5])', '"ff 6869 10 101"'],
      ['"%e".format([1234.5])', '"1.234500e+03"'],
      ['"%d".format(["x"])', 'error: error during formatting: integer clause can only be used on integers, was given string'],
      ['"%s %s".format(["a"])', 'error: index 1 out of range'],
    ]);
  });

  it('has optional values: a.?b, a[?k], optional.of/none, hasValue, value, orValue, or', () => {
    const self = new CelMap();
    self.set('a', 1n);
    table(
      [
        ['self.?a.hasValue()', 'true'],
        ['self.?b.hasValue()', 'false'],
        ['self.?b.orValue(5)', '5'],
        ['self.?a.value()', '1'],
        ['self.?b.value()', 'error: optional.none() dereference'],
        ['self[?"a"].orValue(0) + 1', '2'],
        ['[1, 2][?5].hasValue()', 'false'],
        ['optional.none().or(optional.of(3)).value()', '3'],
        ['optional.ofNonZeroValue("").hasValue()', 'false'],
        ['self.?b.c.hasValue()', 'false'],
        ['optional.of(1) == optional.of(1.0) && optional.none() == optional.none()', 'true'],
        ['type(optional.none()) == optional_type', 'true'],
      ],
      { self },
    );
  });

  it('compares set and map lists regardless of order', () => {
    const set = markUnordered([1n, 2n, 3n], 'set');
    const item = (n: string, p: bigint) => {
      const m = new CelMap();
      m.set('name', n);
      m.set('port', p);
      return m;
    };
    const ports = markUnordered([item('a', 1n), item('b', 2n)], 'map', ['name']);
    table(
      [
        ['set == [3, 1, 2]', 'true'],
        ['set == [3, 1, 4]', 'false'],
        ['ports == [{"name": "b", "port": 2}, {"name": "a", "port": 1}]', 'true'],
        ['ports == [{"name": "b", "port": 3}, {"name": "a", "port": 1}]', 'false'],
        ['[1, 2] == [2, 1]', 'false'],
        ['(set + [4, 1]).size()', '4'],
        ['set + [4, 1] == [1, 2, 3, 4]', 'true'],
        ['(ports + [{"name": "b", "port": 9}, {"name": "c", "port": 3}]).map(p, p.port)', '[1, 9, 3]'],
        ['[1, 2] + [2]', '[1, 2, 2]'],
      ],
      { set, ports },
    );
    const strs = markUnordered(['x', 'y'], 'set');
    table([['(self + ["y", "z"]).size()', '3']], { self: strs });
  });

  it('reports no such overload for a known function with wrong argument types', () => {
    table([
      ['size(1)', 'error: no such overload'],
      ['"a".contains(1)', 'error: no such overload'],
      ['int([])', 'error: no such overload'],
    ]);
    expect(new CelUint(1n).v).toBe(1n);
  });
});

describe('CEL robustness', () => {
  it('only ever fails with CEL errors, whatever the token soup (no crash becomes a 500)', () => {
    const toks = ['self', '.', 'a', '[', ']', '(', ')', '{', '}', ',', ':', '?', '+', '-', '*', '/', '%', '==', '<', '&&', '||', '!', 'in', '1', '2u', '1.5', '"s"', "b'x'", 'null', 'true', 'size', 'all', 'map', 'x', 'has', 'int', 'string', 'duration', '"1s"', '.?', 'optional', 'matches', '"[a-"', 'format', 'ip', 'quantity', 'cel', 'bind', 'sum', 'join', '"%d"', '[1,2]'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const self = new CelMap();
    self.set('a', 1n);
    let compiled = 0;
    for (let i = 0; i < 20000; i++) {
      const src = Array.from({ length: 1 + rnd(10) }, () => toks[rnd(toks.length)]).join(' ');
      let p;
      try {
        p = compile(src, { variables: ['self'] });
        compiled++;
      } catch (e) {
        expect(e, src).toBeInstanceOf(CelCompileError);
        continue;
      }
      try {
        p.evaluate({ self }, 10_000);
      } catch (e) {
        expect(e instanceof CelEvalError || e instanceof CelCostError, `${src}: ${e}`).toBe(true);
      }
    }
    expect(compiled).toBeGreaterThan(1000);
  });
});
