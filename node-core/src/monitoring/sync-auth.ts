// Access hooks of the sync API (/sync/api/*): the registration secret (team key or admin token), an
// instance's JWT (or the admin token acting for an instance), and reads by JWT or the read token. Each
// hook is tagged like requireAccess() so that the route listing (app.ts routesOf) knows what it needs.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { NodeHandle } from '../api/node-handle.js';
import { ACCESS_TAG, Access, bearerToken, check, tokenEquals } from '../http/auth.js';
import { ErrorCode, PeerboardError } from '../errors.js';
import { SyncLimits } from './sync-schema.js';
import { jwtKeys, looksLikeJwt, registrationRefusal, syncSecretsOf, verifySyncToken, type SyncSecrets } from './sync-token.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** the instance a verified sync JWT names; null: the admin token acts (for any registered instance) */
    syncInstance?: string | null;
  }
}

/** A 429 in seed 002's shape (the error codes have no rate-limit code: SERVICE_UNAVAILABLE, titled as 429). */
export class RateLimitedError extends PeerboardError {
  override name = 'RateLimitedError';
  constructor(message: string, retryAfterMs: number) {
    super(ErrorCode.Unavailable, message, { retryAfterMs });
  }
  override get status(): number {
    return 429;
  }
  override toHttpBody(): ReturnType<PeerboardError['toHttpBody']> {
    return { ...super.toHttpBody(), error: 'Too Many Requests' };
  }
}

/** Fixed one-second windows per instance; the table forgets old windows so it stays small. */
export class HeartbeatLimiter {
  private readonly windows = new Map<string, { start: number; n: number }>();
  constructor(
    private readonly perSec: number,
    private readonly now: () => number,
  ) {}
  /** null: allowed; else ms until the next window */
  take(instanceId: string): number | null {
    const now = this.now();
    if (this.windows.size > 1000) for (const [k, w] of this.windows) if (now - w.start >= 1000) this.windows.delete(k);
    const w = this.windows.get(instanceId);
    if (!w || now - w.start >= 1000) {
      this.windows.set(instanceId, { start: now, n: 1 });
      return null;
    }
    if (w.n >= this.perSec) return 1000 - (now - w.start);
    w.n++;
    return null;
  }
}

type Hook = (request: FastifyRequest) => Promise<void>;

function tagged(need: Access, fn: Hook): onRequestHookHandler {
  const hook = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    fn(request).then(
      () => done(),
      (err: unknown) => done(err as Error),
    );
  };
  return Object.assign(hook, { [ACCESS_TAG]: need });
}

const unauthorized = (message: string) => new PeerboardError(ErrorCode.Unauthorized, message);

export interface SyncAuth {
  secrets(): SyncSecrets;
  /** POST /sync/api/register: the team key or the admin token (the user token is refused: 403) */
  register: onRequestHookHandler;
  /** an instance's JWT, or the admin token; rate-limited per instance */
  instance: onRequestHookHandler;
  /** a sync JWT, or whatever the node's read access takes */
  read: onRequestHookHandler;
}

export function syncAuth(node: NodeHandle, limiter: HeartbeatLimiter, nowMs: () => number): SyncAuth {
  const secrets = (): SyncSecrets => syncSecretsOf(node.config, node.invite().invite);
  const bearer = (request: FastifyRequest): string | null => {
    const t = bearerToken(request.headers.authorization);
    return t !== null && t.length <= SyncLimits.tokenLen ? t : null;
  };
  const isUserToken = (t: string): boolean => (node.config.userToken ? tokenEquals(t, node.config.userToken) : false);

  const register = tagged(Access.admin, async (request) => {
    const s = secrets();
    const refusal = registrationRefusal(s);
    if (refusal) throw new PeerboardError(ErrorCode.Forbidden, refusal);
    const t = bearer(request);
    if (t === null) throw unauthorized('registration needs the team key (or the admin token): send "Authorization: Bearer <secret>"');
    // both compared every time, in constant time, so the time taken tells nothing
    const byKey = s.clusterKey ? tokenEquals(t, s.clusterKey) : false;
    const byAdmin = s.adminToken ? tokenEquals(t, s.adminToken) : false;
    if (byKey || byAdmin) return;
    if (isUserToken(t)) throw new PeerboardError(ErrorCode.Forbidden, 'the user token cannot register an instance; use the team key or the admin token');
    throw unauthorized('the secret is not this team\'s key nor its admin token');
  });

  const instance = tagged(Access.admin, async (request) => {
    const t = bearer(request);
    if (t === null) throw unauthorized('send the token from POST /sync/api/register: "Authorization: Bearer <jwt>"');
    const s = secrets();
    if (s.adminToken && tokenEquals(t, s.adminToken)) {
      request.syncInstance = null;
      return;
    }
    if (isUserToken(t)) throw new PeerboardError(ErrorCode.Forbidden, 'the user token cannot act for an instance; send the instance\'s JWT (or the admin token)');
    if (!looksLikeJwt(t)) throw unauthorized('the token is not a JWT; register first (POST /sync/api/register)');
    const keys = jwtKeys(s);
    if (!keys) throw unauthorized(registrationRefusal(s) ?? 'no key');
    const v = await verifySyncToken(keys.verify, t, nowMs());
    if (!v.ok) throw unauthorized(v.reason);
    const wait = limiter.take(v.instanceId);
    if (wait !== null) throw new RateLimitedError(`at most ${SyncLimits.heartbeatsPerSec} requests a second per instance; retry in ${wait} ms`, wait);
    request.syncInstance = v.instanceId;
  });

  const readCheck = (request: FastifyRequest) => check(node.config, request, Access.read);
  const read = tagged(Access.read, async (request) => {
    const t = bearer(request);
    if (t !== null && looksLikeJwt(t)) {
      const keys = jwtKeys(secrets());
      const v = keys ? await verifySyncToken(keys.verify, t, nowMs()) : { ok: false as const, reason: 'this node issues no sync tokens' };
      if (!v.ok) throw unauthorized(v.reason);
      request.syncInstance = v.instanceId;
      request.caller = 'user';
      return;
    }
    request.caller = readCheck(request);
  });

  return { secrets, register, instance, read };
}
