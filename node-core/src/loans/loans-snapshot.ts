// Loans' part of a board snapshot: to plain JSON and back, with the schema a restore checks first (a
// snapshot may come from another peer). Absent in snapshots from before loans: an empty part.
import { z } from 'zod';
import { emptyLoans, loanEndReasonSchema, loanPeerSchema } from './board-loans.js';
import { MAX_ACTIVE_LOANS, MAX_ENDED_LOANS, type Loan, type LoansData } from './types.js';

/** Loans' part of a board snapshot (plain JSON). */
export interface LoansSnapshot {
  active: Loan[];
  /** oldest first */
  ended: Loan[];
}

const nat = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const loanSchema = z.object({
  id: z.string().min(1).max(200),
  direction: z.enum(['out', 'in']),
  workerId: z.string().min(1).max(200),
  workerName: z.string().max(100).nullable(),
  peer: loanPeerSchema,
  since: nat,
  until: nat,
  state: z.enum(['active', 'ended']),
  endedAt: nat.nullable(),
  endReason: loanEndReasonSchema.nullable(),
});

export const loansSnapshotSchema = z.object({
  active: z.array(loanSchema).max(MAX_ACTIVE_LOANS),
  ended: z.array(loanSchema).max(MAX_ENDED_LOANS),
});

export function loansSnapshot(l: Readonly<LoansData>, copy: <T>(x: T) => T): LoansSnapshot {
  return { active: [...l.active.values()].map(copy), ended: l.ended.map(copy) };
}

/** Rebuilds the data from a checked snapshot (absent: no loans). Throws on an inconsistent one. */
export function restoreLoans(s: LoansSnapshot | undefined): LoansData {
  const d = emptyLoans();
  if (!s) return d;
  for (const loan of structuredClone(s.active)) {
    if (loan.state !== 'active' || loan.endedAt !== null || loan.endReason !== null) throw new Error(`active loan ${loan.id} is marked ended`);
    if (d.active.has(loan.id)) throw new Error(`loan ${loan.id} appears twice`);
    d.active.set(loan.id, loan);
  }
  for (const loan of structuredClone(s.ended)) {
    if (loan.state !== 'ended' || loan.endedAt === null || loan.endReason === null) throw new Error(`ended loan ${loan.id} has no end`);
    if (d.active.has(loan.id)) throw new Error(`loan ${loan.id} is both active and ended`);
    d.ended.push(loan);
  }
  return d;
}
