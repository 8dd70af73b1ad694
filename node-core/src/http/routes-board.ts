// The board's read and user routes under /api: state, servers, reservations, history, the event
// stream, health, and reserve / release / extend / queue. Mounted on 8777 and, in web mode, 8778.
import type { FastifyInstance } from 'fastify';
import type { PeerEvent, Result } from '../api/peer-api.js';
import { BoardService } from '../board/service.js';
import type { Server } from '../board/types.js';
import { PeerboardError } from '../errors.js';
import { Access, requireAccess } from './auth.js';
import { type RouteContext, requestKey, requireServer } from './context.js';
import { extendBody, historyQuery, hostParams, parseInput, queueBody, queueParams, releaseBody, reserveBody } from './schemas.js';

/** A board service answer as an HTTP body; a refusal is thrown for the error handler (seed 002's shape). */
export function answered<T, B extends Record<string, unknown>>(r: Result<T>, body: (v: T) => B): { success: true } & B {
  if (!r.ok) throw PeerboardError.fromValue(r.error);
  return { success: true as const, ...body(r.value) };
}

export function registerBoardRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const userOp = { onRequest: requireAccess(node.config, Access.user) };
  const service = new BoardService(node, { onInternalError: (err, what) => ctx.logger.error({ err, what }, 'board request failed unexpectedly') });
  const withServer = (r: Result<Server>) => answered(r, (server) => ({ server }));
  /** the idempotency key from the body or the header, as an optional field */
  const keyOf = (request: Parameters<typeof requestKey>[0], fromBody: string | undefined) => {
    const key = requestKey(request, fromBody);
    return key === undefined ? {} : { idempotencyKey: key };
  };

  app.get('/api/state', read, async () => node.view());

  app.get('/api/servers', read, async () => node.view().serversData);

  app.get('/api/servers/:host', read, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    return requireServer(ctx, host);
  });

  app.get('/api/reservations', read, async () => ({
    success: true,
    reservations: node.view().serversData.serversList.filter((s) => s.holder !== null),
  }));

  app.get('/api/history', read, async (request) => {
    const q = parseInput(historyQuery, request.query ?? {}, 'query string');
    return node.history(q);
  });

  app.get('/api/health', read, async () => ({ success: true, ...node.health() }));

  app.get('/api/events', read, async (request, reply) => {
    let listener: ((e: PeerEvent) => void) | null = null;
    const stream = ctx.hub.open(request, reply, () => {
      if (listener) node.events.off('event', listener);
      listener = null;
    });
    stream.send('hello', node.view());
    listener = (e: PeerEvent) => {
      // the invite carries the team key: only the node's own host (headless output, the app) gets it
      if (e.type === 'invite') return;
      stream.send(e.type, e);
    };
    if (!stream.closed) node.events.on('event', listener);
  });

  app.post('/api/servers/:host/reserve', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const { idempotencyKey, ...b } = parseInput(reserveBody, request.body, 'request body');
    return withServer(await service.reserve({ host, ...b, ...keyOf(request, idempotencyKey) }, { caller: request.caller ?? 'open' }));
  });

  app.post('/api/servers/:host/release', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const { idempotencyKey, ...b } = parseInput(releaseBody, request.body, 'request body');
    return withServer(await service.release({ host, ...b, ...keyOf(request, idempotencyKey) }, { caller: request.caller ?? 'open' }));
  });

  // durationSec ("extend by") travels in the command: the state machine adds it to the hold's end
  // when the entry applies, not this node's possibly stale copy of that end
  app.post('/api/servers/:host/extend', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const { idempotencyKey, ...b } = parseInput(extendBody, request.body, 'request body');
    return withServer(await service.extend({ host, ...b, ...keyOf(request, idempotencyKey) }, { caller: request.caller ?? 'open' }));
  });

  app.post('/api/servers/:host/queue', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const { idempotencyKey, ...b } = parseInput(queueBody, request.body, 'request body');
    return withServer(await service.queue({ host, ...b, ...keyOf(request, idempotencyKey) }, { caller: request.caller ?? 'open' }));
  });

  app.delete('/api/servers/:host/queue/:user', userOp, async (request) => {
    const { host, user } = parseInput(queueParams, request.params, 'path');
    return withServer(await service.leaveQueue({ host, user, ...keyOf(request, undefined) }, { caller: request.caller ?? 'open' }));
  });
}
