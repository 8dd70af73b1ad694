// Property-based fuzzing of the codec, with and without a cluster key, at a small size
// (bench/fuzz.ts runs the same properties for much longer: npm run fuzz).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { codecProperties, deepNestingProperty } from './codec-properties.js';

describe('Codec fuzz', () => {
  for (const { name, property } of codecProperties()) {
    it(name, () => fc.assert(property, { numRuns: 200, interruptAfterTimeLimit: 5000 }));
  }

  // Issue 9, item 1: decode accepted a command nested ~5,000 deep that JSON.stringify then could not
  // serialise (this was it.fails until the codec bounded depth at MAX_MESSAGE_DEPTH)
  const deep = deepNestingProperty();
  it(deep.name, () => fc.assert(deep.property, { numRuns: 20 }));
});
