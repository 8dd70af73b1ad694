// The read checks of the fault-run checker: per node process reads never go back, and every read
// is a prefix of the committed log; plus two informational counts. Split from checker.ts.
import { type Anomaly, AnomalyKind } from './checker.js';
import type { HistoryRow, OpRecord } from './history.js';

/** (c) per client and node process, the indexes seen by successive reads never decrease. */
export function checkReads(ops: OpRecord[]): Anomaly[] {
  const out: Anomaly[] = [];
  const last = new Map<string, OpRecord>();
  for (const o of [...ops].sort((a, b) => a.invokeTime - b.invokeTime)) {
    if (o.op !== 'read' || o.outcome !== 'ok' || !o.read) continue;
    const k = `${o.client}\u0000${o.node}\u0000${o.read.nodeGen}`;
    const prev = last.get(k);
    if (prev?.read && (o.read.appliedIndex < prev.read.appliedIndex || o.read.commitIndex < prev.read.commitIndex)) {
      out.push({ kind: AnomalyKind.readRegress, message: `${o.client} on ${o.node}: applied/commit ${prev.read.appliedIndex}/${prev.read.commitIndex} then ${o.read.appliedIndex}/${o.read.commitIndex}`, details: { prev, next: o } });
    }
    last.set(k, o);
  }
  return out;
}

/**
 * (c) a read is a prefix of the committed log: replaying the final history's holder changes up to
 * the read's appliedIndex gives exactly the holders the read showed (a replica never shows a state
 * that the committed order does not produce, stale or not).
 */
export function checkReadsAgainstLog(ops: OpRecord[], history: HistoryRow[], historyCommitIndex = Number.POSITIVE_INFINITY): Anomaly[] {
  const out: Anomaly[] = [];
  const rows = [...history].filter((r) => r.result === 'ok').sort((a, b) => a.id - b.id);
  const reads = ops.filter((o) => o.op === 'read' && o.outcome === 'ok' && o.read && o.read.appliedIndex <= historyCommitIndex).sort((a, b) => a.read!.appliedIndex - b.read!.appliedIndex);
  const holder = new Map<string, string | null>();
  let i = 0;
  for (const o of reads) {
    const idx = o.read!.appliedIndex;
    for (; i < rows.length && rows[i]!.id <= idx; i++) {
      const r = rows[i]!;
      if (r.operation === 'reserve' || r.operation === 'grant' || r.operation === 'queue-grant') holder.set(r.serverHost, r.user);
      else if (r.operation === 'release' || r.operation === 'expire' || r.operation === 'server-add') holder.set(r.serverHost, null);
    }
    for (const [host, seen] of Object.entries(o.read!.holders)) {
      const want = holder.get(host) ?? null;
      if (seen.holder !== want) {
        out.push({ kind: AnomalyKind.readNotInLog, message: `${o.client} read ${host} on ${o.node} at applied index ${idx}: holder ${seen.holder ?? 'none'}, the committed log says ${want ?? 'none'}`, details: { op: o, host } });
        break;
      }
    }
  }
  return out;
}

/** Informational: a client's read of a restarted node showing an older index than before the restart. */
export function readRegressAcrossRestart(ops: OpRecord[]): number {
  let n = 0;
  const last = new Map<string, OpRecord>();
  for (const o of [...ops].sort((a, b) => a.invokeTime - b.invokeTime)) {
    if (o.op !== 'read' || o.outcome !== 'ok' || !o.read) continue;
    const k = `${o.client}\u0000${o.node}`;
    const prev = last.get(k);
    if (prev?.read && prev.read.nodeGen !== o.read.nodeGen && o.read.appliedIndex < prev.read.appliedIndex) n++;
    last.set(k, o);
  }
  return n;
}

/** How often a client's read missed its own acknowledged reserve (informational: reads are local). */
export function readYourWritesMisses(ops: OpRecord[]): number {
  let misses = 0;
  const byClient = new Map<string, OpRecord[]>();
  for (const o of ops) (byClient.get(o.client) ?? byClient.set(o.client, []).get(o.client)!).push(o);
  for (const list of byClient.values()) {
    list.sort((a, b) => a.invokeTime - b.invokeTime);
    for (let i = 1; i < list.length; i++) {
      const o = list[i]!;
      const p = list[i - 1]!;
      if (o.op === 'read' && o.read && p.op === 'reserve' && p.outcome === 'ok' && p.host === o.host && o.read.holders[o.host]?.holder !== p.user) misses++;
    }
  }
  return misses;
}
