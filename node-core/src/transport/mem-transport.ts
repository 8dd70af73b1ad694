// An in-process network for cluster tests: transports addressed by (ip, port), every delivery
// scheduled on an injected Clock, and fault hooks (partition, drop, delay, kill) on the network.
//
// Fidelity choices, mirroring net-transport.ts on Linux:
// - broadcast reaches every live transport on the sender's packet port, the sender included;
//   a unicast packet to an ip:port shared by several transports reaches the last one started.
// - partitions and dropped messages are silent: requests across a cut end with TIMEOUT.
// - kill(ip) and close() are like a process exiting: pending requests to it reject with CLOSED at
//   once (unless partitioned away, then TIMEOUT); the dead transport's own ones with CLOSED
//   (kill) or SHUTDOWN (close).
// - a request to an address nobody listens on rejects with CONNECT.
// - a handler rejecting with CloseConnection: its answer (if any) arrives, then the connection is
//   gone: the other requests waiting on it reject with CLOSED and the next one opens a new one.
// - at most maxPendingPerConnection requests wait per target; more reject with BUSY.
// - to revive a killed node, make a new transport at its ip (its old ports are free again).
import { silentLogger, type Logger } from '../log.js';
import type { Clock, Random, TimerHandle } from '../util/clock.js';
import {
  Limits,
  TransportError,
  isCloseConnection,
  type PacketAddress,
  type PacketHandler,
  type RequestHandler,
  type StreamAddress,
  type Transport,
  type TransportLimits,
} from './transport.js';

export type MemEventKind = 'packet' | 'request' | 'response';
export interface MemEvent {
  from: string;
  to: string;
  kind: MemEventKind;
}

export interface MemNetworkOptions {
  clock: Clock;
  /** used to pick ephemeral source ports; seeded for repeatable runs */
  random?: Random;
  logger?: Logger;
}

export interface MemTransportOptions {
  /** discovery port; transports with the same one hear each other's broadcasts; 0 = pick one */
  packetPort: number;
  /** request port, unique per ip; 0 = pick one */
  streamPort: number;
  staticPeers?: PacketAddress[];
  onDrop?: (reason: string, from: string) => void;
  limits?: Partial<TransportLimits>;
}

export class MemNetwork {
  readonly clock: Clock;
  readonly log: Logger;
  /** messages handed to the network, delivered, and lost to a fault */
  readonly stats = { sent: 0, delivered: 0, dropped: 0 };
  private readonly random: Random;
  private readonly live: MemTransport[] = [];
  private groups: Map<string, number> | null = null;
  private dropPred: ((e: MemEvent) => boolean) | undefined;
  private delayOf: (e: MemEvent) => number = () => 0;
  private nextPort = 20_000;

  constructor(opts: MemNetworkOptions) {
    this.clock = opts.clock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger()).child({ subsystem: 'mem-network' });
  }

  transport(ip: string, opts: MemTransportOptions): MemTransport {
    return new MemTransport(this, ip, opts);
  }

  /** Splits the network: no traffic between groups. Ips named in no group form one more group. */
  partition(...groups: string[][]): void {
    const map = new Map<string, number>();
    groups.forEach((g, i) => g.forEach((ip) => map.set(ip, i)));
    this.groups = map;
  }

  heal(): void {
    this.groups = null;
  }

  /** Drops every message the predicate matches (undefined clears it). */
  setDrop(pred?: (e: MemEvent) => boolean): void {
    this.dropPred = pred;
  }

  /** Delivery delay in ms, fixed or per message. */
  setDelay(delay: number | ((e: MemEvent) => number)): void {
    this.delayOf = typeof delay === 'number' ? () => delay : delay;
  }

  /** Kills every transport at ip, like kill -9: peers waiting on it get CLOSED at once. */
  kill(ip: string): void {
    for (const t of this.live.filter((x) => x.ip === ip)) t.terminate('CLOSED');
  }

  canReach(from: string, to: string): boolean {
    if (from === to || !this.groups) return true;
    return (this.groups.get(from) ?? -1) === (this.groups.get(to) ?? -1);
  }

  // ---- used by MemTransport ----

  register(t: MemTransport): void {
    if (t.streamPort === 0) t.streamPort = this.allocPort(t.ip);
    if (t.packetPort === 0) t.packetPort = this.allocPort(t.ip);
    if (this.live.some((x) => x.ip === t.ip && x.streamPort === t.streamPort)) {
      throw new Error(`listen EADDRINUSE: ${t.ip}:${t.streamPort} is taken`);
    }
    this.live.push(t);
  }

  unregister(t: MemTransport): void {
    const i = this.live.indexOf(t);
    if (i >= 0) this.live.splice(i, 1);
    for (const other of this.live) other.peerEnded(t);
  }

  ephemeralPort(): number {
    return 32_768 + Math.floor(this.random() * 28_000);
  }

  streamAt(ip: string, port: number): MemTransport | undefined {
    return this.live.find((x) => x.ip === ip && x.streamPort === port);
  }

  packetTargets(to: PacketAddress): MemTransport[] {
    const all = this.live.filter((x) => x.ip === to.ip && x.packetPort === to.port);
    return all.length ? [all[all.length - 1]!] : [];
  }

  broadcastTargets(port: number): MemTransport[] {
    return this.live.filter((x) => x.packetPort === port);
  }

  /** Schedules `deliver` unless a fault eats the message; the cut is checked again on arrival. */
  send(e: MemEvent, deliver: () => void, lost?: () => void): void {
    this.stats.sent++;
    const drop = () => {
      this.stats.dropped++;
      lost?.();
    };
    if (!this.canReach(e.from, e.to) || this.dropPred?.(e)) return drop();
    const delay = Math.max(0, this.delayOf(e) || 0);
    this.clock.setTimeout(() => {
      if (!this.canReach(e.from, e.to)) return drop();
      this.stats.delivered++;
      deliver();
    }, delay);
  }

  private allocPort(ip: string): number {
    for (let i = 0; i < 40_000; i++) {
      const p = this.nextPort++;
      if (!this.live.some((x) => x.ip === ip && (x.streamPort === p || x.packetPort === p))) return p;
    }
    throw new Error('MemNetwork: no free port');
  }
}

interface Pending {
  target: MemTransport | null;
  key: string;
  /** source port of the "connection" it was sent on */
  port: number;
  resolve: (b: Buffer) => void;
  reject: (e: TransportError) => void;
  timer: TimerHandle;
}

export class MemTransport implements Transport {
  packetPort: number;
  streamPort: number;
  private state: 'new' | 'running' | 'ended' = 'new';
  private onPacket: PacketHandler = () => {};
  private onRequest: RequestHandler = () => Promise.reject(new Error('not started'));
  private readonly pending = new Map<number, Pending>();
  /** "connections": one ephemeral source port per target, kept until the target ends */
  private readonly conns = new Map<string, number>();
  private nextId = 1;
  private readonly limits: TransportLimits;
  private readonly log: Logger;

  constructor(
    private readonly net: MemNetwork,
    readonly ip: string,
    private readonly opts: MemTransportOptions,
  ) {
    this.packetPort = opts.packetPort;
    this.streamPort = opts.streamPort;
    this.limits = { ...Limits, ...opts.limits };
    this.log = net.log.child({ ip });
  }

  get running(): boolean {
    return this.state === 'running';
  }

  async start(onPacket: PacketHandler, onRequest: RequestHandler): Promise<{ packetPort: number; streamPort: number }> {
    if (this.state !== 'new') throw new Error('MemTransport.start called twice or after close');
    this.net.register(this);
    this.onPacket = onPacket;
    this.onRequest = onRequest;
    this.state = 'running';
    return { packetPort: this.packetPort, streamPort: this.streamPort };
  }

  broadcast(data: Buffer): void {
    if (!this.checkPacket(data)) return;
    for (const t of this.net.broadcastTargets(this.packetPort)) this.deliverPacket(t, data);
    for (const peer of this.opts.staticPeers ?? []) this.sendPacket(peer, data);
  }

  sendPacket(to: PacketAddress, data: Buffer): void {
    if (!this.checkPacket(data)) return;
    for (const t of this.net.packetTargets(to)) this.deliverPacket(t, data);
  }

  request(to: StreamAddress, data: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.state === 'ended') return Promise.reject(new TransportError('transport is shut down', 'SHUTDOWN'));
    if (data.length > this.limits.maxRequestBytes) {
      return Promise.reject(new TransportError(`request of ${data.length} bytes > limit ${this.limits.maxRequestBytes}`, 'TOO_LARGE'));
    }
    const key = `${to.ip}:${to.port}`;
    let waiting = 0;
    for (const p of this.pending.values()) if (p.key === key) waiting++;
    if (waiting >= this.limits.maxPendingPerConnection) {
      return Promise.reject(new TransportError(`${waiting} requests already wait for an answer on this connection (limit ${this.limits.maxPendingPerConnection})`, 'BUSY'));
    }
    const id = this.nextId++;
    let port = this.conns.get(key);
    if (port === undefined) this.conns.set(key, (port = this.net.ephemeralPort()));
    const from: StreamAddress = { ip: this.ip, port };
    const copy = Buffer.from(data);
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.net.clock.setTimeout(() => this.settle(id, new TransportError(`no answer within ${timeoutMs} ms`, 'TIMEOUT')), timeoutMs);
      this.pending.set(id, { target: null, key, port, resolve, reject, timer });
      this.net.send({ from: this.ip, to: to.ip, kind: 'request' }, () => {
        const p = this.pending.get(id);
        if (!p || this.state !== 'running') return;
        const target = this.net.streamAt(to.ip, to.port);
        if (!target) {
          this.conns.delete(key);
          return this.settle(id, new TransportError(`cannot connect to ${key}: nobody listens`, 'CONNECT'));
        }
        p.target = target;
        target.serve(copy, from, (answer, close) => (close ? this.closedBy(id, key, port, answer) : this.answered(id, answer)));
      });
    });
  }

  close(): Promise<void> {
    this.terminate('SHUTDOWN');
    return Promise.resolve();
  }

  // ---- used by MemNetwork and peers ----

  /** Ends this transport: its pending requests reject with `code`; peers waiting on it get CLOSED. */
  terminate(code: 'CLOSED' | 'SHUTDOWN'): void {
    if (this.state === 'ended') return;
    const wasRunning = this.state === 'running';
    this.state = 'ended';
    for (const id of [...this.pending.keys()]) this.settle(id, new TransportError(code === 'SHUTDOWN' ? 'transport is shut down' : 'process killed', code));
    if (wasRunning) this.net.unregister(this);
  }

  /** A peer ended: requests waiting on it fail now if its RST could reach us. */
  peerEnded(peer: MemTransport): void {
    const key = `${peer.ip}:${peer.streamPort}`;
    this.conns.delete(key);
    if (!this.net.canReach(peer.ip, this.ip)) return;
    for (const [id, p] of [...this.pending]) {
      if (p.target === peer || (p.target === null && p.key === key)) this.settle(id, new TransportError(`connection to ${key} closed`, 'CLOSED'));
    }
  }

  /** Runs the handler; `reply` gets the answer (null: none) and whether the connection closes after it. */
  serve(data: Buffer, from: StreamAddress, reply: (answer: Buffer | null, close: boolean) => void): void {
    if (this.state !== 'running') return;
    if (data.length > this.limits.maxRequestBytes) return this.dropInput('too_large', `${from.ip}:${from.port}`);
    const send = (answer: Buffer | null, close: boolean) => {
      if (this.state !== 'running') return;
      const copy = answer && Buffer.from(answer);
      this.net.send({ from: this.ip, to: from.ip, kind: 'response' }, () => reply(copy, close));
    };
    Promise.resolve()
      .then(() => this.onRequest(data, from))
      .then((answer) => {
        if (!Buffer.isBuffer(answer)) throw new Error('request handler answered with a non-buffer');
        send(answer, false);
      })
      .catch((err: unknown) => {
        if (isCloseConnection(err)) return send(Buffer.isBuffer(err.answer) ? err.answer : null, true);
        this.log.warn({ from, err: err instanceof Error ? err.message : String(err) }, 'request handler failed; no answer sent');
      });
  }

  /** The peer closed the connection `port` to `key` after answering request `id` (or not). */
  private closedBy(id: number, key: string, port: number, answer: Buffer | null): void {
    if (this.state !== 'running') return;
    if (answer) this.answered(id, answer); // the answer first, as on a socket
    if (this.conns.get(key) === port) this.conns.delete(key);
    for (const [other, q] of [...this.pending]) {
      if (q.key === key && q.port === port) this.settle(other, new TransportError(`connection to ${key} closed by the peer`, 'CLOSED'));
    }
  }

  private answered(id: number, answer: Buffer | null): void {
    const p = this.pending.get(id);
    if (!p || this.state !== 'running' || !answer) return;
    if (answer.length > this.limits.maxFrameBytes) {
      // like the real client: the connection is closed, so everything else on it fails too
      this.settle(id, new TransportError(`response of ${answer.length} bytes > limit ${this.limits.maxFrameBytes}`, 'TOO_LARGE'));
      this.conns.delete(p.key);
      for (const [other, q] of [...this.pending]) if (q.key === p.key) this.settle(other, new TransportError('connection closed after a bad frame', 'CLOSED'));
      return;
    }
    this.settle(id, answer);
  }

  private settle(id: number, outcome: Buffer | TransportError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.net.clock.clearTimeout(p.timer);
    if (outcome instanceof TransportError) p.reject(outcome);
    else p.resolve(outcome);
  }

  private checkPacket(data: Buffer): boolean {
    if (this.state !== 'running') return false;
    if (data.length <= this.limits.maxPacketBytes) return true;
    this.log.error({ bytes: data.length, limit: this.limits.maxPacketBytes }, 'packet too large; not sent');
    return false;
  }

  private deliverPacket(target: MemTransport, data: Buffer): void {
    const copy = Buffer.from(data);
    const from: PacketAddress = { ip: this.ip, port: this.packetPort };
    this.net.send({ from: this.ip, to: target.ip, kind: 'packet' }, () => target.receivePacket(copy, from));
  }

  private receivePacket(data: Buffer, from: PacketAddress): void {
    if (this.state !== 'running') return;
    if (data.length > this.limits.maxPacketBytes) return this.dropInput('too_large', `${from.ip}:${from.port}`);
    try {
      this.onPacket(data, from);
    } catch (err) {
      this.log.error({ from, err: (err as Error).message }, 'packet handler threw');
    }
  }

  private dropInput(reason: string, from: string): void {
    this.log.warn({ reason, from }, 'dropped input from peer');
    try {
      this.opts.onDrop?.(reason, from);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'onDrop threw');
    }
  }
}
