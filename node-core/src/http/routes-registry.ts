// Seed 001's client registry on the backend port: GET / (health), POST /register, POST /heartbeat,
// GET /users, GET /discover. Registrations go through the replicated log; heartbeats through presence.ts.
import { randomUUID } from 'node:crypto';
import { type FastifyInstance, errorCodes } from 'fastify';
import { z } from 'zod';
import type { NodeHandle } from '../api/node-handle.js';
import type { LeaderInfo } from '../api/peer-api.js';
import { addrSchema, userSchema } from '../board/commands.js';
import type { RegisteredUser } from '../board/types.js';
import { ErrorCode, NotFoundError, PeerboardError } from '../errors.js';
import { presenceFor } from '../presence.js';
import { Access, requireAccess } from './auth.js';
import type { Caller } from './auth.js';
import { type RouteContext, requestKey } from './context.js';
import { parseInput } from './schemas.js';

export const registerBody = z.strictObject({ username: userSchema, addr: addrSchema });
export const heartbeatBody = z.strictObject({ username: userSchema, addr: addrSchema.optional() });

/** "ip:port" of the leader's API, or null while none is known. */
export function leaderAddress(leader: LeaderInfo | null): string | null {
  return leader && leader.nodeIP && leader.apiPort ? `${leader.nodeIP}:${leader.apiPort}` : null;
}

/** Seed 001's refusal on a follower, in seed 002's error shape: 403 NOT_LEADER with the leader's address. */
export function requireLeader(node: NodeHandle): void {
  const v = node.status();
  if (v.self.role === 'master') return;
  const leader = leaderAddress(v.leader);
  const shown = leader ?? 'unknown (an election is in progress; retry in a few seconds)';
  throw new PeerboardError(ErrorCode.NotLeader, `This node is not the leader. Current leader: ${shown}`, {
    leader,
    leaderId: v.leader?.nodeId ?? null,
  });
}

/** Content-Types a browser may send cross-origin without a preflight; accepted here only from non-browsers. */
const FORM = 'application/x-www-form-urlencoded';

/**
 * Lets a scope read a JSON body sent with the form Content-Type or with none (curl -d), still under
 * the body limit. A browser sends such a request cross-origin without a CORS preflight, so one that
 * carries Origin or Sec-Fetch-Site (browsers always do) is refused: only scripts and curl get this.
 */
export function acceptSeedCurlBodies(scope: FastifyInstance): void {
  // fastify's own JSON parser: the same prototype-poisoning guards and errors as application/json
  const json = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const type = request.headers['content-type'];
    const mediaType = type?.split(';')[0]?.trim().toLowerCase();
    if (type !== undefined && mediaType !== FORM) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(type)); // 415, as everywhere else
      return;
    }
    if (request.headers.origin !== undefined || request.headers['sec-fetch-site'] !== undefined) {
      done(new PeerboardError(ErrorCode.Forbidden, 'a browser must send this body as application/json', { contentType: type ?? null }));
      return;
    }
    json(request, body as string, done);
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function registerRegistryRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { node } = ctx;
  const presence = presenceFor(node, ctx.logger);
  const read = { onRequest: requireAccess(node.config, Access.read) };
  const userOp = { onRequest: requireAccess(node.config, Access.user) };
  const findUser = (username: string): RegisteredUser | undefined => node.users().find((u) => u.username === username);

  /** Commits a registration; the board refuses a taken username with CONFLICT. */
  async function register(username: string, addr: string, reqId: string | undefined, user: string, caller: Caller | undefined): Promise<string> {
    const userId = randomUUID();
    const res = await node.submit({ type: 'user-register', username, addr, userId }, { user, caller: caller ?? 'open', ...(reqId ? { reqId } : {}) });
    const v = res.value as { user?: { user_id?: unknown } } | undefined;
    return typeof v?.user?.user_id === 'string' ? v.user.user_id : userId;
  }

  // Any node: whether it leads, how many clients it sees online, who leads.
  app.get('/', read, async () => {
    const v = node.status();
    return {
      status: 'ok',
      is_leader: v.self.role === 'master',
      online_clients_count: presence.onlineUsers().length,
      current_leader: leaderAddress(v.leader),
    };
  });

  // Seed 001's own examples post with `curl -d '{...}'` (form Content-Type) or none at all: these two
  // routes read such a body as JSON too, in a plugin scope of their own (the rest of the API stays JSON-only).
  void app.register(async (seed) => {
    acceptSeedCurlBodies(seed);
    seed.post('/register', userOp, async (request) => {
      requireLeader(node);
      const b = parseInput(registerBody, request.body, 'request body');
      if (findUser(b.username)) {
        throw new PeerboardError(ErrorCode.Conflict, `User '${b.username}' is already registered; pick another username`, { username: b.username });
      }
      const userId = await register(b.username, b.addr, requestKey(request, undefined), b.username, request.caller);
      return { success: true, message: `User '${b.username}' registered successfully at ${b.addr}`, user_id: userId };
    });

    // Unknown username: with addr it is registered first (through the log), without addr 404.
    seed.post('/heartbeat', userOp, async (request) => {
      requireLeader(node);
      const b = parseInput(heartbeatBody, request.body, 'request body');
      let known = findUser(b.username);
      let registered = false;
      if (!known) {
        if (!b.addr) {
          throw new NotFoundError(`User '${b.username}' is not registered; POST /register first, or send "addr" with the heartbeat to register it`, {
            username: b.username,
          });
        }
        try {
          await register(b.username, b.addr, undefined, b.username, request.caller);
          registered = true;
        } catch (err) {
          // registered meanwhile by a concurrent request: fine, it exists now
          if (!(err instanceof PeerboardError && err.code === ErrorCode.Conflict)) throw err;
        }
        known = findUser(b.username);
        if (!known) throw new PeerboardError(ErrorCode.Unavailable, `User '${b.username}' could not be registered yet; retry`);
      }
      const addr = b.addr ?? presence.userSeen(b.username)?.addr ?? known.addr;
      presence.beatUser(b.username, addr);
      return { success: true, message: `Heartbeat accepted for '${b.username}' at ${addr}`, ...(registered ? { registered: true } : {}) };
    });
  });

  app.get('/users', read, async () => {
    requireLeader(node);
    const online = new Set(presence.onlineUsers().map((u) => u.username));
    const users = node.users().map((u) => {
      const seen = presence.userSeen(u.username);
      return {
        id: u.user_id,
        user_id: u.user_id,
        username: u.username,
        addr: u.addr,
        registeredAt: iso(u.registeredAt * 1000),
        lastSeen: seen ? iso(seen.lastSeen) : null,
        online: online.has(u.username),
      };
    });
    return { users, count: users.length };
  });

  app.get('/discover', read, async () => {
    requireLeader(node);
    const online = presence.onlineUsers().map((u) => ({ username: u.username, addr: u.addr, lastSeen: iso(u.lastSeen) }));
    return { online_clients: online, count: online.length, is_leader: true };
  });
}
