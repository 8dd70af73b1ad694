// Bearer-token access control for both HTTP ports. Without tokens every request is allowed (the
// ports then bind to loopback only); with tokens, reads and user operations need the user or the
// admin token and admin operations need the admin token. Tokens are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { NodeConfig } from '../config.js';
import { ErrorCode, PeerboardError } from '../errors.js';

/** What a route needs. */
export const Access = { read: 'read', user: 'user', admin: 'admin' } as const;
export type Access = (typeof Access)[keyof typeof Access];

/** Who a request is, once its token is checked. `open` means no tokens are configured. */
export type Caller = 'open' | 'user' | 'admin';

export interface AuthConfig {
  adminToken?: string | undefined;
  userToken?: string | undefined;
}

export function tokensConfigured(cfg: AuthConfig): boolean {
  return Boolean(cfg.adminToken || cfg.userToken);
}

/** Constant-time equality: both sides are hashed first so their lengths do not leak either. */
export function tokenEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The bearer token of an Authorization header, or null when there is none. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}

/** Identifies the caller, throwing UNAUTHORIZED when tokens are configured and none matches. */
export function identify(cfg: AuthConfig, authorization: string | string[] | undefined): Caller {
  if (!tokensConfigured(cfg)) return 'open';
  const token = bearerToken(authorization);
  if (token === null) {
    throw new PeerboardError(ErrorCode.Unauthorized, 'this node requires a token: send "Authorization: Bearer <token>"');
  }
  // Check both tokens every time so the time taken does not tell which one matched.
  const isAdmin = cfg.adminToken ? tokenEquals(token, cfg.adminToken) : false;
  const isUser = cfg.userToken ? tokenEquals(token, cfg.userToken) : false;
  if (isAdmin) return 'admin';
  if (isUser) return 'user';
  throw new PeerboardError(ErrorCode.Unauthorized, 'the token is not valid for this node');
}

/** Throws FORBIDDEN when the caller may not do what `need` asks. */
export function authorize(cfg: AuthConfig, caller: Caller, need: Access): void {
  if (caller === 'open' || caller === 'admin') return;
  if (need === Access.admin) {
    const hint = cfg.adminToken ? 'use the admin token' : 'no adminToken is configured on this node, so admin operations are disabled';
    throw new PeerboardError(ErrorCode.Forbidden, `this operation needs admin rights; ${hint}`);
  }
}

/** Checks a request; returns the caller for handlers that refine the check (e.g. force release). */
export function check(cfg: AuthConfig, request: FastifyRequest, need: Access): Caller {
  const caller = identify(cfg, request.headers.authorization);
  authorize(cfg, caller, need);
  return caller;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the access hook */
    caller?: Caller;
  }
}

/**
 * A route onRequest hook that enforces `need` and stores the caller on the request. It runs before
 * the body is read, so an unauthenticated client cannot make the node parse a body.
 */
export function requireAccess(cfg: NodeConfig, need: Access): onRequestHookHandler {
  function accessCheck(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    try {
      request.caller = check(cfg, request, need);
      done();
    } catch (err) {
      done(err as Error);
    }
  }
  // tagged so that routesOf() (app.ts) can list what each route needs
  return Object.assign(accessCheck, { [ACCESS_TAG]: need });
}

/** The property requireAccess() tags its hook with. */
export const ACCESS_TAG = Symbol('peerboard.access');

/** The access an onRequest hook (or list of hooks) enforces, or null when none of them is requireAccess(). */
export function accessOf(hooks: unknown): Access | null {
  for (const h of Array.isArray(hooks) ? hooks : [hooks]) {
    const tag = typeof h === 'function' ? (h as { [ACCESS_TAG]?: Access })[ACCESS_TAG] : undefined;
    if (tag) return tag;
  }
  return null;
}

/** httpBindAddress if set; else 127.0.0.1 without tokens, 0.0.0.0 with a token. */
export function bindAddressOf(config: Pick<NodeConfig, 'httpBindAddress' | 'adminToken' | 'userToken'>): string {
  if (config.httpBindAddress) return config.httpBindAddress;
  return tokensConfigured(config) ? '0.0.0.0' : '127.0.0.1';
}

/**
 * Without tokens the ports trust everything on loopback; a web page could still reach them through
 * DNS rebinding (its own host name resolving to 127.0.0.1). So in that mode only requests whose
 * Host names this machine (localhost, 127.x.x.x, [::1]) are served.
 */
export function hostAllowed(config: Pick<NodeConfig, 'httpBindAddress' | 'adminToken' | 'userToken'>, host: string | undefined): boolean {
  if (tokensConfigured(config) || !isLoopbackAddress(bindAddressOf(config))) return true;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name.toLowerCase() === 'localhost' || isLoopbackAddress(name);
}

/** True for a TCP peer on this machine (127.0.0.0/8 or ::1, also IPv4-mapped). */
export function isLoopbackAddress(addr: string | undefined): boolean {
  if (!addr) return false;
  const a = addr.startsWith('::ffff:') ? addr.slice(7) : addr;
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
