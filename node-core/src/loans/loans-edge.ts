// What every edge (HTTP routes, IPC handlers, the demo fake) does with a node's loans before it reaches
// the LoansControl: the loan id checked (length, charset), the direction checked (recall: an `out`
// loan, return: an `in` one), and one clear error when the node runs without loans.
import { z } from 'zod';
import { BadRequestError, ErrorCode, NotFoundError, PeerboardError } from '../errors.js';
import type { LoansControl, LoansView } from './types.js';

/** a loan id is `${lenderMaster}:${workerId}:${sinceMs}`: node ids are letters, digits and . _ : - */
export const LOAN_ID_MAX = 200;
/** (not "." or "..": a client would resolve them as path segments and reach another route) */
export const LOAN_ID_PATTERN = /^(?!\.+$)[A-Za-z0-9._:@-]+$/;
export const loanIdSchema = z
  .string()
  .min(1, 'a loan id: 1 to 200 characters')
  .max(LOAN_ID_MAX, `a loan id is at most ${LOAN_ID_MAX} characters`)
  .regex(LOAN_ID_PATTERN, 'a loan id: letters, digits and . _ : @ - only (not dots alone)');

export type LoanAction = 'recall' | 'return';

/** the node's LoansControl, or SERVICE_UNAVAILABLE saying why there is none */
export function requireLoans(control: LoansControl | undefined | null): LoansControl {
  if (!control) throw new PeerboardError(ErrorCode.Unavailable, 'this node runs without worker loans (started with loans off, or an older node): nothing to list or change');
  return control;
}

/** the id, or BAD_REQUEST naming what is wrong with it (the id itself is never echoed whole) */
export function checkLoanId(id: unknown): string {
  const r = loanIdSchema.safeParse(id);
  if (!r.success) throw new BadRequestError(`bad loan id: ${r.error.issues[0]?.message ?? 'invalid'}`, { field: 'id' });
  return r.data;
}

/**
 * Recalls (lender, an `out` loan) or returns (borrower, an `in` loan) one active loan. An unknown or
 * ended id is NOT_FOUND, the wrong direction BAD_REQUEST; the control's own refusals (NOT_LEADER on
 * a node that is not the master) pass through.
 */
export async function endLoanAt(control: LoansControl, action: LoanAction, rawId: unknown, by: string): Promise<{ id: string }> {
  const id = checkLoanId(rawId);
  const view: LoansView = control.view();
  const loan = view.active.find((l) => l.id === id);
  if (!loan) {
    const ended = view.recent.find((l) => l.id === id);
    if (ended) throw new NotFoundError(`loan ${id} already ended (${ended.endReason ?? 'ended'}): nothing to ${action}`, { id });
    throw new NotFoundError(`no active loan ${id}; \`peerboard loans\` lists them`, { id });
  }
  if (action === 'recall' && loan.direction !== 'out') {
    throw new BadRequestError(`loan ${id} is a borrowed worker (direction in): this farm returns it (return), only its lender recalls it`, { id, direction: loan.direction });
  }
  if (action === 'return' && loan.direction !== 'in') {
    throw new BadRequestError(`loan ${id} is a worker this farm lent (direction out): recall it; only the borrower returns it`, { id, direction: loan.direction });
  }
  if (action === 'recall') await control.recall(id, by);
  else await control.giveBack(id, by);
  return { id };
}
