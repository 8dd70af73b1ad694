// Monitoring's routes (issue 12): checks (GET/POST /api/checks, GET/PATCH/DELETE /api/checks/:id, the
// response-time series), notification targets, alerts and the monitoring settings. Reads need the read
// token; every change, and the targets (a Slack URL is a credential), the admin token.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErrorCode, PeerboardError } from '../errors.js';
import { MonitorService } from '../monitoring/monitor-service.js';
import type { CheckInput, MonitorSettings, NotificationInput } from '../monitoring/types.js';
import { Access, requireAccess } from './auth.js';
import { type RouteContext, actorOf } from './context.js';
import { answered } from './routes-board.js';
import { parseInput } from './schemas.js';

const idParams = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,14}$/, 'a check id: a positive integer').transform(Number) });
const seriesQuery = z.strictObject({ hours: z.string().regex(/^[0-9]{1,4}$/, 'whole hours, 1-720').transform(Number).optional() });
const alertsQuery = z.strictObject({ limit: z.string().regex(/^[0-9]{1,3}$/, '1-500').transform(Number).optional() });

export function registerMonitoringRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const admin = { onRequest: requireAccess(node.config, Access.admin) };
  const reader = node.monitorReader?.();
  const service = reader ? new MonitorService(node, reader, { onInternalError: (err, what) => ctx.logger.error({ err, what }, 'monitoring request failed unexpectedly') }) : null;
  const svc = (): MonitorService => {
    if (!service) throw new PeerboardError(ErrorCode.Unavailable, 'this node was started without monitoring');
    return service;
  };
  const by = (request: Parameters<typeof actorOf>[1]) => ({ user: actorOf(ctx, request), caller: request.caller ?? ('open' as const) });

  app.get('/api/checks', read, async () => ({ success: true, checks: svc().listChecks() }));

  app.get('/api/checks/:id', read, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answered(svc().getCheck(id), (check) => ({ check }));
  });

  app.get('/api/checks/:id/series', read, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    const { hours } = parseInput(seriesQuery, request.query ?? {}, 'query string');
    return answered(svc().series(id, hours ?? 24), (series) => ({ series }));
  });

  app.post('/api/checks', admin, async (request, reply) => {
    const r = await svc().addCheck(request.body as CheckInput, by(request));
    return reply.code(201).send(answered(r, (check) => ({ check, id: check.id })));
  });

  app.patch('/api/checks/:id', admin, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answered(await svc().updateCheck(id, request.body as Partial<CheckInput>, by(request)), (check) => ({ check }));
  });

  app.delete('/api/checks/:id', admin, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answered(await svc().removeCheck(id, by(request)), (v) => v);
  });

  app.get('/api/notifications', admin, async () => ({ success: true, notifications: svc().listNotifications() }));

  app.post('/api/notifications', admin, async (request, reply) => {
    const r = await svc().addNotification(request.body as NotificationInput, by(request));
    return reply.code(201).send(answered(r, (notification) => ({ notification, id: notification.id })));
  });

  app.delete('/api/notifications/:id', admin, async (request) => {
    const { id } = parseInput(idParams, request.params, 'path');
    return answered(await svc().removeNotification(id, by(request)), (v) => v);
  });

  app.get('/api/alerts', read, async (request) => {
    const { limit } = parseInput(alertsQuery, request.query ?? {}, 'query string');
    return { success: true, alerts: svc().alerts(limit ?? 50) };
  });

  app.get('/api/monitoring/settings', read, async () => ({ success: true, settings: svc().settings() }));

  app.put('/api/monitoring/settings', admin, async (request) => answered(await svc().setSettings(request.body as Partial<MonitorSettings>, by(request)), (settings) => ({ settings })));
}
