// What every route module gets: the node, a logger, the event-stream hub, the clock, and small
// helpers shared by the board and admin routes (who acts, which server a command answered).
import type { FastifyRequest } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import type { Server } from '../board/types.js';
import { decodeUserHeader, USER_HEADER } from '../api/peer-api.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import { idempotencyKey } from './schemas.js';
import type { SseHub } from './sse.js';

export interface RouteContext {
  node: NodeHandle;
  logger: Logger;
  hub: SseHub;
  /** epoch seconds (injected so that tests may move time) */
  nowSec(): number;
}

/** The name an admin request acts as in the history: X-Peerboard-User, else the node's user. */
export function actorOf(ctx: RouteContext, request: FastifyRequest): string {
  const raw = request.headers[USER_HEADER];
  const name = typeof raw === 'string' ? decodeUserHeader(raw) : undefined;
  if (name === null) throw new BadRequestError("X-Peerboard-User: bad percent-encoding after utf-8''");
  if (name !== undefined && name.trim().length > 0 && name.trim().length <= 128) return name.trim();
  return ctx.node.config.user;
}

/** The idempotency key from the body or the Idempotency-Key header (they must agree). */
export function requestKey(request: FastifyRequest, fromBody: string | undefined): string | undefined {
  const raw = request.headers['idempotency-key'];
  if (raw === undefined) return fromBody;
  if (typeof raw !== 'string') throw new BadRequestError('send one Idempotency-Key header');
  const parsed = idempotencyKey.safeParse(raw);
  if (!parsed.success) throw new BadRequestError('Idempotency-Key header: 1 to 128 printable ASCII characters without spaces');
  if (fromBody !== undefined && fromBody !== parsed.data) {
    throw new BadRequestError('the Idempotency-Key header and the idempotencyKey field differ; send one of them');
  }
  return parsed.data;
}

/** Looks a server up or throws NOT_FOUND. */
export function requireServer(ctx: RouteContext, host: string): Server {
  const s = ctx.node.server(host);
  if (!s) throw new NotFoundError(`server "${host}" does not exist`, { host });
  return s;
}
