// Worker loans' routes (issue 13): GET /api/loans (the farm's LoansView: read token), POST
// /api/loans/:id/recall (lender: an `out` loan) and POST /api/loans/:id/return (borrower: an `in` loan),
// both admin. Only the master negotiates: a follower answers NOT_LEADER naming the master.
import type { FastifyInstance } from 'fastify';
import { ErrorCode, PeerboardError } from '../errors.js';
import { endLoanAt, requireLoans, type LoanAction } from '../loans/loans-edge.js';
import { Access, requireAccess } from './auth.js';
import { type RouteContext, actorOf } from './context.js';
import { requireLeader } from './routes-registry.js';

export function registerLoanRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const admin = { onRequest: requireAccess(node.config, Access.admin) };

  app.get('/api/loans', read, async () => ({ success: true, loans: requireLoans(node.loans).view() }));

  const end = (action: LoanAction) => async (request: Parameters<typeof actorOf>[1]) => {
    const control = requireLoans(node.loans);
    const id = (request.params as { id?: unknown }).id;
    const by = actorOf(ctx, request);
    try {
      const done = await endLoanAt(control, action, id, by);
      ctx.logger.info({ id: done.id, action, by }, `loan ${action} requested over HTTP`);
      return { success: true, id: done.id };
    } catch (err) {
      // as seed 001's write routes do on a follower: 403 NOT_LEADER with the master's address
      if (err instanceof PeerboardError && err.code === ErrorCode.NotLeader) requireLeader(node);
      throw err;
    }
  };
  app.post('/api/loans/:id/recall', admin, end('recall'));
  app.post('/api/loans/:id/return', admin, end('return'));
}
