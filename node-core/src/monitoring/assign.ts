// Which locations run which check: the master gives each enabled check to the top K locations of its
// pool by rendezvous (HRW) hashing of (checkId, nodeId). Pure and cached: recomputed only when the pool,
// the checks or K change (README "Monitoring", loans-spec "Why loans can relieve load").
/*
 * HRW: every (check, location) pair gets a score from a cheap 32-bit hash; a check goes to the K
 * highest-scoring locations. When a location leaves, only the checks it held move (each to the next
 * location in its own ranking); when one joins it takes about K/n of the checks. Every master computes
 * the same assignment from the same pool, so a failover changes nothing that the pool does not.
 */
import { createHash } from 'node:crypto';
import type { CheckDef } from './types.js';

/** a home location is in the pool while its last report is at most this old (master clock) */
export const POOL_FRESH_MS = 10_000;
/** ids one assignment message carries at most (the board holds at most 10,000 checks) */
export const MAX_ASSIGN_IDS = 10_000;
/** an assignment version is at most this long */
export const MAX_ASSIGN_VERSION = 64;

/** what the master pushes to a location: the check ids it runs, and a version naming that set */
export interface AssignmentPush {
  version: string;
  ids: number[];
}

/** FNV-1a, 32 bits, over UTF-16 code units (node ids are short ASCII) */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3's finaliser: every input bit flips about half the output bits */
function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** the HRW score of (checkId, a node whose fnv1a32 is nodeHash) */
export function hrwScore(checkId: number, nodeHash: number): number {
  const lo = checkId >>> 0;
  const hi = Math.floor(checkId / 4_294_967_296) >>> 0;
  return mix32(nodeHash ^ mix32(lo ^ mix32(hi + 0x9e3779b9)));
}

/** the top k of `pool` for one check (all of it when k is 0 or not below its size); ties by node id */
export function topK(checkId: number, pool: ReadonlyArray<{ id: string; hash: number }>, k: number): string[] {
  if (k <= 0 || k >= pool.length) return pool.map((p) => p.id);
  const best: Array<{ id: string; score: number }> = [];
  for (const p of pool) {
    const score = hrwScore(checkId, p.hash);
    if (best.length === k) {
      const last = best[k - 1]!;
      if (score < last.score || (score === last.score && p.id > last.id)) continue;
      best.pop();
    }
    let i = best.length;
    while (i > 0 && (best[i - 1]!.score < score || (best[i - 1]!.score === score && best[i - 1]!.id > p.id))) i--;
    best.splice(i, 0, { id: p.id, score });
  }
  return best.map((b) => b.id);
}

/** a version that names a set of ids (the same set gives the same version on every master) */
export function assignVersion(ids: readonly number[]): string {
  return `${ids.length}-${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16)}`;
}

const EMPTY: AssignmentPush = Object.freeze({ version: assignVersion([]), ids: [] }) as AssignmentPush;

/** The master's assignment of checks to its pool, recomputed only when its inputs change. */
export class Assigner {
  /** checkId → the locations it runs on */
  private byCheck = new Map<number, ReadonlySet<string>>();
  /** nodeId → its checks, ascending */
  private byNode = new Map<string, number[]>();
  private versions = new Map<string, string>();
  private poolKey = '';
  private computed = false;
  private dirty = true;
  recomputes = 0;

  /** the checks (or K) changed: the next update recomputes */
  invalidate(): void {
    this.dirty = true;
  }

  /** true once an assignment was computed (before it, every location votes as it did without one) */
  get ready(): boolean {
    return this.computed;
  }

  /** Recomputes when the pool, the checks or K changed; true when it did. `pool` need not be sorted. */
  update(checks: Iterable<CheckDef>, pool: readonly string[], k: number): boolean {
    const sorted = [...pool].sort();
    const key = `${k}|${sorted.join('\u0000')}`;
    if (!this.dirty && key === this.poolKey) return false;
    this.dirty = false;
    this.poolKey = key;
    this.computed = true;
    this.recomputes++;
    const members = sorted.map((id) => ({ id, hash: fnv1a32(id) }));
    const all: ReadonlySet<string> = new Set(sorted);
    const everyone = k <= 0 || k >= members.length;
    this.byCheck = new Map();
    this.byNode = new Map(sorted.map((id) => [id, []]));
    this.versions = new Map();
    const ids = [...checks].filter((c) => c.enabled).map((c) => c.id).sort((a, b) => a - b);
    for (const id of ids) {
      const chosen = everyone ? sorted : topK(id, members, k);
      this.byCheck.set(id, everyone ? all : new Set(chosen));
      for (const n of chosen) this.byNode.get(n)!.push(id);
    }
    return true;
  }

  /** true when `nodeId` is assigned `checkId` */
  has(checkId: number, nodeId: string): boolean {
    return this.byCheck.get(checkId)?.has(nodeId) ?? false;
  }

  /** the locations of a check */
  locationsOf(checkId: number): string[] {
    return [...(this.byCheck.get(checkId) ?? [])];
  }

  count(nodeId: string): number {
    return this.byNode.get(nodeId)?.length ?? 0;
  }

  /** what `nodeId` runs (empty when it is not in the pool: a lent or silent location) */
  forNode(nodeId: string): AssignmentPush {
    const ids = this.byNode.get(nodeId);
    if (!ids || ids.length === 0) return EMPTY;
    let version = this.versions.get(nodeId);
    if (version === undefined) this.versions.set(nodeId, (version = assignVersion(ids)));
    return { version, ids };
  }
}
