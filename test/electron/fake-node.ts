// A NodeHandle for the desktop shell's tests: the real board state machine applied in-process (no
// consensus), records of what was submitted, and board-view builders for the tray and notifications.
import { EventEmitter } from 'node:events';
import type { NodeHandle, SubmitOptions, SubmitResult } from '../../node-core/src/api/node-handle.js';
import type { BoardView, InviteInfo, NodeStatus, PeerEvent } from '../../node-core/src/api/peer-api.js';
import { checkProposal } from '../../node-core/src/board/commands.js';
import { Board } from '../../node-core/src/board/state-machine.js';
import type { BoardCommand, HistoryFilter, Server } from '../../node-core/src/board/types.js';
import { ErrorCode, PeerboardError } from '../../node-core/src/errors.js';
import type { MonitorReader } from '../../node-core/src/monitoring/monitor-service.js';
import { FakeLoans } from '../../renderer/src/api/fake-loans.js';

/** the loans the fake starts with: one it lent (recall it), one it borrowed (return it) */
export const FAKE_LOAN_OUT = 'n1:w-out:1700000000000';
export const FAKE_LOAN_IN = 'far-master:w-in:1700000000000';

export function server(host: string, over: Partial<Server> = {}): Server {
  return {
    host,
    app: 'app',
    ip: '10.0.0.1',
    env: 'test',
    available: true,
    action: 'Available',
    since: 0,
    comment: '',
    holder: null,
    until: null,
    maintenance: false,
    queue: [],
    holderNode: null,
    ...over,
  };
}

export function boardView(servers: Server[], over: Partial<BoardView['self']> = {}): BoardView {
  return {
    serversData: { lastUpdate: 0, serversList: servers },
    clusterView: [],
    userRequests: [],
    self: { nodeId: 'n1', nodeIP: '127.0.0.1', role: 'slave', term: 1, user: 'alice', headless: false, voter: true, clusterId: 'peerboard', apiPort: 8777, uiPort: 8778, ...over },
    leader: null,
    commitIndex: 0,
    appliedIndex: 0,
    quorum: true,
    stale: false,
    staleMs: 0,
    writeBlockedReason: null,
  };
}

export interface FakeNodeOptions {
  /** ms since the epoch each entry is stamped with (default Date.now) */
  now?: () => number;
}

/**
 * The board it starts with: web-1 held by alice for 30 minutes with carol waiting, web-2 free. Every
 * write goes through the board's real gate (checkProposal) and state machine.
 */
export class FakeNode {
  readonly nodeId = 'n1';
  readonly events = new EventEmitter<{ event: [PeerEvent] }>();
  readonly submits: Array<{ cmd: BoardCommand; opts: SubmitOptions }> = [];
  readonly board = new Board();
  promotes: Array<{ nodeId?: string; ip?: string }> = [];
  /** the next submit throws this */
  failNext: unknown = null;
  stopped = 0;
  role: BoardView['self']['role'] = 'slave';
  readonly now: () => number;
  private index = 0;

  constructor(opts: FakeNodeOptions = {}) {
    this.now = opts.now ?? (() => Date.now());
    const sec = Math.floor(this.now() / 1000);
    this.apply({ type: 'servers-import', servers: [{ host: 'web-1', app: 'app', ip: '10.0.0.1', env: 'test' }, { host: 'web-2', app: 'app', ip: '10.0.0.2', env: 'test' }] }, 'admin');
    this.apply({ type: 'reserve', host: 'web-1', user: 'alice', until: sec + 1800 }, 'alice');
    this.apply({ type: 'queue', host: 'web-1', user: 'carol', durationSec: 600 }, 'carol');
    const peer = { clusterId: 'far', masterId: 'far-master', address: '127.0.0.1', loanPort: 9, peerboard: true };
    this.apply({ type: 'loan-start', loan: { id: FAKE_LOAN_OUT, direction: 'out', workerId: 'w-out', workerName: 'web-2', peer, leaseMs: 600_000 } }, 'system');
    this.apply({ type: 'loan-start', loan: { id: FAKE_LOAN_IN, direction: 'in', workerId: 'w-in', workerName: null, peer, leaseMs: 600_000 } }, 'system');
  }

  /** NodeHandle.loans: the renderer fake's LoansControl over this real board (loan-end goes through submit) */
  readonly loans = new FakeLoans({ board: () => this.board, commit: (cmd, opts) => this.submit(cmd, opts), now: () => this.now(), clusterId: () => 'peerboard', master: () => true });

  /** PeerNode.monitor as the battery watch drives it: the pause calls, in order */
  readonly monitor = {
    pauses: [] as boolean[],
    setPaused: (paused: boolean): void => void this.monitor.pauses.push(paused),
  };

  /** NodeHandle.setMonitorPaused, as PeerNode does it */
  setMonitorPaused(paused: boolean): void {
    this.monitor.setPaused(paused);
  }

  /** monitoring's reads over the real board (no location here: no series) */
  monitorReader(): MonitorReader {
    return { monitoring: () => this.board.monitoring(), now: () => this.now() };
  }

  /** applies a command as if another node had written it (not recorded in `submits`) */
  seed(cmd: BoardCommand, user = 'admin'): SubmitResult {
    return this.apply(cmd, user);
  }

  async submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    this.submits.push({ cmd, opts });
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    return this.apply(cmd, opts.user, opts.reqId);
  }

  private apply(cmd: BoardCommand, user: string, reqId?: string): SubmitResult {
    const meta = { user, nodeId: this.nodeId, nodeIP: '127.0.0.1', reqId: reqId ?? `fake-${this.index + 1}` };
    const checked = checkProposal(cmd, meta);
    if (!checked.ok) throw new PeerboardError(ErrorCode.BadRequest, checked.message, checked.details);
    this.index += 1;
    const r = this.board.apply({ index: this.index, at: this.now(), cmd, meta });
    const request = this.board.history({ limit: 1 }).items[0] ?? null;
    this.events.emit('event', { type: 'change', index: this.index, request: request?.id === this.index ? request : null });
    if (!r.ok) throw PeerboardError.fromValue(r.error);
    return { index: this.index, value: r.value };
  }

  /** the board's rows by host (a copy) */
  get servers(): Map<string, Server> {
    return new Map(this.board.serversData().serversList.map((s) => [s.host, s]));
  }
  server(host: string): Server | undefined {
    return this.board.server(host);
  }
  status(): NodeStatus {
    const { serversData: _rows, userRequests: _history, ...status } = this.view();
    return status;
  }
  view(): BoardView {
    return { ...boardView(this.board.serversData().serversList, { role: this.role }), serversData: this.board.serversData() };
  }
  history(filter: HistoryFilter) {
    return this.board.history(filter);
  }
  /** what invite() answers (a test may change it) */
  inviteInfo: InviteInfo = { clusterId: 'peerboard', open: false, invite: `pb1:peerboard:${'k'.repeat(43)}@127.0.0.1:8779`, peers: ['127.0.0.1:8779'] };
  invite(): InviteInfo {
    return this.inviteInfo;
  }
  async promote(target: { nodeId?: string; ip?: string }) {
    this.promotes.push(target);
    return { leaderId: target.nodeId ?? '?' };
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  asHandle(): NodeHandle {
    return this as unknown as NodeHandle;
  }
}
