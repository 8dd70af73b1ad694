// The main process's copy of the board (tray, notifications), kept by patching it with the rows each
// change event names: copying the whole board on every event cost O(board) per change (issue 11).
import type { BoardView, NodeStatus, PeerEvent, Server } from '../node-core/src/api/peer-api.js';

/** One row a change touched: as it was before and after (undefined: absent). */
export interface RowChange {
  host: string;
  before: Server | undefined;
  after: Server | undefined;
}

/** What one event did to the mirror: rows changed, the status moved, or the mirror needs a full view. */
export type MirrorUpdate = { kind: 'rows'; rows: RowChange[] } | { kind: 'status' } | { kind: 'full' } | { kind: 'none' };

export class BoardMirror {
  readonly #rows = new Map<string, Server>();
  #status: NodeStatus | null = null;

  /** the last status (role, leader, quorum); null before the first view */
  get status(): NodeStatus | null {
    return this.#status;
  }

  get size(): number {
    return this.#rows.size;
  }

  row(host: string): Server | undefined {
    return this.#rows.get(host);
  }

  /** the rows held by `user` (O(board), without copying a row) */
  heldBy(user: string): Server[] {
    const out: Server[] = [];
    for (const s of this.#rows.values()) if (s.holder === user) out.push(s);
    return out;
  }

  /** Replaces everything with a full view (start, or a change that did not name its rows). */
  reset(view: BoardView): void {
    this.#rows.clear();
    for (const s of view.serversData.serversList) this.#rows.set(s.host, s);
    const { serversData: _s, userRequests: _u, ...status } = view;
    this.#status = status;
  }

  /** Applies one pushed event. O(rows it names). */
  apply(e: PeerEvent): MirrorUpdate {
    if (!this.#status) return { kind: 'full' };
    if (e.type === 'change') {
      if (e.full || !e.rows) return { kind: 'full' };
      const rows: RowChange[] = [];
      for (const row of e.rows) {
        rows.push({ host: row.host, before: this.#rows.get(row.host), after: row });
        this.#rows.set(row.host, row);
      }
      for (const host of e.removed ?? []) {
        const before = this.#rows.get(host);
        if (!before) continue;
        this.#rows.delete(host);
        rows.push({ host, before, after: undefined });
      }
      this.#status = { ...this.#status, appliedIndex: Math.max(this.#status.appliedIndex, e.index) };
      return rows.length > 0 ? { kind: 'rows', rows } : { kind: 'none' };
    }
    if (e.type === 'role') {
      if (e.nodeId !== this.#status.self.nodeId) return { kind: 'none' };
      this.#status = { ...this.#status, self: { ...this.#status.self, role: e.role, term: e.term } };
      return { kind: 'status' };
    }
    if (e.type === 'cluster') {
      this.#status = { ...this.#status, clusterView: e.clusterView, leader: e.leader, quorum: e.quorum, stale: e.stale };
      return { kind: 'status' };
    }
    return { kind: 'none' };
  }

  /** every row (a new array of the same row objects: O(board) pointers, no copy of a row) */
  rows(): Server[] {
    return [...this.#rows.values()];
  }

  /** A BoardView of the given rows (default: the user's holds) with the current status; copies no row. */
  viewOf(rows: Server[]): BoardView | null {
    if (!this.#status) return null;
    return { ...this.#status, serversData: { lastUpdate: 0, serversList: rows }, userRequests: [] };
  }
}

/** What the main process does with the board: the tray and the notifications. */
export interface BoardListeners {
  notifier: {
    onView(view: BoardView): unknown;
    onRows(rows: readonly RowChange[], status: NodeStatus): unknown;
    onStatus(status: NodeStatus): unknown;
  };
  tray: { update(view: BoardView | null): unknown } | null;
  user: string;
}

/**
 * Routes one mirror update: a row change reaches the notifier (those rows only) and the tray (only
 * when one of the user's holds is among them); a status change reaches both; a full reset too.
 */
export function routeBoardUpdate(mirror: BoardMirror, update: MirrorUpdate, to: BoardListeners): void {
  const status = mirror.status;
  if (!status || update.kind === 'none') return;
  const mine = () => mirror.viewOf(mirror.heldBy(to.user));
  if (update.kind === 'rows') {
    to.notifier.onRows(update.rows, status);
    if (update.rows.some((r) => r.before?.holder === to.user || r.after?.holder === to.user)) to.tray?.update(mine());
    return;
  }
  if (update.kind === 'status') {
    to.notifier.onStatus(status);
    to.tray?.update(mine());
    return;
  }
  const all = mirror.viewOf(mirror.rows());
  if (all) to.notifier.onView(all);
  to.tray?.update(mine());
}
