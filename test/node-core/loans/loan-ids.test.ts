// Loan ids from another farm: a Peerboard lender's real ids (`<master uuid>:<worker uuid>:<ms>`, 87
// characters) must be taken as they are, so both boards name the same loan (their heartbeats renew
// leases by id); anything the board could not hold is refused.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { safeId, safeLoanId } from '../../../node-core/src/loans/loan-context.js';

describe('loan ids from the wire', () => {
  it('a real Peerboard loan id is kept whole', () => {
    const id = `${randomUUID()}:${randomUUID()}:${Date.now()}`;
    expect(id.length).toBeGreaterThan(64);
    expect(safeLoanId(id)).toBe(id);
    expect(safeId(id)).toBeNull(); // other ids (cluster, master) stay at 64
  });
  it('ids the board could not hold are refused', () => {
    for (const bad of ['', 'x'.repeat(201), 'a b', 'a/b', '../x', 'é', undefined, null]) expect(safeLoanId(bad as string)).toBeNull();
    expect(safeLoanId('x'.repeat(200))).toBe('x'.repeat(200));
  });
});
