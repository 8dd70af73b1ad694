// Authorisation of writes forwarded over the peer port. The HTTP edge checks the caller's token; a
// slave then forwards the write to the master with a proof of that token (an HMAC keyed by it over
// the request's time, id, user and command), and the master checks the proof against its own tokens
// and the access the command needs. A member holding the cluster key but no token cannot do over the
// peer port what it could not do over HTTP. Tokens must be the same on every node of a cluster.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ErrorCode, PeerboardError } from '../errors.js';

/** who a write comes from, as the edge that took it established */
export type CallerRole = 'open' | 'user' | 'admin' | 'system';
/** what a command needs */
export type Need = 'user' | 'admin';

export interface TokenConfig {
  adminToken?: string | undefined;
  userToken?: string | undefined;
}

export interface ForwardAuth {
  role: 'user' | 'admin';
  /** hex HMAC-SHA256 keyed by the token of that role */
  proof: string;
}

const ADMIN_COMMANDS = new Set([
  'server-add',
  'server-update',
  'server-remove',
  'servers-import',
  'maintenance',
  'serving',
  'promote',
  'add-voter',
  'remove-voter',
  // monitoring (issue 12): only an admin edits checks and targets; verdicts and deliveries are the
  // master's own (system) writes, so a user token can never forge one through a forwarded write
  'check-add',
  'check-update',
  'check-remove',
  'notify-add',
  'notify-remove',
  'monitor-settings',
  'verdict',
  'alert-delivery',
  'instance-register',
  'instance-remove',
  // worker loans (issue 13): the master's own (system) writes, or an admin's recall/return
  'loan-start',
  'loan-renew',
  'loan-end',
]);

/** The access a command needs: the same rule as the HTTP routes that issue it. */
export function commandNeed(cmd: { type: string; force?: unknown }): Need {
  if (ADMIN_COMMANDS.has(cmd.type)) return 'admin';
  if (cmd.type === 'release' && cmd.force === true) return 'admin';
  return 'user';
}

function proofOf(token: string, ts: number, reqId: string, user: string, cmd: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(cmd) ?? '').digest('hex');
  return createHmac('sha256', token).update(`peerboard-forward-v1\n${ts}\n${reqId}\n${user}\n${digest}`).digest('hex');
}

/**
 * The proof a slave attaches for a caller of `role`, or undefined when this node has no token for
 * it (then the master accepts the write only if it has no tokens either). 'system' writes (the
 * node's own registrations, expiries) use the strongest token the node has.
 */
export function signForward(cfg: TokenConfig, role: CallerRole, ts: number, reqId: string, user: string, cmd: unknown): ForwardAuth | undefined {
  const wantAdmin = role === 'admin' || role === 'system';
  if (wantAdmin && cfg.adminToken) return { role: 'admin', proof: proofOf(cfg.adminToken, ts, reqId, user, cmd) };
  if (role !== 'open' && cfg.userToken) return { role: 'user', proof: proofOf(cfg.userToken, ts, reqId, user, cmd) };
  return undefined;
}

/** Master: throws UNAUTHORIZED/FORBIDDEN unless the forwarded write proves the access it needs. */
export function verifyForward(cfg: TokenConfig, need: Need, auth: ForwardAuth | undefined, ts: number, reqId: string, user: string, cmd: unknown): void {
  if (!cfg.adminToken && !cfg.userToken) return; // no tokens: the cluster key is the only gate
  if (!auth) {
    throw new PeerboardError(ErrorCode.Unauthorized, 'the forwarded write carries no token proof, and the master requires tokens: configure the same adminToken/userToken on every node');
  }
  const token = auth.role === 'admin' ? cfg.adminToken : cfg.userToken;
  const valid = token !== undefined && timingSafeEqual(Buffer.from(proofOf(token, ts, reqId, user, cmd), 'hex'), Buffer.from(auth.proof, 'hex'));
  if (!valid) throw new PeerboardError(ErrorCode.Unauthorized, `the forwarded write's ${auth.role} token proof does not match the master's token: the nodes' tokens differ`);
  if (need === 'admin' && auth.role !== 'admin') throw new PeerboardError(ErrorCode.Forbidden, 'this operation needs admin rights; use the admin token');
}
