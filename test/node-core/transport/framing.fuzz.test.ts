// Property-based fuzzing of the frame decoder at a small size (bench/fuzz.ts runs the same
// properties for much longer: npm run fuzz).
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { framingProperties } from './framing-properties.js';

describe('FrameDecoder fuzz', () => {
  for (const { name, property } of framingProperties()) {
    it(name, () => fc.assert(property, { numRuns: 300, interruptAfterTimeLimit: 5000 }));
  }
});
