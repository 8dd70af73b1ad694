// Admin routes under /api: the server inventory (add, update, remove, import, maintenance) and
// the voter set (list, add, remove, force-shrink). Every one needs the admin token when tokens are set.
import type { FastifyInstance } from 'fastify';
import { BoardService } from '../board/service.js';
import type { ServerInput } from '../board/types.js';
import { Access, requireAccess } from './auth.js';
import { type RouteContext, actorOf } from './context.js';
import { answered } from './routes-board.js';
import {
  forceShrinkBody,
  hostParams,
  importBody,
  maintenanceBody,
  parseInput,
  promoteBody,
  serverInputBody,
  serverPatchBody,
  voterBody,
  voterParams,
} from './schemas.js';

/** Keeps only the inventory fields of an imported row (seed 000's state fields are ignored). */
function inventoryOf(row: ServerInput): ServerInput {
  const out: ServerInput = { host: row.host };
  if (row.app !== undefined) out.app = row.app;
  if (row.ip !== undefined) out.ip = row.ip;
  if (row.env !== undefined) out.env = row.env;
  if (row.comment !== undefined) out.comment = row.comment;
  if (row.maintenance !== undefined) out.maintenance = row.maintenance;
  return out;
}

export function registerAdminRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const admin = { onRequest: requireAccess(node.config, Access.admin) };
  const service = new BoardService(node, { onInternalError: (err, what) => ctx.logger.error({ err, what }, 'board request failed unexpectedly') });
  const by = (request: Parameters<typeof actorOf>[1]) => ({ user: actorOf(ctx, request), caller: request.caller ?? ('open' as const) });

  // Seed 000: {"role":"master","ip":"..."} makes this node (or the one named by nodeId) master;
  // "slave" hands mastership to another node. Also on the frontend port, for the web UI.
  app.post('/promote', admin, async (request) => {
    const b = parseInput(promoteBody, request.body, 'request body');
    ctx.logger.info({ role: b.role, ip: b.ip, nodeId: b.nodeId, from: request.ip }, 'promote requested over HTTP');
    const { leaderId } = b.role === 'master' ? await node.promote({ nodeId: b.nodeId ?? node.nodeId }) : await node.promote({});
    return { success: true, leaderId };
  });

  app.post('/api/servers', admin, async (request, reply) => {
    const server = parseInput(serverInputBody, request.body, 'request body');
    return reply.code(201).send(answered(await service.addServer(server, by(request)), (s) => ({ server: s })));
  });

  app.post('/api/servers/import', admin, async (request) => {
    const b = parseInput(importBody, request.body, 'request body');
    const data = { serversList: b.serversList.map(inventoryOf), ...(b.replace !== undefined ? { replace: b.replace } : {}) };
    return answered(await service.importServers(data, by(request)), (v) => ({ count: v.count }));
  });

  app.patch('/api/servers/:host', admin, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const patch = parseInput(serverPatchBody, request.body, 'request body');
    return answered(await service.updateServer(host, patch, by(request)), (server) => ({ server }));
  });

  app.delete('/api/servers/:host', admin, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    return answered(await service.removeServer(host, by(request)), (v) => ({ host: v.host }));
  });

  app.post('/api/servers/:host/maintenance', admin, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const { on, reason } = parseInput(maintenanceBody, request.body, 'request body');
    return answered(await service.setMaintenance(host, on, by(request), reason), (server) => ({ server }));
  });

  app.get('/api/cluster/voters', admin, async () => ({ success: true, voters: node.health().voters }));

  app.post('/api/cluster/voters', admin, async (request) => {
    const { nodeId } = parseInput(voterBody, request.body, 'request body');
    await node.addVoter(nodeId, actorOf(ctx, request));
    return { success: true, voters: node.health().voters };
  });

  app.delete('/api/cluster/voters/:nodeId', admin, async (request) => {
    const { nodeId } = parseInput(voterParams, request.params, 'path');
    await node.removeVoter(nodeId, actorOf(ctx, request));
    return { success: true, voters: node.health().voters };
  });

  app.post('/api/cluster/force-shrink', admin, async (request) => {
    const b = parseInput(forceShrinkBody, request.body, 'request body');
    const by = actorOf(ctx, request);
    ctx.logger.warn({ voters: b.voters, by, ip: request.ip }, 'force-shrink of the voter set requested over HTTP');
    await node.forceShrink(b.voters, by);
    return { success: true, voters: node.health().voters };
  });
}
