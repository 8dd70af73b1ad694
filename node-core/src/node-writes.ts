// The write path of a node: a user's command runs on the master, locally or forwarded over TCP
// (ForwardRequest), waiting briefly for a new master during a failover; the same path carries
// leadership transfers and voter changes. Errors are PeerboardErrors with stable codes.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { SubmitOptions, SubmitResult } from './api/node-handle.js';
import { checkProposal } from './board/commands.js';
import type { ApplyResult, BoardCommand } from './board/types.js';
import type { NodeConfig } from './config.js';
import type { Raft } from './consensus/raft.js';
import type { Member } from './consensus/types.js';
import type { Discovery } from './discovery.js';
import { ErrorCode, PeerboardError, toPeerboardError } from './errors.js';
import type { Logger } from './log.js';
import type { NodeMetrics } from './node-metrics.js';
import type { Message, MessageOf, MessageType, Outgoing } from './protocol/messages.js';
import { commandNeed, signForward, verifyForward, type CallerRole, type TokenConfig } from './security/forward-auth.js';
import { TransportError } from './transport/transport.js';
import type { Clock } from './util/clock.js';

const nodeIdSchema = z.string().min(1).max(128);
/** Control commands that travel in ForwardRequest to the master but are not board commands. */
const controlCommandSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('promote'), target: nodeIdSchema }),
  z.strictObject({ type: z.literal('add-voter'), nodeId: nodeIdSchema, by: z.string().max(128) }),
  z.strictObject({ type: z.literal('remove-voter'), nodeId: nodeIdSchema, by: z.string().max(128) }),
]);
type ControlCommand = z.infer<typeof controlCommandSchema>;
/** the command types that controlCommandSchema validates (every other type is a board command) */
const CONTROL_TYPES: ReadonlySet<string> = new Set(controlCommandSchema.options.map((o) => o.shape.type.value));
type Meta = { user: string; nodeId: string; nodeIP: string; reqId: string };

/** A forwarded write whose sender's clock is further than this from ours is refused (replays). */
export const FORWARD_WINDOW_MS = 5 * 60_000;

/**
 * What the write path uses of its node (PeerNode implements it): identity and timings, the consensus
 * calls that write, the address book, the commit metrics, and one TCP request to the master.
 */
export interface WriteHost {
  readonly nodeId: string;
  readonly ip: string;
  readonly peerPort: number;
  readonly config: TokenConfig & Pick<NodeConfig, 'apiPort' | 'headless' | 'commitTimeoutMs' | 'electionTimeoutMs' | 'fetchMaxWaitMs' | 'requestTimeoutMs'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly raft: Pick<Raft, 'role' | 'leaderId' | 'config' | 'isVoter' | 'changeVoters' | 'transferLeadership' | 'propose' | 'noQuorum' | 'forceNewConfig'>;
  readonly discovery: Pick<Discovery, 'infoOf' | 'byIp'>;
  readonly metrics_: Pick<NodeMetrics, 'drop' | 'commit'>;
  /** the caught-up voter that should lead after this master, if any */
  bestSuccessor(): string | null;
  rpc<T extends MessageType>(to: string, msg: Outgoing<T>, timeoutMs: number, term?: number, ts?: number): Promise<Message>;
  sleep(ms: number): Promise<void>;
}

export class WritePath {
  constructor(private readonly node: WriteHost) {}

  /**
   * A write forwarded by another node. Checked before anything runs: the time window (a captured
   * request replayed later is refused; within the window its idempotency key makes it a no-op),
   * the command's shape, and the token proof against the access the command needs.
   */
  async handleForward(msg: MessageOf<'ForwardRequest'>): Promise<Outgoing<'ForwardResponse'>> {
    try {
      if (this.node.raft.role !== 'master') throw new PeerboardError(ErrorCode.NotLeader, 'this node is not the master', { leaderId: this.node.raft.leaderId });
      const skew = Math.abs(this.node.clock.now() - msg.ts);
      if (skew > FORWARD_WINDOW_MS) {
        this.node.metrics_.drop('replay');
        throw new PeerboardError(ErrorCode.Unauthorized, `the forwarded write is ${Math.round(skew / 1000)} s away from the master's clock: a replay, or clocks that differ (sync them with NTP)`);
      }
      // the codec checked the envelope ({ type } and bounded fields); the command itself is checked
      // by its own schema: a control command here, a board command by propose() (checkProposal)
      const cmd = msg.cmd;
      verifyForward(this.node.config, commandNeed(cmd), msg.auth, msg.ts, msg.meta.reqId, msg.meta.user, cmd);
      if (CONTROL_TYPES.has(cmd.type)) {
        const c = controlCommandSchema.safeParse(cmd);
        if (!c.success) throw new PeerboardError(ErrorCode.BadRequest, `invalid ${cmd.type} command: ${c.error.issues[0]?.path.join('.') ?? ''}: ${c.error.issues[0]?.message ?? 'invalid'}`);
        await this.runControl(c.data);
        return { type: 'ForwardResponse', result: { ok: true } };
      }
      const r = await this.node.raft.propose({ kind: 'board', cmd, meta: msg.meta });
      return { type: 'ForwardResponse', result: r.result, index: r.index };
    } catch (err) {
      const e = toPeerboardError(err);
      return { type: 'ForwardResponse', result: { ok: false, error: { code: e.code, message: e.message, details: e.details } } };
    }
  }

  private async runControl(c: ControlCommand): Promise<void> {
    switch (c.type) {
      case 'promote': {
        if (!this.node.raft.isVoter(c.target)) await this.node.raft.changeVoters([...this.node.raft.config!.voters, this.memberOf(c.target)], `promote: add ${c.target} as voter`, 'admin');
        await this.node.raft.transferLeadership(c.target);
        return;
      }
      case 'add-voter':
        if (this.node.raft.isVoter(c.nodeId)) return;
        await this.node.raft.changeVoters([...this.node.raft.config!.voters, this.memberOf(c.nodeId)], `add voter ${c.nodeId}`, c.by);
        return;
      case 'remove-voter': {
        if (!this.node.raft.isVoter(c.nodeId)) throw new PeerboardError(ErrorCode.NotFound, `node ${c.nodeId} is not a voter`);
        if (c.nodeId === this.node.nodeId) throw new PeerboardError(ErrorCode.Conflict, 'this node is the master: promote another node first, then remove this one');
        await this.node.raft.changeVoters(this.node.raft.config!.voters.filter((v) => v.nodeId !== c.nodeId), `remove voter ${c.nodeId}`, c.by);
        return;
      }
    }
  }

  memberOf(nodeId: string): Member {
    const info = this.node.discovery.infoOf(nodeId);
    if (!info) throw new PeerboardError(ErrorCode.NotFound, `node ${nodeId} is unknown: it must be running and part of this cluster`);
    return { nodeId, ip: info.nodeIP, peerPort: info.peerPort, apiPort: info.apiPort, headless: info.headless };
  }

  /** runs a command on the master: locally, or forwarded; waits briefly for a master during a failover */
  private async onMaster<T>(local: () => Promise<T>, forward: (leader: string) => Promise<T>): Promise<T> {
    const deadline = this.node.clock.monotonic() + this.node.config.electionTimeoutMs * 3;
    for (let attempt = 0; ; attempt++) {
      if (this.node.raft.role === 'master') return local();
      const leader = this.node.raft.leaderId;
      if (leader && leader !== this.node.nodeId) {
        try {
          return await forward(leader);
        } catch (err) {
          const retry = (err instanceof TransportError && err.code !== 'TIMEOUT') || (err instanceof PeerboardError && err.code === ErrorCode.NotLeader);
          if (!retry) throw err instanceof TransportError ? this.unreachable(err) : err;
          // the master is gone and no other took its place in time: no majority is reachable
          if (this.node.clock.monotonic() > deadline || attempt > 20) throw this.node.raft.noQuorum();
        }
      } else if (this.node.clock.monotonic() > deadline) throw this.node.raft.noQuorum();
      await this.node.sleep(Math.max(5, this.node.config.fetchMaxWaitMs / 5));
    }
  }

  private unreachable(err: TransportError): PeerboardError {
    if (err.code === 'TIMEOUT') return new PeerboardError(ErrorCode.Timeout, 'the master did not answer in time; the write may or may not be applied: retry with the same idempotency key', { outcome: 'unknown' });
    return new PeerboardError(ErrorCode.Unavailable, `the master cannot be reached (${err.code})`, { leaderId: this.node.raft.leaderId });
  }

  private async forward(leader: string, cmd: { type: string }, meta: Meta, caller: CallerRole = 'system'): Promise<{ index: number; result: ApplyResult }> {
    // the envelope's ts is stamped by encode(); the proof covers the same moment
    const ts = this.node.clock.now();
    const auth = signForward(this.node.config, caller, ts, meta.reqId, meta.user, cmd);
    const msg: Outgoing<'ForwardRequest'> = auth ? { type: 'ForwardRequest', cmd, meta, auth } : { type: 'ForwardRequest', cmd, meta };
    const resp = await this.node.rpc(leader, msg, this.node.config.commitTimeoutMs + this.node.config.requestTimeoutMs, undefined, ts);
    if (resp.type !== 'ForwardResponse') throw new TransportError('unexpected answer to ForwardRequest', 'CLOSED');
    const r = resp.result as ApplyResult;
    if (!r.ok && r.error.code === ErrorCode.NotLeader) throw PeerboardError.fromValue(r.error);
    return { index: resp.index ?? 0, result: r };
  }

  async submit(cmd: BoardCommand, opts: SubmitOptions): Promise<SubmitResult> {
    const meta = { user: opts.user, nodeId: this.node.nodeId, nodeIP: this.node.ip, reqId: opts.reqId ?? randomUUID() };
    // the same gate as the master's, before a round trip: a bad command never leaves this node
    const checked = checkProposal(cmd, meta);
    if (!checked.ok) throw new PeerboardError(ErrorCode.BadRequest, checked.message, checked.details);
    const t0 = performance.now();
    try {
      const r = await this.onMaster(
        () => this.node.raft.propose({ kind: 'board', cmd, meta }),
        (leader) => this.forward(leader, cmd, meta, opts.caller ?? 'system'),
      );
      this.node.metrics_.commit.observe({ result: r.result.ok ? 'ok' : 'refused' }, (performance.now() - t0) / 1000);
      if (!r.result.ok) throw PeerboardError.fromValue(r.result.error);
      return { index: r.index, value: r.result.value };
    } catch (err) {
      if (!(err instanceof PeerboardError && err.status < 500)) this.node.metrics_.commit.observe({ result: 'error' }, (performance.now() - t0) / 1000);
      throw toPeerboardError(err);
    }
  }

  async promote(target: { nodeId?: string; ip?: string }): Promise<{ leaderId: string }> {
    let id = target.nodeId;
    if (!id && target.ip) {
      const matches = this.node.discovery.byIp(target.ip);
      if (matches.length !== 1) throw new PeerboardError(ErrorCode.BadRequest, matches.length === 0 ? `no node with IP ${target.ip}` : `several nodes share IP ${target.ip}: name one with nodeId`, { nodeIds: matches });
      id = matches[0]!;
    }
    if (!id) {
      id = this.node.raft.role === 'master' ? (this.node.bestSuccessor() ?? undefined) : undefined;
      if (!id) throw new PeerboardError(ErrorCode.Conflict, 'no other caught-up voter can take over now');
    }
    const targetId = id;
    if (this.node.raft.leaderId === targetId && (targetId !== this.node.nodeId || this.node.raft.role === 'master')) return { leaderId: targetId };
    const cmd: ControlCommand = { type: 'promote', target: targetId };
    await this.onMaster(
      () => this.runControl(cmd),
      async (leader) => {
        const r = await this.forward(leader, cmd, { user: 'admin', nodeId: this.node.nodeId, nodeIP: this.node.ip, reqId: randomUUID() }, 'admin');
        if (!r.result.ok) throw PeerboardError.fromValue(r.result.error);
      },
    );
    const deadline = this.node.clock.monotonic() + this.node.config.electionTimeoutMs * 3;
    while (this.node.raft.leaderId !== targetId) {
      if (this.node.clock.monotonic() > deadline) throw new PeerboardError(ErrorCode.Timeout, `node ${targetId} did not become master in time`);
      await this.node.sleep(10);
    }
    return { leaderId: targetId };
  }

  async addVoter(nodeId: string, by: string): Promise<void> {
    await this.control({ type: 'add-voter', nodeId, by });
  }
  async removeVoter(nodeId: string, by: string): Promise<void> {
    await this.control({ type: 'remove-voter', nodeId, by });
  }
  private async control(cmd: ControlCommand): Promise<void> {
    await this.onMaster(
      () => this.runControl(cmd),
      async (leader) => {
        const r = await this.forward(leader, cmd, { user: 'admin', nodeId: this.node.nodeId, nodeIP: this.node.ip, reqId: randomUUID() }, 'admin');
        if (!r.result.ok) throw PeerboardError.fromValue(r.result.error);
      },
    );
  }

  async forceShrink(voterIds: string[], by: string): Promise<void> {
    if (voterIds.length === 0) throw new PeerboardError(ErrorCode.BadRequest, 'name at least one voter');
    const members = voterIds.map((id) => (id === this.node.nodeId ? this.memberOfSelf() : this.memberOf(id)));
    this.node.raft.forceNewConfig(members, by);
    this.node.log.warn({ voters: voterIds, by }, 'AUDIT: forced a new voter set (admin take-over)');
  }

  private memberOfSelf(): Member {
    return { nodeId: this.node.nodeId, ip: this.node.ip, peerPort: this.node.peerPort, apiPort: this.node.config.apiPort, headless: this.node.config.headless };
  }
}
