import { describe, expect, it } from '@jest/globals';
import { bodyShapeProblem, MAX_BODY_DEPTH } from './body-shape.js';

/** `levels` arrays, one inside the other, built without recursion. */
function nested(levels: number): unknown[] {
  const outer: unknown[] = [];
  let inner = outer;
  for (let level = 1; level < levels; level++) {
    const next: unknown[] = [];
    inner.push(next);
    inner = next;
  }
  return outer;
}

describe('bodyShapeProblem', () => {
  it('accepts a field nested exactly MAX_BODY_DEPTH levels deep', () => {
    expect(bodyShapeProblem({ data: nested(MAX_BODY_DEPTH) })).toBeNull();
  });

  it('names the top-level field of a value nested one level deeper', () => {
    expect(bodyShapeProblem({ title: 't', data: { a: nested(MAX_BODY_DEPTH) } })).toBe(
      'data is nested deeper than 32 levels',
    );
  });

  it('stops at once on 100,000 levels without overflowing the stack', () => {
    expect(bodyShapeProblem({ data: nested(100_000) })).toMatch(/^data is nested/);
  });

  it('names "the request body" for a deep array body', () => {
    expect(bodyShapeProblem(nested(40))).toBe('the request body is nested deeper than 32 levels');
  });

  it('names the path of a string with a lone surrogate', () => {
    expect(bodyShapeProblem({ data: { list: ['ok', { 'odd key': 'x\ud800' }] } })).toBe(
      'data.list[1]["odd key"] must be valid Unicode (no lone surrogates)',
    );
  });

  it('names the object holding a key with a lone surrogate, never the key itself', () => {
    expect(bodyShapeProblem({ data: { '\udc00': 1 } })).toBe(
      'a key in data must be valid Unicode (no lone surrogates)',
    );
  });

  it('refuses prototype keys at any depth', () => {
    expect(bodyShapeProblem(JSON.parse('{"data":{"a":[{"__proto__":1}]}}'))).toBe(
      'The key "__proto__" is not allowed anywhere in a request body',
    );
  });

  it('accepts surrogate pairs, U+FFFD and noncharacters', () => {
    expect(bodyShapeProblem({ ['\ud83d\ude00']: ['\ufffd\uffff', '\udbff\udfff'] })).toBeNull();
  });
});
