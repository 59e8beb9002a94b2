import { describe, expect, it } from 'vitest';
import { toJson } from './output.js';

describe('tsctl -o json', () => {
  it('escapes <, > and & as kubectl 1.32 -o json does (Go\'s json.MarshalIndent)', () => {
    expect(toJson({ data: { x: 'a<b&c>d' }, apiVersion: 'v1' })).toBe('{\n    "apiVersion": "v1",\n    "data": {\n        "x": "a\\u003cb\\u0026c\\u003ed"\n    }\n}\n');
  });
});
