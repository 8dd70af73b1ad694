// The loan decisions as pure functions (no sockets, no clock of their own): when a farm is saturated
// (sustained, with hysteresis), how many workers to ask for and whom first, what a lender grants, when
// to return or recall, and what to do with a lease. loan-manager.ts feeds them and acts on the answers.
import { MAX_WORKERS_PER_REQUEST } from './types.js';

/** a farm is saturated when its worst location lags more than lagMs or its busiest uses more than cpu */
export interface LoanThresholds {
  lagMs: number;
  cpu: number;
  /** the condition must hold this long (ms) before the master borrows, and calm this long before it returns */
  sustainMs: number;
}

export interface LoadSample {
  lagP99Ms: number;
  cpu: number;
}

/** over a threshold */
export function overloaded(load: LoadSample, t: LoanThresholds): boolean {
  return load.lagP99Ms > t.lagMs || load.cpu > t.cpu;
}

/** under half of both thresholds: the band between half and full is the hysteresis */
export function calm(load: LoadSample, t: LoanThresholds): boolean {
  return load.lagP99Ms < t.lagMs / 2 && load.cpu < t.cpu / 2;
}

/**
 * Tracks since when the farm has been over a threshold and since when it has been calm, each reset by
 * one sample out of its band. `saturated()` and `relaxed()` say whether the state held for sustainMs.
 */
export class SaturationDetector {
  overSince: number | null = null;
  calmSince: number | null = null;

  constructor(private t: LoanThresholds) {}

  setThresholds(t: LoanThresholds): void {
    this.t = t;
  }

  update(now: number, load: LoadSample): void {
    if (overloaded(load, this.t)) this.overSince ??= now;
    else this.overSince = null;
    if (calm(load, this.t)) this.calmSince ??= now;
    else this.calmSince = null;
  }

  /** over a threshold for at least sustainMs */
  saturated(now: number): boolean {
    return this.overSince !== null && now - this.overSince >= this.t.sustainMs;
  }

  /** under half the thresholds for at least sustainMs */
  relaxed(now: number): boolean {
    return this.calmSince !== null && now - this.calmSince >= this.t.sustainMs;
  }

  reset(): void {
    this.overSince = null;
    this.calmSince = null;
  }
}

/**
 * How many workers a saturated master asks for: max(1, needed - pool), within what loanMaxWorkers still
 * allows (0: it may not borrow more) and at most MAX_WORKERS_PER_REQUEST.
 */
export function workersToAsk(a: { needed: number; pool: number; borrowed: number; maxWorkers: number }): number {
  const room = a.maxWorkers - a.borrowed;
  if (room <= 0) return 0;
  return Math.min(Math.max(1, a.needed - a.pool), room, MAX_WORKERS_PER_REQUEST);
}

export interface NeighbourChoice {
  key: string;
  source: 'config' | 'lan';
  /** position in loanNeighbours (config ones) */
  configIndex: number;
  up: boolean;
  trusted: boolean;
  /** active loans borrowed from it */
  borrowedFrom: number;
  /** it refused (NACK) or its workers never came, until this time: asked only after the others */
  penaltyUntil: number;
}

/**
 * Whom to ask, in order: neighbours that answer heartbeats; configured ones first in their order, then
 * LAN ones, trusted first, then by fewest workers already borrowed from them. One that refused or whose
 * workers never connected lately goes after all others (it is still asked if nobody else can help).
 */
export function orderNeighbours<T extends NeighbourChoice>(list: readonly T[], now: number): T[] {
  const rank = (n: T): number[] => [n.penaltyUntil > now ? 1 : 0, n.source === 'config' ? 0 : 1, n.source === 'config' ? n.configIndex : n.trusted ? 0 : 1, n.borrowedFrom];
  return list
    .filter((n) => n.up)
    .map((n) => ({ n, r: rank(n) }))
    .sort((a, b) => {
      for (let i = 0; i < a.r.length; i++) if (a.r[i] !== b.r[i]) return a.r[i]! - b.r[i]!;
      return a.n.key < b.n.key ? -1 : a.n.key > b.n.key ? 1 : 0;
    })
    .map((x) => x.n);
}

/** a home node as the lender's master sees it */
export interface LendCandidate {
  nodeId: string;
  name: string | null;
  /** heard within the liveness window */
  alive: boolean;
  master: boolean;
  /** in maintenance (not serving, or its board server is in maintenance) */
  maintenance: boolean;
  /** named by an active `out` loan already */
  lent: boolean;
  /** its `lendable` setting (false on desktops by default) */
  lendable: boolean;
  /** checks assigned to it now: the least busy are lent first */
  assigned: number;
}

export type Grant = { ok: true; workers: LendCandidate[] } | { ok: false; reason: string };

/** a WORKER_REQUEST's count is an integer in 1..MAX_WORKERS_PER_REQUEST; the reason otherwise */
export function badRequestCount(n: unknown): string | null {
  if (typeof n !== 'number' || !Number.isInteger(n)) return 'WORKERS_NEEDED must be an integer';
  if (n < 1) return 'WORKERS_NEEDED must be at least 1';
  if (n > MAX_WORKERS_PER_REQUEST) return `WORKERS_NEEDED must be at most ${MAX_WORKERS_PER_REQUEST}`;
  return null;
}

/**
 * What the lender grants: min(n, lendable nodes, home - neededOwn). Lendable: alive, not the master,
 * not in maintenance, not already lent, lendable setting on. `home` counts the farm's own locations not
 * lent out; it never lends below its own needs.
 */
export function lenderGrant(n: unknown, candidates: readonly LendCandidate[], home: number, neededOwn: number): Grant {
  const bad = badRequestCount(n);
  if (bad) return { ok: false, reason: bad };
  const eligible = candidates.filter((c) => c.alive && !c.master && !c.maintenance && !c.lent && c.lendable);
  const spare = home - neededOwn;
  const count = Math.min(n as number, eligible.length, Math.max(0, spare));
  if (count <= 0) {
    const reason = eligible.length === 0 ? 'no lendable worker (alive, not the master, not in maintenance, not lent, lendable)' : 'this farm needs all its workers for its own load';
    return { ok: false, reason };
  }
  const sorted = [...eligible].sort((a, b) => a.assigned - b.assigned || (a.nodeId < b.nodeId ? -1 : 1));
  return { ok: true, workers: sorted.slice(0, count) };
}

/**
 * The borrower gives its newest loan back when it has been calm (under half the thresholds) for
 * sustainMs and its pool minus that worker still covers what the load needs.
 */
export function shouldReturn(a: { relaxed: boolean; pool: number; needed: number; borrowed: number }): boolean {
  return a.borrowed > 0 && a.relaxed && a.pool - 1 >= a.needed;
}

/**
 * The lender takes its newest loan back when its own farm is saturated (sustained) or its own
 * locations no longer cover its own needs.
 */
export function shouldRecall(a: { lent: number; saturated: boolean; home: number; neededOwn: number }): boolean {
  return a.lent > 0 && (a.saturated || a.home < a.neededOwn);
}

export type LeaseAction = 'renew' | 'expire' | 'keep';

/**
 * A lease ends `expired` once `until` passed; it is renewed when less than half of leaseMs is left and
 * the other farm answered a heartbeat naming the loan within the last 3 heartbeats (heardAt, ms).
 */
export function leaseAction(a: { until: number; now: number; leaseMs: number; heardAt: number | null; heartbeatMs: number }): LeaseAction {
  if (a.now >= a.until) return 'expire';
  const heard = a.heardAt !== null && a.now - a.heardAt <= 3 * a.heartbeatMs;
  if (a.until - a.now < a.leaseMs / 2 && heard) return 'renew';
  return 'keep';
}

/** a newest-first pick of the loan to return or recall */
export function newest<T extends { since: number; id: string }>(loans: readonly T[]): T | null {
  let best: T | null = null;
  for (const l of loans) if (!best || l.since > best.since || (l.since === best.since && l.id > best.id)) best = l;
  return best;
}
