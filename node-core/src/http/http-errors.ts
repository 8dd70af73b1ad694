// Turns everything an HTTP request can fail with (our PeerboardErrors, fastify's body-parsing
// errors, unknown exceptions) into seed 002's error body {success:false,error,message,code,details}.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, PeerboardError, httpTitleOf } from '../errors.js';
import type { Logger } from '../log.js';

/** The largest request body accepted, in bytes (larger: 413). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

type HttpErrorBody = ReturnType<PeerboardError['toHttpBody']>;

/** Status and body for a failure that is not one of our codes (e.g. 415): seed 002's shape still. */
function bodyWith(code: ErrorCode, message: string, details: Record<string, unknown> = {}): HttpErrorBody {
  return { success: false, error: httpTitleOf(code), message, code, details };
}

/** Maps fastify's own errors (raised before a handler runs) to a status and a clear message. */
function fromFastifyError(err: FastifyError): { status: number; body: HttpErrorBody } | null {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, body: bodyWith(ErrorCode.BadRequest, 'request body is not valid JSON') };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: bodyWith(ErrorCode.BadRequest, 'request body is empty; send a JSON object') };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: bodyWith(ErrorCode.PayloadTooLarge, `request body is larger than ${BODY_LIMIT_BYTES} bytes`, {
          limit: BODY_LIMIT_BYTES,
        }),
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: bodyWith(ErrorCode.BadRequest, 'unsupported Content-Type; send the body as application/json'),
      };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: bodyWith(ErrorCode.BadRequest, 'request body size does not match Content-Length') };
    case 'FST_ERR_BAD_URL':
      return { status: 400, body: bodyWith(ErrorCode.BadRequest, 'the request URL is malformed') };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { status: 400, body: bodyWith(ErrorCode.BadRequest, 'a path parameter is too long') };
    default:
      break;
  }
  const status = typeof err.statusCode === 'number' ? err.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: bodyWith(ErrorCode.BadRequest, err.message || 'bad request') };
  }
  return null;
}

/** Status and seed-002 body for anything thrown by a handler or by fastify. */
export function errorResponse(err: unknown): { status: number; body: HttpErrorBody; internal: boolean } {
  // a PeerboardError is an expected condition (no quorum, a timeout during an election), not a bug
  if (err instanceof PeerboardError) return { status: err.status, body: err.toHttpBody(), internal: err.status === 500 };
  if (err && typeof err === 'object' && 'code' in err && typeof (err as FastifyError).code === 'string') {
    const mapped = fromFastifyError(err as FastifyError);
    if (mapped) return { ...mapped, internal: false };
  }
  return {
    status: 500,
    body: bodyWith(ErrorCode.Internal, 'internal error while handling the request; see the node log'),
    internal: true,
  };
}

/** Sends seed 002's error body for err. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, body } = errorResponse(err);
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

export type NotFoundHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/**
 * Installs the error and not-found handlers on an instance, logging unexpected failures.
 * `notFound` replaces the default 404 (the frontend's SPA fallback).
 */
export function installErrorHandling(app: FastifyInstance, logger: Logger, notFound?: NotFoundHandler): void {
  // unavailability (503/504 during an election or without quorum) is logged once a second per code,
  // without a stack: a client retrying every few milliseconds must not turn a failover into log I/O
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const r = errorResponse(err);
    if (r.internal) {
      logger.error({ err, method: request.method, url: request.url }, 'HTTP request failed');
    } else if (r.status >= 500) {
      const now = Date.now();
      const seen = lastLogged.get(r.body.code);
      if (!seen || now - seen.at >= 1000) {
        logger.warn({ code: r.body.code, method: request.method, url: request.url, msg: r.body.message, suppressedBefore: seen?.suppressed ?? 0 }, 'HTTP request refused: the cluster is unavailable');
        lastLogged.set(r.body.code, { at: now, suppressed: 0 });
      } else seen.suppressed++;
    } else {
      logger.debug({ code: r.body.code, method: request.method, url: request.url, msg: r.body.message }, 'HTTP request refused');
    }
    void reply.code(r.status).type('application/json; charset=utf-8').send(r.body);
  });
  app.setNotFoundHandler(
    notFound ??
      (async (request, reply) =>
        sendError(reply, new PeerboardError(ErrorCode.NotFound, `no route ${request.method} ${request.url.split('?')[0]}`))),
  );
}

/** fastify's frameworkErrors option: bad URLs and over-long params in seed 002's shape. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void sendError(reply, err);
}
