// Board command handlers: what each validated command does to the board's data. Pure functions over
// BoardData and the entry's context (time, author); deterministic, and a refusal changes nothing.
import { ErrorCode } from '../errors.js';
import { applyLoan } from '../loans/board-loans.js';
import type { Loan, LoansData } from '../loans/types.js';
import { applyMonitor, type MonitoringData } from '../monitoring/board-monitoring.js';
import { BoardLimits, HOST_PATTERN } from './commands.js';
import { derive, fail, isoMs, isoSec, loanLine, newServer, ok } from './format.js';
import type {
  ApplyResult,
  BoardCommand,
  ClusterNodeRecord,
  CommandMeta,
  EpochSeconds,
  NodeStats,
  RegisteredUser,
  Server,
  ServerInput,
  UserRequest,
} from './types.js';

/** The board's mutable data (the Board class owns it; history and idempotency live there). */
export interface BoardData {
  servers: Map<string, Server>;
  /** by username */
  users: Map<string, RegisteredUser>;
  /** by node id */
  nodes: Map<string, ClusterNodeRecord>;
  /** checks, notification targets, verdicts, alerts, remote instances (issue 12) */
  monitoring: MonitoringData;
  /** worker loans between farms (issue 13) */
  loans: LoansData;
}

export type HistoryRow = Pick<UserRequest, 'user' | 'serverHost' | 'comment'> & { details?: Record<string, unknown> };

/** What one apply is doing: its time, who asked and the history rows it will leave. */
export interface Ctx {
  index: number;
  /** ms since the epoch, from the entry */
  at: number;
  /** floor(at / 1000) */
  now: EpochSeconds;
  meta: CommandMeta;
  /** the command's own history row; null leaves none (an expire that found nothing to end) */
  main: HistoryRow | null;
  /** rows that follow the main one (queue grants) */
  extra: UserRequest[];
  /** set when the board's data changed (lastUpdate moves) */
  changed: boolean;
}

type Cmd<T extends BoardCommand['type']> = Extract<BoardCommand, { type: T }>;

const SYSTEM_USER = 'system';

/** Applies one validated command to the data; refusals are results and leave the data unchanged. */
export function applyCommand(d: BoardData, c: BoardCommand, ctx: Ctx): ApplyResult {
  switch (c.type) {
    case 'reserve':
      return reserve(d, c, ctx);
    case 'release':
      return release(d, c, ctx);
    case 'extend':
      return extend(d, c, ctx);
    case 'queue':
      return enqueue(d, c, ctx);
    case 'unqueue':
      return unqueue(d, c, ctx);
    case 'expire':
      return expire(d, c, ctx);
    case 'server-add':
      return serverAdd(d, c, ctx);
    case 'server-update':
      return withServer(d, c.host, (s) => {
        applyInventory(s, c.patch, ctx);
        return ok({ server: structuredClone(s) });
      });
    case 'server-remove':
      return serverRemove(d, c, ctx);
    case 'servers-import':
      return serversImport(d, c, ctx);
    case 'maintenance':
      return withServer(d, c.host, (s) => {
        let changed = applyInventory(s, { maintenance: c.on }, ctx);
        if (c.on && c.reason !== undefined && c.reason !== s.maintenanceReason) {
          // a new reason for a server already in maintenance: who gave it changes, the since does not
          Object.assign(s, { maintenanceReason: c.reason, maintenanceBy: ctx.meta.user });
          changed = ctx.changed = true;
        }
        if (ctx.main && c.reason) ctx.main.comment = c.reason;
        return ok({ server: structuredClone(s), changed });
      });
    case 'user-register':
      return userRegister(d, c, ctx);
    case 'cluster-register':
      return clusterRegister(d, c, ctx);
    case 'serving':
      return serving(d, c, ctx);
    case 'presence':
      return presence(d, c, ctx);
    case 'check-add':
    case 'check-update':
    case 'check-remove':
    case 'notify-add':
    case 'notify-remove':
    case 'monitor-settings':
    case 'verdict':
    case 'alert-delivery':
    case 'instance-register':
    case 'instance-remove':
      // the master's bookkeeping leaves a row only when it changes something (a verdict change)
      if (c.type === 'verdict' || c.type === 'alert-delivery') ctx.main = null;
      return applyMonitor(d.monitoring, c, {
        index: ctx.index,
        at: ctx.at,
        user: ctx.meta.user,
        inMaintenance: (host) => d.servers.get(host)?.maintenance === true,
        describe: (serverHost, comment, details) => {
          ctx.main = { user: ctx.meta.user, serverHost, comment, ...(details ? { details } : {}) };
        },
        touch: () => {
          ctx.changed = true;
        },
      });
    case 'loan-start':
    case 'loan-renew':
    case 'loan-end':
      return loan(d, c, ctx);
  }
}

/**
 * A loan command: a start and an end leave a readable history row (the host is the worker's name when
 * it is a host name, so the board's "On loan" row and its history meet); a renewal and the repeated
 * end of an ended loan leave none. A refusal leaves its row (the default one).
 */
function loan(d: BoardData, c: Cmd<'loan-start' | 'loan-renew' | 'loan-end'>, ctx: Ctx): ApplyResult {
  const r = applyLoan(d.loans, c, ctx.at);
  if (!r.ok) return r;
  const v = r.value as { loan: Loan; changed?: boolean };
  if (c.type === 'loan-renew' || v.changed === false) {
    ctx.main = null;
    return r;
  }
  const name = v.loan.workerName ?? '';
  const details: Record<string, unknown> = { loanId: v.loan.id, workerId: v.loan.workerId, direction: v.loan.direction, farm: v.loan.peer.clusterId, until: v.loan.until };
  if (c.type === 'loan-end') details.reason = c.reason;
  ctx.main = { user: ctx.meta.user, serverHost: HOST_PATTERN.test(name) ? name : '', comment: loanLine(v.loan), details };
  ctx.changed = true;
  return r;
}

// -- reservations ------------------------------------------------------------------------------

function reserve(d: BoardData, c: Cmd<'reserve'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    if (s.maintenance) {
      return fail(ErrorCode.Conflict, `${s.host} is in maintenance and cannot be reserved until maintenance ends`, { maintenance: true });
    }
    if (s.holder !== null) {
      const until = s.until ?? 0;
      if (s.holder === c.user) {
        return fail(ErrorCode.Conflict, `you already hold ${s.host} until ${isoSec(until)}; extend the reservation instead`, {
          holder: s.holder,
          until,
        });
      }
      return fail(ErrorCode.Conflict, `${s.host} is reserved by ${s.holder} until ${isoSec(until)}`, { holder: s.holder, until });
    }
    // a duration is turned into an end here, with the entry's committed time, on every replica alike
    const until = c.durationSec !== undefined ? ctx.now + c.durationSec : (c.until ?? 0);
    const bad = checkUntil(until, ctx.at);
    if (bad) return bad;
    hold(s, c.user, until, c.comment ?? '', ctx.meta.nodeId, ctx);
    return ok({ server: structuredClone(s) });
  });
}

function release(d: BoardData, c: Cmd<'release'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    if (s.holder === null) return fail(ErrorCode.Conflict, `${s.host} is not reserved`, { holder: null });
    if (s.holder !== c.user && c.force !== true) {
      return fail(ErrorCode.Forbidden, `${s.host} is reserved by ${s.holder}; only ${s.holder} can release it (an admin may force it)`, {
        holder: s.holder,
      });
    }
    const released = s.holder;
    free(s, ctx);
    const grantedTo = grantNext(s, ctx);
    if (ctx.main) ctx.main.details = { holder: released, forced: released !== c.user };
    return ok({ server: structuredClone(s), released, grantedTo });
  });
}

function extend(d: BoardData, c: Cmd<'extend'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    if (s.holder === null || s.until === null) return fail(ErrorCode.Conflict, `${s.host} is not reserved`, { holder: null });
    if (s.holder !== c.user) {
      return fail(ErrorCode.Forbidden, `${s.host} is reserved by ${s.holder}; only ${s.holder} can extend it`, { holder: s.holder });
    }
    // "extend by N seconds" adds to the end as it stands when this entry applies (or to the entry's
    // time if that end has passed and its expire is not applied yet): every replica computes the same
    const until = c.durationSec !== undefined ? Math.max(s.until, ctx.now) + c.durationSec : (c.until ?? 0);
    if (c.durationSec === undefined && until <= s.until) {
      return fail(ErrorCode.BadRequest, `the new end ${isoSec(until)} must be after the current end ${isoSec(s.until)}`, {
        field: 'until',
        until: s.until,
      });
    }
    const bad = checkUntil(until, ctx.at);
    if (bad) return bad;
    const previous = s.until;
    s.until = until;
    ctx.changed = true;
    if (ctx.main) ctx.main.details = { previousUntil: previous, until };
    return ok({ server: structuredClone(s) });
  });
}

function enqueue(d: BoardData, c: Cmd<'queue'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    if (s.holder === c.user) {
      return fail(ErrorCode.Conflict, `you already hold ${s.host}; extend the reservation instead of queueing`, { holder: s.holder });
    }
    const pos = s.queue.findIndex((q) => q.user === c.user);
    if (pos >= 0) return fail(ErrorCode.Conflict, `${c.user} is already queued for ${s.host}`, { position: pos + 1 });
    if (s.holder === null && !s.maintenance && s.queue.length === 0) {
      hold(s, c.user, ctx.now + c.durationSec, c.comment ?? '', ctx.meta.nodeId, ctx);
      return ok({ server: structuredClone(s), granted: true, position: 0 });
    }
    if (s.queue.length >= BoardLimits.queueLen) {
      return fail(ErrorCode.Conflict, `the queue for ${s.host} is full (${BoardLimits.queueLen} users)`, { queueLength: s.queue.length });
    }
    s.queue.push({ user: c.user, durationSec: c.durationSec, comment: c.comment ?? '', since: ctx.now });
    ctx.changed = true;
    return ok({ server: structuredClone(s), granted: false, position: s.queue.length });
  });
}

function unqueue(d: BoardData, c: Cmd<'unqueue'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    const pos = s.queue.findIndex((q) => q.user === c.user);
    if (pos < 0) return fail(ErrorCode.NotFound, `${c.user} is not queued for ${s.host}`, { user: c.user });
    s.queue.splice(pos, 1);
    ctx.changed = true;
    return ok({ server: structuredClone(s) });
  });
}

/** Ends a hold only if it still ends at exactly `until` and that time has come. */
function expire(d: BoardData, c: Cmd<'expire'>, ctx: Ctx): ApplyResult {
  ctx.main = null;
  const s = d.servers.get(c.host);
  if (!s || s.holder === null || s.until !== c.until || ctx.at < c.until * 1000) return ok({ released: false });
  const holder = s.holder;
  free(s, ctx);
  ctx.main = { user: SYSTEM_USER, serverHost: s.host, comment: '', details: { holder, until: c.until } };
  const grantedTo = grantNext(s, ctx);
  return ok({ released: true, holder, grantedTo, server: structuredClone(s) });
}

function hold(s: Server, user: string, until: EpochSeconds, comment: string, node: string | null, ctx: Ctx): void {
  s.holder = user;
  s.until = until;
  s.since = ctx.now;
  s.comment = comment;
  s.holderNode = node;
  derive(s);
  ctx.changed = true;
}

function free(s: Server, ctx: Ctx): void {
  s.holder = null;
  s.until = null;
  s.holderNode = null;
  s.comment = '';
  s.since = ctx.now;
  derive(s);
  ctx.changed = true;
}

/** Hands a free server (not in maintenance) to the first queued user; returns who got it. */
function grantNext(s: Server, ctx: Ctx): string | null {
  if (s.holder !== null || s.maintenance) return null;
  const next = s.queue.shift();
  if (!next) return null;
  const until = ctx.now + next.durationSec;
  // the queued user's node is not recorded in the queue entry, so holderNode stays unknown
  hold(s, next.user, until, next.comment, null, ctx);
  const r: HistoryRow = { user: next.user, serverHost: s.host, comment: next.comment, details: { until, durationSec: next.durationSec } };
  ctx.extra.push(historyRow(ctx, 'grant', r, { ok: true }));
  return next.user;
}

// -- inventory ---------------------------------------------------------------------------------

function serverAdd(d: BoardData, c: Cmd<'server-add'>, ctx: Ctx): ApplyResult {
  if (d.servers.has(c.server.host)) return fail(ErrorCode.Conflict, `${c.server.host} already exists`, { host: c.server.host });
  const s = newServer(c.server.host);
  applyInventory(s, c.server, ctx, true);
  d.servers.set(s.host, s);
  ctx.changed = true;
  return ok({ server: structuredClone(s) });
}

function serverRemove(d: BoardData, c: Cmd<'server-remove'>, ctx: Ctx): ApplyResult {
  return withServer(d, c.host, (s) => {
    if (s.holder !== null) {
      return fail(ErrorCode.Conflict, `${s.host} is reserved by ${s.holder} until ${isoSec(s.until ?? 0)}; release it first`, {
        holder: s.holder,
        until: s.until,
      });
    }
    d.servers.delete(s.host);
    ctx.changed = true;
    return ok({ removed: s.host, droppedQueue: s.queue.map((q) => q.user) });
  });
}

function serversImport(d: BoardData, c: Cmd<'servers-import'>, ctx: Ctx): ApplyResult {
  const listed = new Set<string>();
  for (const [i, input] of c.servers.entries()) {
    if (listed.has(input.host)) {
      return fail(ErrorCode.BadRequest, `invalid servers-import command: servers.${i}.host: ${input.host} is listed twice`, {
        field: `servers.${i}.host`,
        host: input.host,
      });
    }
    listed.add(input.host);
  }
  const removed = c.replace === true ? [...d.servers.values()].filter((s) => !listed.has(s.host)) : [];
  const held = removed.filter((s) => s.holder !== null).map((s) => s.host);
  if (held.length > 0) {
    const shown = held.slice(0, 10).join(', ') + (held.length > 10 ? ', ...' : '');
    return fail(ErrorCode.Conflict, `cannot replace the inventory: ${held.length} server(s) it would remove are reserved (${shown})`, {
      held: held.slice(0, 100),
    });
  }
  for (const s of removed) d.servers.delete(s.host);
  let added = 0;
  let updated = 0;
  for (const input of c.servers) {
    const s = d.servers.get(input.host);
    if (s) {
      if (applyInventory(s, input, ctx)) updated++;
    } else {
      const fresh = newServer(input.host);
      applyInventory(fresh, input, ctx, true);
      d.servers.set(fresh.host, fresh);
      added++;
    }
  }
  if (added + updated + removed.length > 0) ctx.changed = true;
  if (ctx.main) ctx.main.details = { added, updated, removed: removed.length };
  return ok({ added, updated, removed: removed.length });
}

/** Sets inventory fields; a maintenance change starts a new state (since) and may grant the queue. */
function applyInventory(s: Server, input: Omit<ServerInput, 'host'>, ctx: Ctx, isNew = false): boolean {
  let changed = false;
  for (const key of ['app', 'ip', 'env', 'comment'] as const) {
    const v = input[key];
    if (v !== undefined && s[key] !== v) {
      s[key] = v;
      changed = true;
    }
  }
  if (input.maintenance !== undefined && input.maintenance !== s.maintenance) {
    s.maintenance = input.maintenance;
    if (!isNew) s.since = ctx.now;
    if (s.maintenance) Object.assign(s, { maintenanceReason: '', maintenanceBy: ctx.meta.user, maintenanceSince: ctx.now });
    else {
      delete s.maintenanceReason;
      delete s.maintenanceBy;
      delete s.maintenanceSince;
    }
    changed = true;
  }
  derive(s);
  if (!isNew && !s.maintenance) grantNext(s, ctx);
  if (changed) ctx.changed = true;
  return changed;
}

// -- registries (seeds 001 and 002) ------------------------------------------------------------

function userRegister(d: BoardData, c: Cmd<'user-register'>, ctx: Ctx): ApplyResult {
  if (d.users.has(c.username)) {
    return fail(ErrorCode.Conflict, `username ${c.username} is already registered; pick another name`, { username: c.username });
  }
  for (const u of d.users.values()) {
    if (u.user_id === c.userId) return fail(ErrorCode.Conflict, `user id ${c.userId} is already in use`, { userId: c.userId });
  }
  const user: RegisteredUser = { user_id: c.userId, username: c.username, addr: c.addr, registeredAt: ctx.now };
  d.users.set(c.username, user);
  ctx.changed = true;
  if (ctx.main) ctx.main.details = { username: c.username };
  return ok({ user: { ...user } });
}

function clusterRegister(d: BoardData, c: Cmd<'cluster-register'>, ctx: Ctx): ApplyResult {
  const prev = d.nodes.get(c.node.id);
  const stamp = isoMs(ctx.at);
  const node: ClusterNodeRecord = {
    ...structuredClone(c.node),
    createdAt: prev?.createdAt ?? stamp,
    serving: prev?.serving ?? true,
    servingChangedAt: prev?.servingChangedAt ?? stamp,
  };
  d.nodes.set(node.id, node);
  ctx.changed = true;
  if (ctx.main) ctx.main.details = { nodeId: node.id };
  return ok({ node: structuredClone(node), created: prev === undefined });
}

function serving(d: BoardData, c: Cmd<'serving'>, ctx: Ctx): ApplyResult {
  const node = d.nodes.get(c.nodeId);
  if (!node) return fail(ErrorCode.NotFound, `no cluster node with id ${c.nodeId} is registered`, { nodeId: c.nodeId });
  if (ctx.main) ctx.main.details = { nodeId: c.nodeId, enabled: c.enabled };
  if (node.serving !== c.enabled) {
    node.serving = c.enabled;
    node.servingChangedAt = isoMs(ctx.at);
    ctx.changed = true;
  }
  return ok({ node: structuredClone(node) });
}

/**
 * Batched heartbeats: each lastSeen only moves forward and never past the entry's own time (a
 * sender with a fast clock cannot keep someone online). Unknown names are skipped, not refused: a
 * user or node may have been registered after the batch was gathered. No history row, and the
 * board's lastUpdate does not move: presence is not a change of the reservation board.
 */
function presence(d: BoardData, c: Cmd<'presence'>, ctx: Ctx): ApplyResult {
  ctx.main = null;
  let users = 0;
  let nodes = 0;
  for (const p of c.users) {
    const u = d.users.get(p.username);
    const at = Math.min(p.at, ctx.at);
    if (!u || at <= (u.lastSeen ?? -1)) continue;
    u.lastSeen = at;
    u.lastAddr = p.addr;
    users++;
  }
  for (const p of c.nodes) {
    const n = d.nodes.get(p.id);
    const at = Math.min(p.at, ctx.at);
    if (!n || at <= (n.lastSeenMs ?? -1)) continue;
    n.lastSeenMs = at;
    n.reportedStatus = p.status;
    const stats: NodeStats = {};
    if (p.load !== undefined) stats.load = p.load;
    if (p.memory !== undefined) stats.memory = p.memory;
    if (p.connections !== undefined) stats.connections = p.connections;
    n.stats = stats;
    nodes++;
  }
  return ok({ users, nodes });
}

// -- bookkeeping -------------------------------------------------------------------------------

function withServer(d: BoardData, host: string, fn: (s: Server) => ApplyResult): ApplyResult {
  const s = d.servers.get(host);
  if (!s) return fail(ErrorCode.NotFound, `server ${host} does not exist`, { host });
  return fn(s);
}

/** One history row stamped with the entry's time, index and origin. */
export function historyRow(ctx: Ctx, operation: string, r: HistoryRow, result: ApplyResult): UserRequest {
  const out: UserRequest = {
    nodeIP: ctx.meta.nodeIP,
    timestamp: ctx.now,
    operation,
    serverHost: r.serverHost,
    comment: r.comment,
    id: ctx.index,
    user: r.user,
    nodeId: ctx.meta.nodeId,
    result: result.ok ? 'ok' : 'error',
  };
  if (!result.ok) out.errorCode = result.error.code;
  const details = result.ok ? r.details : result.error.details;
  if (details && Object.keys(details).length > 0) out.details = structuredClone(details);
  return out;
}

/** until (epoch seconds) must be in the future and at most 30 days after the entry's time. */
function checkUntil(until: EpochSeconds, at: number): ApplyResult | null {
  if (until * 1000 <= at) {
    return fail(ErrorCode.BadRequest, `until ${isoSec(until)} is not in the future`, { field: 'until', until, now: Math.floor(at / 1000) });
  }
  const max = Math.floor((at + BoardLimits.maxHoldSec * 1000) / 1000);
  if (until > max) {
    return fail(ErrorCode.BadRequest, `the hold would end ${isoSec(until)}, more than ${BoardLimits.maxHoldSec / 86400} days ahead (latest ${isoSec(max)})`, {
      field: 'until',
      max,
    });
  }
  return null;
}
