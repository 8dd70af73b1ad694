// Property-based fuzzing of the codec, with and without a cluster key, at a small size
// (bench/fuzz.ts runs the same properties for much longer: npm run fuzz).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { codecProperties, deepNestingProperty } from './codec-properties.js';

describe('Codec fuzz', () => {
  for (const { name, property } of codecProperties()) {
    it(name, () => fc.assert(property, { numRuns: 200, interruptAfterTimeLimit: 5000 }));
  }

  // Known failure, for the lead's codec change (issue 9, item 1): decode accepts a command nested
  // ~5,000 deep that JSON.stringify then cannot serialise. Turn it.fails into it once depth is bounded.
  const deep = deepNestingProperty();
  it.fails(deep.name, () => fc.assert(deep.property, { numRuns: 20 }));
});
