// A fake NodeHandle (records submits, answers from a small in-memory board) and board-view builders
// for the desktop shell's tests; the real node is tested in test/node-core and test/cluster.
import { EventEmitter } from 'node:events';
import type { NodeHandle, SubmitOptions } from '../../node-core/src/api/node-handle.js';
import type { BoardView, InviteInfo, NodeStatus, PeerEvent } from '../../node-core/src/api/peer-api.js';
import type { BoardCommand, Server } from '../../node-core/src/board/types.js';
import { PeerboardError } from '../../node-core/src/errors.js';

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

export class FakeNode {
  readonly nodeId = 'n1';
  readonly events = new EventEmitter<{ event: [PeerEvent] }>();
  readonly submits: Array<{ cmd: BoardCommand; opts: SubmitOptions }> = [];
  readonly servers = new Map<string, Server>([['web-1', server('web-1')]]);
  promotes: Array<{ nodeId?: string; ip?: string }> = [];
  /** the next submit throws this */
  failNext: unknown = null;
  stopped = 0;
  role: BoardView['self']['role'] = 'slave';

  async submit(cmd: BoardCommand, opts: SubmitOptions): Promise<{ index: number; value: unknown }> {
    this.submits.push({ cmd, opts });
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    if (cmd.type === 'reserve') {
      const s = this.servers.get(cmd.host);
      if (!s) throw new PeerboardError('NOT_FOUND', `no server ${cmd.host}`);
      const held = { ...s, holder: cmd.user, until: cmd.until, available: false, action: 'Reserved' };
      this.servers.set(cmd.host, held);
      return { index: this.submits.length, value: held };
    }
    if (cmd.type === 'server-add') {
      this.servers.set(cmd.server.host, server(cmd.server.host));
      return { index: this.submits.length, value: undefined }; // the shell then reads the row
    }
    if (cmd.type === 'servers-import') return { index: this.submits.length, value: { count: cmd.servers.length } };
    return { index: this.submits.length, value: null };
  }
  server(host: string): Server | undefined {
    return this.servers.get(host);
  }
  status(): NodeStatus {
    const { serversData: _rows, userRequests: _history, ...status } = this.view();
    return status;
  }
  view(): BoardView {
    return boardView([...this.servers.values()], { role: this.role });
  }
  history(filter: { limit?: number; offset?: number }) {
    return { items: [], total: 0, limit: filter.limit ?? 50, offset: filter.offset ?? 0 };
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
