// The backend HTTP API (seed 000's port 8777): /promote, /metrics and every /api route.
import type { FastifyInstance } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import { type HttpOptions, createApp } from './app.js';
import { Access, requireAccess } from './auth.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerBoardRoutes } from './routes-board.js';
import { parseInput, promoteBody } from './schemas.js';

/** Builds the backend without listening (tests use inject or listen on port 0). */
export function buildBackend(node: NodeHandle, opts: HttpOptions): FastifyInstance {
  const { app, ctx } = createApp(node, opts, 'api');

  // Seed 000: {"role":"master","ip":"..."} makes this node (or the named one) master; "slave"
  // hands mastership to another node.
  app.post('/promote', { onRequest: requireAccess(node.config, Access.admin) }, async (request) => {
    const b = parseInput(promoteBody, request.body, 'request body');
    ctx.logger.info({ role: b.role, ip: b.ip, nodeId: b.nodeId, from: request.ip }, 'promote requested over HTTP');
    const { leaderId } = b.role === 'master' ? await node.promote({ nodeId: b.nodeId ?? node.nodeId }) : await node.promote({});
    return { success: true, leaderId };
  });

  app.get('/metrics', { onRequest: requireAccess(node.config, Access.read) }, async (_request, reply) => {
    const text = await node.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  registerBoardRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  return app;
}
