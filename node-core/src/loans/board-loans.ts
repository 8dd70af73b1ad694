// Loans as replicated board records (issue 13): the schemas of the three loan commands (checked before
// the log) and applyLoan, which the board runs on every replica. Pure and deterministic (only the
// entry's time); a refusal changes nothing. Pure TS: the renderer's demo mode bundles the board.
import { z } from 'zod';
import { ErrorCode } from '../errors.js';
import type { ErrorValue } from '../errors.js';
import { MAX_ACTIVE_LOANS, MAX_ENDED_LOANS, type Loan, type LoanCommand, type LoanEndReason, type LoansData } from './types.js';

/** the board's ApplyResult (restated: board/types.ts imports this file's types) */
type ApplyResult = { ok: true; value?: unknown } | { ok: false; error: ErrorValue };

/** Named limits of what a loan command carries. */
export const LoanLimits = {
  idLen: 200,
  clusterIdLen: 64,
  masterIdLen: 64,
  addressLen: 64,
  workerNameLen: 100,
  /** shortest and longest lease a start or a renewal may ask for */
  minLeaseMs: 1000,
  maxLeaseMs: 24 * 3600 * 1000,
} as const;

export const LOAN_COMMAND_TYPES = ['loan-start', 'loan-renew', 'loan-end'] as const;
export const LOAN_END_REASONS = ['returned', 'recalled', 'expired', 'lost', 'refused'] as const satisfies readonly LoanEndReason[];

/** ids (loan, worker, master, cluster): letters, digits and . _ : @ - */
const SAFE_ID = /^[A-Za-z0-9._:@-]+$/;
/** an IPv4/IPv6 literal or a host name, no port: IP-ish */
const ADDRESS = /^[A-Za-z0-9.:%_-]+$/;

const idSchema = z.string().min(1).max(LoanLimits.idLen).regex(SAFE_ID, 'letters, digits and . _ : @ - only');
const shortId = (max: number) => z.string().min(1).max(max).regex(SAFE_ID, 'letters, digits and . _ : @ - only');
export const leaseMsSchema = z.number().int().min(LoanLimits.minLeaseMs).max(LoanLimits.maxLeaseMs);
export const loanEndReasonSchema = z.enum(LOAN_END_REASONS);

export const loanPeerSchema = z.strictObject({
  clusterId: shortId(LoanLimits.clusterIdLen).nullable(),
  masterId: shortId(LoanLimits.masterIdLen).nullable(),
  address: z.string().min(1).max(LoanLimits.addressLen).regex(ADDRESS, 'an IP address or host name without a port'),
  loanPort: z.number().int().min(1).max(65535),
  peerboard: z.boolean(),
});

export const loanCommandSchemas = [
  z.strictObject({
    type: z.literal('loan-start'),
    loan: z.strictObject({
      id: idSchema,
      direction: z.enum(['out', 'in']),
      workerId: idSchema,
      workerName: z
        .string()
        .min(1)
        .max(LoanLimits.workerNameLen)
        .regex(/^[^\p{Cc}]+$/u, 'no control characters')
        .nullable(),
      peer: loanPeerSchema,
      leaseMs: leaseMsSchema,
    }),
  }),
  z.strictObject({ type: z.literal('loan-renew'), id: idSchema, leaseMs: leaseMsSchema }),
  z.strictObject({ type: z.literal('loan-end'), id: idSchema, reason: loanEndReasonSchema }),
] as const;

/** one schema of the three, for callers outside the board (the loan manager checks before it proposes) */
export const loanCommandSchema = z.discriminatedUnion('type', [...loanCommandSchemas]);

// the schemas produce exactly the shared contract's command type
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesContract: Same<z.infer<typeof loanCommandSchema>, LoanCommand> = true;
void schemaMatchesContract;

/** What each loan command answers with when it applies (ApplyResult.value). */
export interface LoanCommandValues {
  'loan-start': { loan: Loan };
  'loan-renew': { loan: Loan; previousUntil: number };
  /** changed false: the loan had ended already (both sides may end it; not an error) */
  'loan-end': { loan: Loan; changed: boolean };
}

export function emptyLoans(): LoansData {
  return { active: new Map(), ended: [] };
}

const ok = (value: unknown): ApplyResult => ({ ok: true, value });
const fail = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): ApplyResult => ({ ok: false, error: { code, message, details } });

/** the loan whose id is `id`, active or ended (ended: the newest with that id) */
export function findLoan(data: Readonly<LoansData>, id: string): Loan | undefined {
  const a = data.active.get(id);
  if (a) return a;
  for (let i = data.ended.length - 1; i >= 0; i--) if (data.ended[i]!.id === id) return data.ended[i];
  return undefined;
}

/**
 * Applies a validated loan command at the entry's time (ms). loan-start refuses an id in use, a second
 * active loan of one worker in one direction and the 257th active loan; loan-renew never moves a lease
 * backwards; loan-end of an ended loan is a no-op success (changed: false).
 */
export function applyLoan(data: LoansData, cmd: LoanCommand, at: number): ApplyResult {
  switch (cmd.type) {
    case 'loan-start': {
      const l = cmd.loan;
      if (findLoan(data, l.id)) return fail(ErrorCode.Conflict, `loan ${l.id} exists already`, { loanId: l.id });
      for (const a of data.active.values()) {
        if (a.workerId === l.workerId && a.direction === l.direction) {
          const what = l.direction === 'out' ? 'lent' : 'borrowed';
          return fail(ErrorCode.Conflict, `worker ${l.workerId} is ${what} already (loan ${a.id}); end that loan first`, { loanId: a.id, workerId: l.workerId });
        }
      }
      if (data.active.size >= MAX_ACTIVE_LOANS) {
        return fail(ErrorCode.Conflict, `the board holds ${MAX_ACTIVE_LOANS} active loans already; end some first`, { active: data.active.size });
      }
      const loan: Loan = {
        id: l.id,
        direction: l.direction,
        workerId: l.workerId,
        workerName: l.workerName,
        peer: { ...l.peer },
        since: at,
        until: at + l.leaseMs,
        state: 'active',
        endedAt: null,
        endReason: null,
      };
      data.active.set(loan.id, loan);
      return ok({ loan: structuredClone(loan) });
    }
    case 'loan-renew': {
      const loan = data.active.get(cmd.id);
      if (!loan) return notActive(data, cmd.id, 'renewed');
      const previousUntil = loan.until;
      loan.until = Math.max(loan.until, at + cmd.leaseMs);
      return ok({ loan: structuredClone(loan), previousUntil });
    }
    case 'loan-end': {
      const loan = data.active.get(cmd.id);
      if (!loan) {
        const ended = findLoan(data, cmd.id);
        if (ended) return ok({ loan: structuredClone(ended), changed: false });
        return fail(ErrorCode.NotFound, `no loan with id ${cmd.id}`, { loanId: cmd.id });
      }
      data.active.delete(cmd.id);
      loan.state = 'ended';
      loan.endedAt = at;
      loan.endReason = cmd.reason;
      data.ended.push(loan);
      if (data.ended.length > MAX_ENDED_LOANS) data.ended.splice(0, data.ended.length - MAX_ENDED_LOANS);
      return ok({ loan: structuredClone(loan), changed: true });
    }
  }
}

function notActive(data: LoansData, id: string, verb: string): ApplyResult {
  const ended = findLoan(data, id);
  if (ended) return fail(ErrorCode.Conflict, `loan ${id} ended (${ended.endReason ?? 'ended'}) and cannot be ${verb}`, { loanId: id, endReason: ended.endReason });
  return fail(ErrorCode.NotFound, `no active loan with id ${id}`, { loanId: id });
}
