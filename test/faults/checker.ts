// The history checker of the fault runs: pure functions over a RunRecord that report every anomaly
// (overlapping acknowledged holds, lost acknowledged writes, reads going back, diverged replicas,
// crashed nodes). Sound by construction: it reports only what the recorded outcomes prove.
import { checkReads, checkReadsAgainstLog, readRegressAcrossRestart, readYourWritesMisses } from './checker-reads.js';
import type { HistoryRow, OpRecord, RunRecord } from './history.js';

export { checkReads, checkReadsAgainstLog, readRegressAcrossRestart, readYourWritesMisses };

export const AnomalyKind = {
  overlappingHolds: 'overlapping-holds',
  holdLost: 'hold-lost',
  logDoubleHold: 'log-double-hold',
  logForeignWrite: 'log-foreign-write',
  missingWrite: 'acknowledged-write-missing',
  extraWrite: 'unacknowledged-write-applied',
  lostReservation: 'lost-reservation',
  readRegress: 'read-regress',
  readNotInLog: 'read-not-in-committed-log',
  divergence: 'divergence',
  crash: 'node-crashed',
  noHistory: 'no-final-history',
  /** liveness, reported by the harness: no master with quorum came back after a fault was healed */
  noRecovery: 'no-recovery',
} as const;
export type AnomalyKind = (typeof AnomalyKind)[keyof typeof AnomalyKind];

export interface Anomaly {
  kind: AnomalyKind;
  message: string;
  details?: Record<string, unknown>;
}

export interface CheckOptions {
  /** an overlap shorter than this is not reported (ms) */
  marginMs: number;
}

export interface CheckStats {
  certainHolds: number;
  uncertainHolds: number;
  reads: number;
  readYourWritesMisses: number;
  /** reads of one client on one node whose index went down across a restart of that node (informational) */
  readRegressAcrossRestart: number;
}

export interface CheckResult {
  anomalies: Anomaly[];
  stats: CheckStats;
}

/** A stretch of real time during which `user` certainly held `host`. */
export interface Hold {
  host: string;
  user: string;
  start: number;
  /** ms: min(end of the hold by time, invoke of the next release that may have applied) */
  end: number;
  /** epoch seconds of the hold's end as last acknowledged */
  until: number;
  releasedAt: number | null;
  /** a pending unresolved release could have ended it at any moment: not usable */
  uncertain: boolean;
  reserveOp: number;
}

const key3 = (op: string, user: string, host: string) => `${op}\u0000${user}\u0000${host}`;

/** Counts of ok rows per (operation, user, host) in the committed history. */
function okRows(history: HistoryRow[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of history) if (r.result === 'ok') m.set(key3(r.operation, r.user, r.serverHost), (m.get(key3(r.operation, r.user, r.serverHost)) ?? 0) + 1);
  return m;
}

/**
 * Unknown writes that may have taken effect. With the committed history, a (op, user, host) group
 * whose ok rows equal its acknowledged oks proves that none of its unknown writes succeeded.
 */
function unresolvedUnknowns(ops: OpRecord[], history: HistoryRow[] | null): Set<number> {
  const out = new Set<number>();
  const rows = history ? okRows(history) : null;
  const groups = new Map<string, OpRecord[]>();
  for (const o of ops) {
    if (o.op === 'read') continue;
    const k = key3(o.op, o.user, o.host);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(o);
  }
  for (const [k, g] of groups) {
    const acked = g.filter((o) => o.outcome === 'ok').length;
    const resolved = rows !== null && (rows.get(k) ?? 0) === acked;
    if (!resolved) for (const o of g) if (o.outcome === 'unknown') out.add(o.id);
  }
  return out;
}

/** The holds the client outcomes prove, per host (a user's operations are sequential). */
export function certainHolds(ops: OpRecord[], history: HistoryRow[] | null, skewMs: number): Hold[] {
  const pending = unresolvedUnknowns(ops, history);
  const byUserHost = new Map<string, OpRecord[]>();
  for (const o of ops) {
    if (o.op === 'read' || o.outcome === 'fail') continue;
    const k = `${o.user}\u0000${o.host}`;
    if (!byUserHost.has(k)) byUserHost.set(k, []);
    byUserHost.get(k)!.push(o);
  }
  const holds: Hold[] = [];
  for (const list of byUserHost.values()) {
    list.sort((a, b) => a.invokeTime - b.invokeTime);
    const pendingReleases = list.filter((o) => o.op === 'release' && pending.has(o.id));
    const pendingReserves = list.filter((o) => o.op === 'reserve' && pending.has(o.id));
    let cur: Hold | null = null;
    const close = () => {
      if (cur) holds.push(cur);
      cur = null;
    };
    for (const o of list) {
      if (o.op === 'reserve' && o.outcome === 'ok' && typeof o.until === 'number') {
        close();
        // a release still in flight from before could end this hold at any moment
        const uncertain = pendingReleases.some((p) => p.invokeTime < o.completeTime);
        cur = { host: o.host, user: o.user, start: o.completeTime, end: 0, until: o.until, releasedAt: null, uncertain, reserveOp: o.id };
      } else if (o.op === 'release' && cur) {
        // ok or unknown: the hold may end from this release's invoke on
        const h: Hold = cur;
        h.releasedAt = o.invokeTime;
        close();
      } else if (o.op === 'extend' && o.outcome === 'ok' && typeof o.until === 'number' && cur) {
        // the extend found the hold alive at its commit; without a pending reserve that could have
        // re-created it after an expiry, that is the same hold, now ending no earlier than o.until
        const h: Hold = cur;
        if (!pendingReserves.some((p) => p.invokeTime < o.completeTime)) h.until = Math.max(h.until, o.until);
      }
    }
    close();
  }
  for (const h of holds) h.end = Math.min(h.until * 1000 - skewMs, h.releasedAt ?? Number.POSITIVE_INFINITY);
  return holds;
}

/** (a) two users certainly holding one host at the same time. */
export function checkOverlaps(holds: Hold[], marginMs: number): Anomaly[] {
  const out: Anomaly[] = [];
  const byHost = new Map<string, Hold[]>();
  for (const h of holds) if (!h.uncertain && h.end > h.start) (byHost.get(h.host) ?? byHost.set(h.host, []).get(h.host)!).push(h);
  for (const [host, hs] of byHost) {
    hs.sort((a, b) => a.start - b.start);
    for (let i = 0; i < hs.length; i++) {
      for (let j = i + 1; j < hs.length && hs[j]!.start < hs[i]!.end; j++) {
        const a = hs[i]!;
        const b = hs[j]!;
        const overlap = Math.min(a.end, b.end) - b.start;
        if (a.user !== b.user && overlap > marginMs) {
          out.push({ kind: AnomalyKind.overlappingHolds, message: `${host}: ${a.user} and ${b.user} both held it for ${overlap} ms`, details: { host, a, b, overlapMs: overlap } });
        }
      }
    }
  }
  return out;
}

/** (a) a write of the holder refused as "not reserved"/"held by another" while the hold was certain. */
export function checkLostHolds(ops: OpRecord[], holds: Hold[], skewMs: number, marginMs: number): Anomaly[] {
  const out: Anomaly[] = [];
  for (const o of ops) {
    if ((o.op !== 'release' && o.op !== 'extend') || o.outcome !== 'fail' || (o.status !== 409 && o.status !== 403)) continue;
    // the hold that this op's invoke closed (release) or that was open (extend)
    const h = holds.find((x) => !x.uncertain && x.user === o.user && x.host === o.host && x.start <= o.invokeTime && (x.releasedAt === null || x.releasedAt >= o.invokeTime));
    if (h && o.completeTime < h.until * 1000 - skewMs - marginMs) {
      out.push({ kind: AnomalyKind.holdLost, message: `${o.host}: ${o.user}'s ${o.op} was refused (${o.code ?? o.status}) while ${o.user} certainly held it`, details: { op: o, hold: h } });
    }
  }
  return out;
}

/** (a) in the committed order, no reserve succeeds while another user holds the server. */
export function checkLogOrder(history: HistoryRow[]): Anomaly[] {
  const out: Anomaly[] = [];
  const holder = new Map<string, string | null>();
  for (const r of [...history].sort((a, b) => a.id - b.id)) {
    if (r.result !== 'ok') continue;
    const cur = holder.get(r.serverHost) ?? null;
    switch (r.operation) {
      case 'reserve':
        if (cur !== null) out.push({ kind: AnomalyKind.logDoubleHold, message: `log index ${r.id}: ${r.user} reserved ${r.serverHost} while ${cur} held it`, details: { row: r, holder: cur } });
        holder.set(r.serverHost, r.user);
        break;
      case 'release':
        if (cur !== r.user && r.details?.forced !== true) out.push({ kind: AnomalyKind.logForeignWrite, message: `log index ${r.id}: ${r.user} released ${r.serverHost} held by ${cur ?? 'nobody'}`, details: { row: r, holder: cur } });
        holder.set(r.serverHost, null);
        break;
      case 'extend':
        if (cur !== r.user) out.push({ kind: AnomalyKind.logForeignWrite, message: `log index ${r.id}: ${r.user} extended ${r.serverHost} held by ${cur ?? 'nobody'}`, details: { row: r, holder: cur } });
        break;
      case 'expire':
        holder.set(r.serverHost, null);
        break;
      case 'grant':
      case 'queue-grant':
        holder.set(r.serverHost, r.user);
        break;
      default:
        break;
    }
  }
  return out;
}

/** (b) acknowledged writes appear in the committed history, and nothing more than was sent. */
export function checkHistoryCounts(ops: OpRecord[], history: HistoryRow[]): Anomaly[] {
  const out: Anomaly[] = [];
  const rows = okRows(history);
  const groups = new Map<string, { op: string; user: string; host: string; ok: number; unknown: number }>();
  for (const o of ops) {
    if (o.op === 'read') continue;
    const k = key3(o.op, o.user, o.host);
    const g = groups.get(k) ?? { op: o.op, user: o.user, host: o.host, ok: 0, unknown: 0 };
    if (o.outcome === 'ok') g.ok++;
    if (o.outcome === 'unknown') g.unknown++;
    groups.set(k, g);
  }
  for (const [k, g] of groups) {
    const n = rows.get(k) ?? 0;
    if (n < g.ok) out.push({ kind: AnomalyKind.missingWrite, message: `${g.user} ${g.op} ${g.host}: ${g.ok} acknowledged but ${n} in the committed history`, details: { ...g, rows: n } });
    if (n > g.ok + g.unknown) out.push({ kind: AnomalyKind.extraWrite, message: `${g.user} ${g.op} ${g.host}: ${n} in the committed history but only ${g.ok} ok + ${g.unknown} unknown sent`, details: { ...g, rows: n } });
  }
  for (const [k, n] of rows) {
    const [op, user] = k.split('\u0000');
    if (!groups.has(k) && (op === 'reserve' || op === 'release' || op === 'extend') && user?.startsWith('u')) {
      out.push({ kind: AnomalyKind.extraWrite, message: `${k.replaceAll('\u0000', ' ')}: ${n} committed but never sent`, details: { key: k, rows: n } });
    }
  }
  return out;
}

/** (b) a hold certain until after the final read is on the final board with at least that end. */
export function checkFinalBoard(holds: Hold[], board: Array<{ host: string; holder: string | null; until: number | null }>, finalTime: number, marginMs: number): Anomaly[] {
  const out: Anomaly[] = [];
  const byHost = new Map(board.map((s) => [s.host, s]));
  for (const h of holds) {
    if (h.uncertain || h.releasedAt !== null || h.end <= finalTime + marginMs) continue;
    const s = byHost.get(h.host);
    if (!s || s.holder !== h.user || (s.until ?? 0) < h.until) {
      out.push({ kind: AnomalyKind.lostReservation, message: `${h.host}: ${h.user}'s acknowledged hold until ${h.until} is not on the final board (holder ${s?.holder ?? 'none'}, until ${s?.until ?? 'none'})`, details: { hold: h, server: s ?? null } });
    }
  }
  return out;
}

/** (d) every node ends with the same board and commit index. */
export function checkConvergence(states: RunRecord['finalStates']): Anomaly[] {
  const answered = states.filter((s) => s.serversData !== null);
  const missing = states.filter((s) => s.serversData === null).map((s) => s.node);
  const out: Anomaly[] = [];
  if (missing.length > 0) out.push({ kind: AnomalyKind.divergence, message: `nodes did not report their final state: ${missing.join(', ')}`, details: { missing } });
  const ref = answered[0];
  if (!ref) return out;
  const canon = (s: (typeof states)[number]) => JSON.stringify([...s.serversData!.serversList].sort((a, b) => (a.host < b.host ? -1 : 1)));
  for (const s of answered.slice(1)) {
    if (canon(s) !== canon(ref) || s.commitIndex !== ref.commitIndex) {
      out.push({ kind: AnomalyKind.divergence, message: `${s.node} differs from ${ref.node} (commitIndex ${s.commitIndex} vs ${ref.commitIndex})`, details: { a: ref, b: s } });
    }
  }
  return out;
}

/** (e) every process exit not caused by the harness. */
export function checkCrashes(exits: RunRecord['exits']): Anomaly[] {
  return exits.filter((e) => !e.byHarness).map((e) => ({ kind: AnomalyKind.crash, message: `${e.node} (pid ${e.pid}) exited by itself: code ${e.code}, signal ${e.signal}`, details: { ...e } }));
}

export function checkRun(run: RunRecord, opts: CheckOptions): CheckResult {
  const holds = certainHolds(run.ops, run.history, run.clockSkewMs);
  const anomalies: Anomaly[] = [
    ...checkOverlaps(holds, opts.marginMs),
    ...checkLostHolds(run.ops, holds, run.clockSkewMs, opts.marginMs),
    ...checkReads(run.ops),
    ...checkConvergence(run.finalStates),
    ...checkCrashes(run.exits),
  ];
  if (run.history) {
    anomalies.push(...checkLogOrder(run.history), ...checkHistoryCounts(run.ops, run.history), ...checkReadsAgainstLog(run.ops, run.history, run.historyCommitIndex));
  } else {
    anomalies.push({ kind: AnomalyKind.noHistory, message: 'the final committed history could not be read' });
  }
  const board = run.finalStates.find((s) => s.serversData)?.serversData?.serversList;
  if (board) anomalies.push(...checkFinalBoard(holds, board, run.finalTime, opts.marginMs));
  return {
    anomalies,
    stats: {
      certainHolds: holds.filter((h) => !h.uncertain).length,
      uncertainHolds: holds.filter((h) => h.uncertain).length,
      reads: run.ops.filter((o) => o.op === 'read' && o.outcome === 'ok').length,
      readYourWritesMisses: readYourWritesMisses(run.ops),
      readRegressAcrossRestart: readRegressAcrossRestart(run.ops),
    },
  };
}
