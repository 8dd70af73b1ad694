// What a node does around leadership, as plain functions of its parts: the successor a leaving
// master hands over to, the expiries a master commits, the servers file a new master imports, and
// the seed's /updateRole POST to the frontend on a role change.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Board } from './board/state-machine.js';
import type { BoardCommand } from './board/types.js';
import type { NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import type { Logger } from './log.js';
import type { Role } from './protocol/messages.js';

/** seed 000's frontend address, the default of frontendUrl */
const DEFAULT_FRONTEND_URL = 'http://localhost:8778';
/** how long the /updateRole POST may take */
const UPDATE_ROLE_TIMEOUT_MS = 1000;

/** the caught-up voter (fetched within an election timeout, furthest match first) that should lead after `selfId` */
export function bestSuccessor(raft: Pick<Raft, 'config' | 'progress' | 'matchIndexOf'>, selfId: string, now: number, electionTimeoutMs: number): string | null {
  const voters = raft.config?.voters.filter((v) => v.nodeId !== selfId) ?? [];
  const progress = raft.progress();
  const ok = voters.filter((v) => {
    const p = progress?.get(v.nodeId);
    return p && now - p.lastFetch < electionTimeoutMs;
  });
  ok.sort((a, b) => (raft.matchIndexOf(b.nodeId) ?? 0) - (raft.matchIndexOf(a.nodeId) ?? 0) || a.nodeId.localeCompare(b.nodeId));
  return ok[0]?.nodeId ?? null;
}

/** the expire commands due at `nowMs`, each with an idempotency key per host and end time */
export function dueExpiries(board: Board, nowMs: number): { host: string; cmd: BoardCommand; reqId: string }[] {
  return board.dueExpiries(Math.floor(nowMs / 1000)).map(({ host, until }) => {
    const key = createHash('sha256').update(`${host}\0${until}`).digest('hex').slice(0, 32);
    return { host, cmd: { type: 'expire', host, until }, reqId: `expire:${key}` };
  });
}

/** the servers-import command for a ServersData JSON file (config `servers`); throws when unreadable */
export function serversFileImport(file: string): BoardCommand {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { serversList?: unknown };
  if (!Array.isArray(data.serversList)) throw new Error('no serversList array');
  const servers = data.serversList.map((s) => {
    const o = s as Record<string, unknown>;
    return { host: String(o.host), app: String(o.app ?? ''), ip: String(o.ip ?? ''), env: String(o.env ?? ''), comment: String(o.comment ?? '') };
  });
  return { type: 'servers-import', servers };
}

/**
 * Where role changes are POSTed (seed 000's /updateRole): the configured frontendUrl; when that is
 * the seed's default (localhost:8778), this node's own frontend port, which --ui-port may have
 * moved (-1: no frontend, nothing is posted).
 */
export function frontendTarget(config: Pick<NodeConfig, 'frontendUrl' | 'uiPort'>): string | null {
  const url = config.frontendUrl;
  if (!url) return null;
  if (url.replace(/\/$/, '') !== DEFAULT_FRONTEND_URL) return url;
  return config.uiPort > 0 ? `http://localhost:${config.uiPort}` : null;
}

/** POSTs a role change to the frontend at `url`; a failure is logged at debug level only */
export function postRole(url: string, config: Pick<NodeConfig, 'userToken' | 'adminToken'>, role: Role, ip: string, log: Logger): void {
  // with tokens set, /updateRole needs one: sent only to a frontend on this machine, never to another host
  const token = config.userToken ?? config.adminToken;
  const local = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/.test(url);
  fetch(`${url.replace(/\/$/, '')}/updateRole`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token && local ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ role, ip }),
    signal: AbortSignal.timeout(UPDATE_ROLE_TIMEOUT_MS),
  }).catch((err: unknown) => log.debug({ url, err: (err as Error).message }, 'frontend /updateRole not reachable'));
}
