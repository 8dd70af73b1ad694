// GET /api/cluster/invite: how teammates join this node's team ({clusterId, open, invite, peers}).
// Admin only, since the invite carries the team key (with no tokens: loopback only, as every route).
import type { FastifyInstance } from 'fastify';
import { nodeInviteInfo } from '../security/node-invite.js';
import { Access, requireAccess } from './auth.js';
import type { RouteContext } from './context.js';

export function registerInviteRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get('/api/cluster/invite', { onRequest: requireAccess(ctx.node.config, Access.admin) }, async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    return nodeInviteInfo(ctx.node);
  });
}
