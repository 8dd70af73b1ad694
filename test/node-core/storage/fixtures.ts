// Log entries and snapshots for storage tests; plain data, no test runner, so the kill -9 child can use them too.
import type { LogEntry, Snapshot } from '../../../node-core/src/consensus/types.js';

/** A board entry whose content depends on its index, so a misplaced entry is visible. */
export function entry(index: number, term: number, note = ''): LogEntry {
  return {
    index,
    term,
    at: 1_700_000_000_000 + index,
    kind: 'board',
    cmd: { type: 'reserve', host: `host-${index}`, user: 'alice', until: 1_700_003_600, comment: note },
    meta: { user: 'alice', nodeId: 'n1', nodeIP: '127.0.0.1', reqId: `req-${index}` },
  };
}

export function entries(from: number, to: number, term: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

export function snap(index: number, term: number): Snapshot {
  return {
    index,
    term,
    config: { incarnation: 'inc-1', voters: [{ nodeId: 'n1', ip: '127.0.0.1', peerPort: 9001, apiPort: 8777, headless: true }] },
    board: { version: 1, servers: [], history: [], users: [], clusterNodes: [], applied: [], lastUpdate: index },
  };
}
