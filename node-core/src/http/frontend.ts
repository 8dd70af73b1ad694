// The frontend HTTP port (seed 000's 8778): POST /updateRole and its event stream and, in web mode
// (uiDir set), the built board UI with SPA fallback plus the same /api routes on the same origin.
// A uiDir with no built UI yet answers pages with a short HTML note and is picked up once built.
import { existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import type { Logger } from '../log.js';
import { ErrorCode, PeerboardError } from '../errors.js';
import { type HttpOptions, createApp } from './app.js';
import { Access, requireAccess } from './auth.js';
import { sendError } from './http-errors.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerBoardRoutes } from './routes-board.js';
import { registerMonitoringRoutes } from './routes-monitoring.js';
import { registerLoanRoutes } from './routes-loans.js';
import { registerClusterRoutes } from './routes-cluster.js';
import { registerInviteRoutes } from './routes-invite.js';
import { type UpdateRoleBody, parseInput, updateRoleBody } from './schemas.js';
import type { SseStream } from './sse.js';

/** Headers on every response of the UI port. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
    "script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/**
 * False for a static path that could only be an attack or a mistake: bad percent-encoding, a NUL
 * byte, a backslash, a "." or ".." segment, or a "%" left after decoding (double encoding). Such
 * paths get a quiet 404 before the static file handler (which answered some of them with a 500).
 */
export function isSafeStaticPath(path: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return false;
  }
  if (/[\0\\%]/.test(decoded) || /[\0\\]/.test(path)) return false;
  return !decoded.split('/').some((seg) => seg === '..' || seg === '.');
}

/** A path the SPA fallback answers with index.html: not an API path, no file extension. */
export function isSpaPath(path: string): boolean {
  if (isApiPath(path)) return false;
  const last = path.split('/').pop() ?? '';
  return !last.includes('.');
}

function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/') || path === '/updateRole';
}

export function buildFrontend(node: NodeHandle, opts: HttpOptions): FastifyInstance {
  const root = node.config.uiDir ? resolve(node.config.uiDir) : null;
  const ui = root ? new UiPresence(root, opts.logger.child({ subsystem: 'http', port: 'ui' })) : null;
  const { app, ctx } = createApp(node, opts, 'ui', ui ? spaFallback(ui) : undefined);
  const roleStreams = new Set<SseStream>();

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(UI_SECURITY_HEADERS);
    const path = request.url.split('?')[0] ?? '/';
    if (root && !isApiPath(path) && !isSafeStaticPath(path)) {
      throw new PeerboardError(ErrorCode.NotFound, 'no such file');
    }
    // a page request notices (and logs) a UI built since the last one, also when the file handler answers it
    if (ui && request.method === 'GET' && isSpaPath(path)) await ui.check();
  });

  // Seed 000: the backend posts role changes here. With tokens configured every caller needs one,
  // loopback included (any local process could otherwise push a fake role to the UI). Either token
  // will do: the body only changes what the UI shows (the board and the cluster are untouched), and
  // the node's own notifier holds whichever token it was configured with.
  app.post('/updateRole', { onRequest: requireAccess(node.config, Access.user) }, async (request) => {
    const body: UpdateRoleBody = parseInput(updateRoleBody, request.body, 'request body');
    try {
      opts.onUpdateRole?.(body);
    } catch (err) {
      ctx.logger.error({ err }, 'the updateRole callback failed');
    }
    for (const s of roleStreams) s.send('updateRole', body);
    return { success: true };
  });

  app.get('/api/role-events', { onRequest: requireAccess(node.config, Access.read) }, async (request, reply) => {
    let stream: SseStream | null = null;
    stream = ctx.hub.open(request, reply, () => {
      if (stream) roleStreams.delete(stream);
    }, UI_SECURITY_HEADERS);
    const self = node.status().self;
    stream.send('hello', { role: self.role, ip: self.nodeIP });
    if (!stream.closed) roleStreams.add(stream);
  });

  if (root) {
    // The page and its assets are public (a browser cannot send a bearer token when it navigates);
    // the /api calls the page makes carry the token and follow the same rules as on 8777.
    registerBoardRoutes(app, ctx);
    registerAdminRoutes(app, ctx);
    registerMonitoringRoutes(app, ctx);
    registerLoanRoutes(app, ctx);
    registerClusterRoutes(app, ctx);
    registerInviteRoutes(app, ctx); // the Cluster view shows the invite to admins in web mode too
    void app.register(fastifyStatic, { root, dotfiles: 'ignore', index: ['index.html'], wildcard: true });
  }
  return app;
}

/** Seconds between reloads of the "no UI yet" page, so it turns into the board once built. */
export const NO_UI_RELOAD_SEC = 5;

/** Whether uiDir holds a built UI; logs when it is missing and when it appears (once each way). */
class UiPresence {
  private built: boolean | null = null;
  constructor(
    readonly root: string,
    private readonly log: Logger,
  ) {
    this.note(existsSync(join(root, 'index.html')));
  }

  /** true when index.html is there; checked on every page request, so a later build is picked up */
  async check(): Promise<boolean> {
    const ok = await access(join(this.root, 'index.html')).then(
      () => true,
      () => false,
    );
    this.note(ok);
    return ok;
  }

  private note(ok: boolean): void {
    if (ok !== this.built) {
      if (!ok) this.log.warn({ uiDir: this.root }, 'no board UI to serve yet: run npm run build:renderer (the node picks it up without a restart)');
      else if (this.built === false) this.log.info({ uiDir: this.root }, 'the board UI has appeared: serving it');
      this.built = ok;
    }
  }
}

/** The page / answers while uiDir holds no built UI: what is missing and how to build it. */
export function noUiPage(root: string): string {
  const esc = (t: string): string => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${NO_UI_RELOAD_SEC}">
<title>Peerboard: the board UI is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The board UI is not built yet</h1>
<p>This Peerboard node runs, but it has no web UI to serve: <code>${esc(join(root, 'index.html'))}</code> does not exist.</p>
<p>Build it in the Peerboard directory:</p>
<pre>npm run build:renderer</pre>
<p>No restart is needed: this page reloads every ${NO_UI_RELOAD_SEC} seconds and shows the board once it is built.
The node's API works meanwhile (<code>/api/health</code>).</p>
</body></html>
`;
}

/** Unknown GET paths of the app answer index.html (or the "not built" page); anything else is seed 002's 404. */
function spaFallback(ui: UiPresence) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const path = request.url.split('?')[0] ?? '/';
    if ((request.method === 'GET' || request.method === 'HEAD') && isSpaPath(path)) {
      if (await ui.check()) return reply.header('Cache-Control', 'no-cache').sendFile('index.html');
      return reply.code(503).header('Cache-Control', 'no-store').header('Retry-After', String(NO_UI_RELOAD_SEC)).type('text/html; charset=utf-8').send(noUiPage(ui.root));
    }
    return sendError(reply, new PeerboardError(ErrorCode.NotFound, `no route ${request.method} ${path}`));
  };
}
