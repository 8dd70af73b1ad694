// Who is online (seed 001's clients, seed 002's cluster nodes): heartbeats land here in memory and
// are committed to the replicated log in batches ('presence' command), so a new leader starts from
// the replicated lastSeen instead of an empty list.
//
// Design: a heartbeat is recorded locally at once. A user or node that was offline (no lastSeen
// younger than the timeout, local or replicated) is committed within `urgentMs`; one already online
// is refreshed at most every `refreshMs`, all dirty entries in one command. Going offline needs no
// commit: "online" is computed at read time as now - max(local, replicated lastSeen) < timeout.
// With refreshMs + one client heartbeat interval < timeout, every client that kept heartbeating
// the old leader is still online on the new one. Any node may flush (submit forwards to the master),
// and a failed flush (no quorum, election) keeps the entries dirty and retries quietly.
import { randomUUID } from 'node:crypto';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import type { NodeHandle } from './api/node-handle.js';
import { BoardLimits } from './board/commands.js';
import type { NodeStats, PresenceNodeBeat, PresenceUserBeat } from './board/types.js';
import { toPeerboardError } from './errors.js';
import type { Logger } from './log.js';

export interface PresenceOptions {
  /** a client is online while its last heartbeat is younger than this (seed 001: 30 s) */
  clientTimeoutMs: number;
  /** a cluster node is active while its last heartbeat is younger than this (seed 002's nodeTimeout: 60 s) */
  nodeTimeoutMs: number;
  /** heartbeats of entries already online are committed at most this often, batched */
  refreshMs: number;
  /** delay before an entry that just came online is committed (gathers a burst into one command) */
  urgentMs: number;
  /** the heartbeat interval seed 002's /cluster/status advertises to nodes (30 s) */
  heartbeatIntervalMs: number;
  /** the time a cluster health probe may take before the node counts as not responding */
  probeTimeoutMs: number;
}

export const DEFAULT_PRESENCE: Readonly<PresenceOptions> = {
  clientTimeoutMs: 30_000,
  nodeTimeoutMs: 60_000,
  refreshMs: 10_000,
  urgentMs: 20,
  heartbeatIntervalMs: 30_000,
  probeTimeoutMs: 1_000,
};

/** A node's merged heartbeat: the newest of the local and the replicated one. */
export interface NodeSeen extends NodeStats {
  at: number;
  status: string;
}

export interface OnlineUser {
  username: string;
  addr: string;
  /** ms since the epoch */
  lastSeen: number;
}

export class Presence {
  private readonly users = new Map<string, PresenceUserBeat>();
  private readonly nodes = new Map<string, PresenceNodeBeat>();
  private readonly dirtyUsers = new Set<string>();
  private readonly dirtyNodes = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;
  private flushing = false;

  constructor(
    private readonly node: NodeHandle,
    private readonly log: Logger,
    public opts: PresenceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a client heartbeat; returns its time. */
  beatUser(username: string, addr: string): number {
    const at = this.now();
    const prev = this.userSeen(username);
    const cameOnline = !prev || at - prev.lastSeen >= this.opts.clientTimeoutMs || prev.addr !== addr;
    this.users.set(username, { username, addr, at });
    this.dirtyUsers.add(username);
    this.schedule(cameOnline ? this.opts.urgentMs : this.opts.refreshMs);
    return at;
  }

  /** Records a cluster node heartbeat; returns its time. */
  beatNode(id: string, status: string, stats: NodeStats): number {
    const at = this.now();
    const prev = this.nodeSeen(id);
    const cameOnline = !prev || at - prev.at >= this.opts.nodeTimeoutMs || prev.status !== status;
    this.nodes.set(id, { id, at, status, ...stats });
    this.dirtyNodes.add(id);
    this.schedule(cameOnline ? this.opts.urgentMs : this.opts.refreshMs);
    return at;
  }

  /** A registered user's newest heartbeat (local or replicated), or null if none. */
  userSeen(username: string): OnlineUser | null {
    const local = this.users.get(username);
    const rec = this.node.users().find((u) => u.username === username);
    return mergeUser(local, rec);
  }

  /** Registered users whose newest heartbeat is younger than the client timeout, newest first. */
  onlineUsers(): OnlineUser[] {
    const now = this.now();
    const out: OnlineUser[] = [];
    for (const u of this.node.users()) {
      const seen = mergeUser(this.users.get(u.username), u);
      if (seen && now - seen.lastSeen < this.opts.clientTimeoutMs) out.push(seen);
    }
    return out.sort((a, b) => b.lastSeen - a.lastSeen || a.username.localeCompare(b.username));
  }

  /** A registered cluster node's newest heartbeat (local or replicated), or null if none. */
  nodeSeen(id: string): NodeSeen | null {
    const local = this.nodes.get(id);
    const rec = this.node.clusterNodes().find((n) => n.id === id);
    const replicated: NodeSeen | null =
      rec?.lastSeenMs !== undefined ? { at: rec.lastSeenMs, status: rec.reportedStatus ?? 'active', ...rec.stats } : null;
    if (local && (!replicated || local.at >= replicated.at)) {
      const { id: _id, ...rest } = local;
      return rest;
    }
    return replicated;
  }

  /** Commits the dirty heartbeats (one command, bounded); failures keep them dirty. */
  async flush(): Promise<void> {
    if (this.flushing || (this.dirtyUsers.size === 0 && this.dirtyNodes.size === 0)) return;
    this.flushing = true;
    const users = take(this.dirtyUsers, this.users, BoardLimits.presenceBatch);
    const nodes = take(this.dirtyNodes, this.nodes, BoardLimits.presenceBatch);
    let retryIn = this.opts.refreshMs;
    try {
      await this.node.submit({ type: 'presence', users, nodes }, { user: 'system', reqId: `presence:${randomUUID()}` });
      retryIn = this.dirtyUsers.size + this.dirtyNodes.size > 0 ? this.opts.urgentMs : this.opts.refreshMs;
    } catch (err) {
      // no quorum, an election, a stopped node: keep them dirty and try again later, quietly
      for (const u of users) this.dirtyUsers.add(u.username);
      for (const n of nodes) this.dirtyNodes.add(n.id);
      this.log.debug({ err: toPeerboardError(err).message, users: users.length, nodes: nodes.length }, 'presence not committed yet');
    } finally {
      this.flushing = false;
      this.prune();
    }
    if (this.dirtyUsers.size + this.dirtyNodes.size > 0) this.schedule(retryIn);
  }

  /** Cancels the pending flush (entries stay in memory). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    const due = this.now() + delayMs;
    if (this.timer && this.dueAt <= due) return;
    clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  /** Forgets local heartbeats older than twice their timeout (bounded memory). */
  private prune(): void {
    const now = this.now();
    for (const [k, u] of this.users) if (!this.dirtyUsers.has(k) && now - u.at > 2 * this.opts.clientTimeoutMs) this.users.delete(k);
    for (const [k, n] of this.nodes) if (!this.dirtyNodes.has(k) && now - n.at > 2 * this.opts.nodeTimeoutMs) this.nodes.delete(k);
  }
}

function mergeUser(local: PresenceUserBeat | undefined, rec: { username: string; addr: string; lastSeen?: number; lastAddr?: string } | undefined): OnlineUser | null {
  if (!rec) return null;
  const replicated = rec.lastSeen !== undefined ? { username: rec.username, addr: rec.lastAddr ?? rec.addr, lastSeen: rec.lastSeen } : null;
  if (local && (!replicated || local.at >= replicated.lastSeen)) return { username: local.username, addr: local.addr, lastSeen: local.at };
  return replicated;
}

function take<T>(dirty: Set<string>, from: Map<string, T>, max: number): T[] {
  const out: T[] = [];
  for (const k of [...dirty]) {
    if (out.length >= max) break;
    dirty.delete(k);
    const v = from.get(k);
    if (v) out.push(v);
  }
  return out;
}

// One Presence per node, shared by both HTTP ports and self-registration.
const byNode = new WeakMap<NodeHandle, Presence>();
const pendingOpts = new WeakMap<NodeHandle, Partial<PresenceOptions>>();

export function presenceFor(node: NodeHandle, logger: Logger): Presence {
  let p = byNode.get(node);
  if (!p) {
    p = new Presence(node, logger.child({ subsystem: 'presence' }), { ...DEFAULT_PRESENCE, ...pendingOpts.get(node) });
    byNode.set(node, p);
  }
  return p;
}

/** Tunes a node's presence timings (tests use short ones); applies now and to a Presence made later. */
export function configurePresence(node: NodeHandle, opts: Partial<PresenceOptions>): void {
  pendingOpts.set(node, { ...pendingOpts.get(node), ...opts });
  const p = byNode.get(node);
  if (p) p.opts = { ...p.opts, ...opts };
}

/** This machine's figures for seed 002's heartbeat metadata. */
export function osStats(): Required<NodeStats> {
  const load = loadavg()[0] ?? 0;
  const sockets = process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
  return {
    load: Math.round((load / Math.max(1, cpus().length)) * 100) / 100,
    memory: Math.round((1 - freemem() / Math.max(1, totalmem())) * 100) / 100,
    connections: sockets,
  };
}
