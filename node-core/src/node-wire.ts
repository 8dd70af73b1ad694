// The wire of a node: envelopes filled and messages authenticated (the codec), one TCP request to
// another node (rpc, answersAt), and the answer to each peer request (FetchState, VoteRequest,
// TimeoutNow, ForwardRequest) after the codec and the address book accepted it.
import type { NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import type { Discovery } from './discovery.js';
import type { Logger } from './log.js';
import type { Codec, Decoded } from './protocol/codec.js';
import { PROTOCOL_VERSION, type Message, type MessageOf, type MessageType, type Outgoing } from './protocol/messages.js';
import type { Store } from './storage/store.js';
import { CloseConnection, Limits, TransportError, type StreamAddress, type Transport } from './transport/transport.js';
import type { Clock } from './util/clock.js';

/** What the wire uses of its node (PeerNode implements it). */
export interface WireHost {
  readonly nodeId: string;
  readonly config: Pick<NodeConfig, 'clusterId' | 'requestTimeoutMs'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly raft: Pick<Raft, 'term' | 'leaderId' | 'handleFetch' | 'handleVoteRequest' | 'handleTimeoutNow'>;
  readonly discovery: Pick<Discovery, 'addressOf' | 'claimRefused' | 'learn'>;
  readonly deps: { readonly transport: Pick<Transport, 'request'>; readonly store: Pick<Store, 'lastIndex' | 'termAt'> };
  /** counts a dropped message by reason (metrics) */
  readonly metrics_: { drop(reason: string): void };
  /** a location's monitoring report (the master takes it) */
  takeCheckReport(msg: MessageOf<'CheckReport'>): Outgoing<'CheckReportResponse'> | Outgoing<'ErrorResponse'>;
}

export class NodeWire {
  constructor(
    private readonly node: WireHost,
    private readonly codec: Codec,
    /** runs a ForwardRequest on this node (the write path) */
    private readonly forward: (msg: MessageOf<'ForwardRequest'>) => Promise<Outgoing<'ForwardResponse'>>,
  ) {}

  encode(msg: Outgoing<MessageType>, term = this.node.raft.term, ts = this.node.clock.now()): Buffer {
    return this.codec.encode({ ...msg, v: PROTOCOL_VERSION, clusterId: this.node.config.clusterId, nodeId: this.node.nodeId, term, ts } as Message);
  }

  decode(data: Buffer, max: number, from: string): Message | null {
    const d = this.decodeResult(data, max, from);
    return d.ok ? d.msg : null;
  }

  /** decodes a message; a refused one is counted by reason and logged at debug level */
  decodeResult(data: Buffer, max: number, from: string): Decoded {
    const d = this.codec.decode(data, max);
    if (d.ok) return d;
    this.node.metrics_.drop(d.reason);
    this.node.log.debug({ from, reason: d.reason, detail: d.detail }, 'dropped a peer message');
    return d;
  }

  async rpc<T extends MessageType>(to: string, msg: Outgoing<T>, timeoutMs: number, term?: number, ts?: number): Promise<Message> {
    const addr = this.node.discovery.addressOf(to);
    if (!addr) throw new TransportError(`no known address for node ${to}`, 'CONNECT');
    const raw = await this.node.deps.transport.request(addr, this.encode(msg, term, ts), timeoutMs);
    const resp = this.decode(raw, Limits.maxFrameBytes, `${addr.ip}:${addr.port}`);
    if (!resp) throw new TransportError(`node ${to} sent an answer that was dropped`, 'CLOSED');
    return resp;
  }

  /**
   * Does the node `nodeId` answer at `addr`? A pre-vote request (it changes nothing on the other
   * side) whose answer must come from that node id. False on no answer, a refused connection, or
   * another node there.
   */
  async answersAt(addr: StreamAddress, nodeId: string): Promise<boolean> {
    const lastIndex = this.node.deps.store.lastIndex();
    const msg: Outgoing<'VoteRequest'> = { type: 'VoteRequest', preVote: true, lastIndex, lastTerm: this.node.deps.store.termAt(lastIndex) ?? 0, transfer: false };
    try {
      const raw = await this.node.deps.transport.request(addr, this.encode(msg), Math.min(1000, this.node.config.requestTimeoutMs));
      const resp = this.decode(raw, Limits.maxFrameBytes, `${addr.ip}:${addr.port}`);
      return resp !== null && resp.nodeId === nodeId;
    } catch {
      return false;
    }
  }

  async onRequest(data: Buffer, from: StreamAddress): Promise<Buffer> {
    const msg = this.decode(data, Limits.maxRequestBytes, `${from.ip}:${from.port}`);
    // a peer that sends what the codec refuses (junk, a wrong or missing MAC) gets one answer and
    // loses its connection, so it cannot keep a stream of refusals going on it
    if (!msg) throw new CloseConnection('message refused', this.encode({ type: 'ErrorResponse', code: 'BAD_MESSAGE', message: 'message refused (see the node log for the reason)', leaderId: this.node.raft.leaderId }));
    if (msg.nodeId === this.node.nodeId) return this.encode({ type: 'ErrorResponse', code: 'SELF', message: 'message from myself' });
    const refusal = this.node.discovery.claimRefused(msg.nodeId, from.ip);
    if (refusal) {
      this.node.metrics_.drop(refusal);
      return this.encode({ type: 'ErrorResponse', code: 'ADDRESS_CONFLICT', message: 'another address speaks for this node id' });
    }
    switch (msg.type) {
      case 'FetchState':
        if (msg.node.nodeId !== msg.nodeId) return this.encode({ type: 'ErrorResponse', code: 'BAD_MESSAGE', message: 'node info names another node' });
        if (!this.node.discovery.learn(msg.node, 'fetch', from.ip)) return this.encode({ type: 'ErrorResponse', code: 'ADDRESS_CONFLICT', message: 'another address speaks for this node id' });
        return this.encode(await this.node.raft.handleFetch(msg, from.ip));
      case 'VoteRequest':
        return this.encode(this.node.raft.handleVoteRequest(msg));
      case 'TimeoutNow':
        return this.encode(this.node.raft.handleTimeoutNow(msg));
      case 'ForwardRequest':
        return this.encode(await this.forward(msg));
      case 'CheckReport':
        return this.encode(this.node.takeCheckReport(msg));
      default:
        this.node.metrics_.drop('unexpected_type');
        return this.encode({ type: 'ErrorResponse', code: 'UNEXPECTED', message: `${msg.type} is not a request` });
    }
  }
}
