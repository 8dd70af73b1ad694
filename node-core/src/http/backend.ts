// The backend HTTP API (seed 000's port 8777): /metrics and every /api route (with /promote, in routes-admin.ts).
import type { FastifyInstance } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import { type HttpOptions, createApp } from './app.js';
import { Access, requireAccess } from './auth.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerBoardRoutes } from './routes-board.js';
import { registerClusterRoutes } from './routes-cluster.js';
import { registerInviteRoutes } from './routes-invite.js';
import { registerMonitoringRoutes } from './routes-monitoring.js';
import { registerLoanRoutes } from './routes-loans.js';
import { registerRegistryRoutes } from './routes-registry.js';
import { registerSyncRoutes } from './routes-sync.js';

/** Builds the backend without listening (tests use inject or listen on port 0). */
export function buildBackend(node: NodeHandle, opts: HttpOptions): FastifyInstance {
  const { app, ctx } = createApp(node, opts, 'api');

  app.get('/metrics', { onRequest: requireAccess(node.config, Access.read) }, async (_request, reply) => {
    const text = await node.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });

  registerBoardRoutes(app, ctx);
  registerAdminRoutes(app, ctx);
  registerRegistryRoutes(app, ctx);
  registerClusterRoutes(app, ctx);
  registerInviteRoutes(app, ctx);
  registerMonitoringRoutes(app, ctx);
  registerLoanRoutes(app, ctx);
  registerSyncRoutes(app, ctx);
  return app;
}
