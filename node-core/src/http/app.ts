// The fastify instance both ports share the setup of: body limit, JSON-only bodies, seed 002 errors,
// latency metrics per route, and an event-stream hub that is emptied before the server closes.
import fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import { ErrorCode, PeerboardError } from '../errors.js';
import type { Logger } from '../log.js';
import { type Access, accessOf, hostAllowed } from './auth.js';
import type { RouteContext } from './context.js';
import { BODY_LIMIT_BYTES, type NotFoundHandler, frameworkErrors, installErrorHandling } from './http-errors.js';
import { DEFAULT_SSE, SseHub, type SseOptions } from './sse.js';

export interface HttpOptions {
  logger: Logger;
  /** called with each valid POST /updateRole body on the frontend port */
  onUpdateRole?: (body: { role: string; ip: string }) => void;
  /** event-stream tuning (tests shorten the keep-alive) */
  sse?: Partial<SseOptions>;
  /** epoch seconds; default the system clock */
  nowSec?: () => number;
  /** on close, connections still open after this long are destroyed (default 1000 ms) */
  closeGraceMs?: number;
}

/** One route of an instance: what it answers and the access its onRequest hook enforces (null: none). */
export interface RouteInfo {
  method: string;
  url: string;
  access: Access | null;
}

const ROUTES = new WeakMap<FastifyInstance, RouteInfo[]>();

/**
 * Every route registered on an instance built by createApp (HEAD twins of GET routes left out):
 * the access audit and the HTTP fuzz tests enumerate routes from here, so a new route is covered.
 */
export function routesOf(app: FastifyInstance): RouteInfo[] {
  return [...(ROUTES.get(app) ?? [])];
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: RouteContext;
}

/**
 * Closes an instance, letting requests in flight finish for up to graceMs, then destroying the
 * connections left (e.g. a client's pre-opened socket that never sent a request keeps close() waiting).
 */
export async function closeGracefully(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  timer.unref();
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

export function createApp(node: NodeHandle, opts: HttpOptions, port: 'api' | 'ui', notFound?: NotFoundHandler): BuiltApp {
  const logger = opts.logger.child({ subsystem: 'http', port });
  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // one line per request would drown the node's log; failures are logged by the error handler
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: 300 },
    requestTimeout: 30_000,
    return503OnClosing: true,
    frameworkErrors,
  });
  // JSON is the only body type: a plain-text body (which a web page may send cross-origin without
  // a CORS preflight) is refused with 415 instead of being parsed.
  app.removeContentTypeParser('text/plain');
  const routes: RouteInfo[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (route) => {
    const access = accessOf(route.onRequest);
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, access });
    }
  });
  installErrorHandling(app, logger, notFound);

  app.addHook('onRequest', async (request) => {
    if (!hostAllowed(node.config, request.headers.host)) {
      throw new PeerboardError(ErrorCode.Forbidden, 'this node only answers requests addressed to localhost or 127.0.0.1', {
        host: request.headers.host ?? null,
      });
    }
  });

  const hub = new SseHub(logger, { ...DEFAULT_SSE, ...opts.sse });
  app.addHook('preClose', async () => {
    hub.closeAll();
  });
  app.addHook('onResponse', async (request, reply) => {
    try {
      const route = request.routeOptions.url ?? 'unmatched';
      node.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
    } catch (err) {
      logger.debug({ err }, 'could not record the HTTP latency');
    }
  });

  const ctx: RouteContext = { node, logger, hub, nowSec: opts.nowSec ?? (() => Math.floor(Date.now() / 1000)) };
  return { app, ctx };
}
