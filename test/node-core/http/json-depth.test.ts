// jsonDepth and boundedJson (schemas.ts): nesting counted without recursion, even 200,000 levels.
import { describe, expect, it } from 'vitest';
import { boundedJson, jsonDepth } from '../../../node-core/src/http/schemas.js';

function deep(levels: number, arrays = false): unknown {
  let v: unknown = arrays ? [] : {};
  for (let i = 1; i < levels; i++) v = arrays ? [v] : { a: v };
  return v;
}

describe('jsonDepth', () => {
  it('counts objects and arrays, scalars are 0', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth(null)).toBe(0);
    expect(jsonDepth('x')).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: 1, b: [1, { c: [] }] })).toBe(4);
    expect(jsonDepth(deep(17))).toBe(17);
    expect(jsonDepth(deep(17, true))).toBe(17);
  });
  it('handles 200,000 levels without overflowing the stack, and stops early when asked', () => {
    const v = deep(200_000);
    expect(jsonDepth(v)).toBe(200_000);
    expect(jsonDepth(v, 16)).toBe(17);
  });
  it('boundedJson refuses too deep and too big, accepts the rest', () => {
    const s = boundedJson(16, 100);
    expect(s.safeParse(deep(16)).success).toBe(true);
    expect(s.safeParse(deep(17)).error?.issues[0]?.message).toMatch(/nested deeper than 16 levels/);
    expect(s.safeParse({ x: 'y'.repeat(200) }).error?.issues[0]?.message).toMatch(/more than 100/);
    expect(s.safeParse([1]).success).toBe(false);
  });
});
