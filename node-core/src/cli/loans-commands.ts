// CLI commands for worker loans (issue 13): `loans` (the table, or --json), `loans recall <id>` (lender:
// take a lent worker back) and `loans return <id>` (borrower: give one back), over /api/loans.
import type { Command } from 'commander';
import { loanIdSchema } from '../loans/loans-edge.js';
import type { LoansView } from '../loans/types.js';
import { RefusedError, unwrap } from './api-client.js';
import { addCommon, begin, clientOf, emit, userOf, type CliContext, type CommonOpts } from './context.js';
import { renderLoans } from './loans-table.js';
import { UsageError } from './time.js';

/** a loan id as the node accepts it, URL-encoded; anything else is a usage error before any request */
export function loanIdArg(id: string): string {
  const r = loanIdSchema.safeParse(id);
  if (!r.success) throw new UsageError(`bad loan id "${id.length > 60 ? `${id.slice(0, 60)}...` : id}": ${r.error.issues[0]?.message ?? 'invalid'} (see the ID column of \`peerboard loans\`)`);
  return encodeURIComponent(id);
}

function viewOf(body: unknown): LoansView {
  const b = unwrap(body) as Record<string, unknown> | null;
  const v = b && typeof b === 'object' ? (b.loans as LoansView | undefined) : undefined;
  if (!v || typeof v !== 'object' || !Array.isArray(v.active) || !Array.isArray(v.recent) || !Array.isArray(v.neighbours)) {
    throw new RefusedError(200, { success: false, error: 'Bad Answer', message: 'the node sent no loans view; is it a Peerboard node with worker loans?', code: 'BAD_ANSWER', details: {} });
  }
  return v;
}

export function addLoanCommands(program: Command, ctx: CliContext): void {
  const loans = program
    .command('loans')
    .description('worker loans between farms: list (default), recall <id> (lender), return <id> (borrower)')
    .addHelpText('after', '\nA farm lends idle nodes to a saturated neighbouring farm and takes them back; see README "Worker loans".');

  addCommon(loans.command('list', { isDefault: true }).description('loans (direction, worker, farm, since, until, state), then the neighbours and the farm load')).action(
    async (raw: CommonOpts) => {
      const o = begin(ctx, raw);
      const body = await clientOf(ctx, o).get('/api/loans');
      const view = viewOf(body);
      emit(ctx, body, () => renderLoans(view, ctx.now()));
    },
  );

  for (const [action, what] of [
    ['recall', 'take a worker this farm lent back now (admin; on the master)'],
    ['return', 'give a borrowed worker back now (admin; on the master)'],
  ] as const) {
    addCommon(loans.command(`${action} <id>`).description(what), { user: true }).action(async (id: string, raw: CommonOpts) => {
      const o = begin(ctx, raw);
      const path = `/api/loans/${loanIdArg(id)}/${action}`;
      // sent once: a retry after the node took the first would answer NOT_FOUND for a loan that did end
      const body = await clientOf(ctx, o, userOf(ctx, o)).postOnce(path, {});
      emit(ctx, body, () => `${action === 'recall' ? 'recalled' : 'returned'} loan ${id}\n`);
    });
  }
}
