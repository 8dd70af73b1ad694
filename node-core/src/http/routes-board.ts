// The board's read and user routes under /api: state, servers, reservations, history, the event
// stream, health, and reserve / release / extend / queue. Mounted on 8777 and, in web mode, 8778.
import type { FastifyInstance } from 'fastify';
import type { PeerEvent } from '../api/peer-api.js';
import type { BoardCommand } from '../board/types.js';
import { BadRequestError, ErrorCode, PeerboardError } from '../errors.js';
import { Access, requireAccess } from './auth.js';
import type { Caller } from './auth.js';
import { type RouteContext, requestKey, requireServer, serverAfter } from './context.js';
import {
  Limits,
  extendBody,
  historyQuery,
  hostParams,
  parseInput,
  queueBody,
  queueParams,
  releaseBody,
  reserveBody,
} from './schemas.js';

/** Checks an absolute end against the clock: in the future and not further than the limit. */
function checkedUntil(ctx: RouteContext, until: number): number {
  const now = ctx.nowSec();
  if (until <= now) throw new BadRequestError(`field "until": ${until} is not in the future (now is ${now})`, { now });
  if (until - now > Limits.maxDurationSec) {
    throw new BadRequestError(`field "until": at most ${Limits.maxDurationSec} seconds from now`, { now });
  }
  return until;
}

export function registerBoardRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const userOp = { onRequest: requireAccess(node.config, Access.user) };

  /** Submits a command as `user` and answers with the server it touched. */
  async function commit(cmd: BoardCommand, host: string, user: string, key: string | undefined, caller: Caller | undefined) {
    const res = await node.submit(cmd, key === undefined ? { user, caller: caller ?? 'open' } : { user, reqId: key, caller: caller ?? 'open' });
    return { success: true as const, server: serverAfter(ctx, res.value, host) };
  }

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
    const b = parseInput(reserveBody, request.body, 'request body');
    const until = b.durationSec !== undefined ? ctx.nowSec() + b.durationSec : checkedUntil(ctx, b.until!);
    const cmd: BoardCommand = { type: 'reserve', host, user: b.user, until };
    if (b.comment !== undefined) cmd.comment = b.comment;
    return commit(cmd, host, b.user, requestKey(request, b.idempotencyKey), request.caller);
  });

  app.post('/api/servers/:host/release', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const b = parseInput(releaseBody, request.body, 'request body');
    if (b.force && request.caller === 'user') {
      throw new PeerboardError(ErrorCode.Forbidden, 'a forced release needs admin rights; use the admin token');
    }
    const cmd: BoardCommand = { type: 'release', host, user: b.user };
    if (b.force) cmd.force = true;
    return commit(cmd, host, b.user, requestKey(request, b.idempotencyKey), request.caller);
  });

  app.post('/api/servers/:host/extend', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const b = parseInput(extendBody, request.body, 'request body');
    let until: number;
    if (b.durationSec !== undefined) {
      // "extend by N seconds": from the current end of the hold, or from now if it has none.
      const now = ctx.nowSec();
      const current = node.server(host)?.until ?? null;
      until = Math.max(now, current ?? now) + b.durationSec;
      if (until - now > Limits.maxDurationSec) {
        throw new BadRequestError(`the hold would end more than ${Limits.maxDurationSec} seconds from now`, { now, until });
      }
    } else {
      until = checkedUntil(ctx, b.until!);
    }
    return commit({ type: 'extend', host, user: b.user, until }, host, b.user, requestKey(request, b.idempotencyKey), request.caller);
  });

  app.post('/api/servers/:host/queue', userOp, async (request) => {
    const { host } = parseInput(hostParams, request.params, 'path');
    const b = parseInput(queueBody, request.body, 'request body');
    const cmd: BoardCommand = { type: 'queue', host, user: b.user, durationSec: b.durationSec };
    if (b.comment !== undefined) cmd.comment = b.comment;
    return commit(cmd, host, b.user, requestKey(request, b.idempotencyKey), request.caller);
  });

  app.delete('/api/servers/:host/queue/:user', userOp, async (request) => {
    const { host, user } = parseInput(queueParams, request.params, 'path');
    return commit({ type: 'unqueue', host, user }, host, user, requestKey(request, undefined), request.caller);
  });
}
