// The real transport: UDP datagrams for discovery (broadcast + static peers) and framed, pooled,
// multiplexed TCP connections for requests. Nothing a peer sends can throw out of a receive loop.
//
// Several nodes on one host share the discovery port (SO_REUSEADDR). Linux hands a broadcast only
// to sockets bound to the wildcard or to the broadcast address itself, so a node bound to a
// specific address (e.g. 127.0.0.2) opens a second, receive-only socket on broadcastAddress:port.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../log.js';
import { FrameDecoder, FrameKind, encodeFrame, type Frame } from './framing.js';
import {
  Limits,
  TransportError,
  type PacketAddress,
  type PacketHandler,
  type RequestHandler,
  type StreamAddress,
  type Transport,
} from './transport.js';

export interface NetTransportOptions {
  /** address the UDP and TCP sockets bind to ('0.0.0.0' = every interface) */
  bindAddress: string;
  /** UDP discovery port, shared by all nodes of a cluster; 0 = random */
  packetPort: number;
  /** TCP port for requests; 0 = random */
  streamPort: number;
  /** where broadcast() sends (127.255.255.255 keeps a test cluster on loopback) */
  broadcastAddress: string;
  /** extra discovery targets for networks without broadcast */
  staticPeers?: PacketAddress[];
  logger: Logger;
  /** called for every datagram or connection refused at the edge ('too_large', 'bad_frame') */
  onDrop?: (reason: string, from: string) => void;
  /** size limits; default Limits (tests shrink them) */
  limits?: Partial<typeof Limits>;
}

type Pending = { resolve: (b: Buffer) => void; reject: (e: TransportError) => void; timer: NodeJS.Timeout };

/** One persistent client connection to ip:port carrying many requests, told apart by id. */
class ClientConn {
  readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private connected = false;
  private ended = false;

  constructor(
    readonly socket: net.Socket,
    maxResponseBytes: number,
    private readonly onEnd: (conn: ClientConn) => void,
    private readonly log: Logger,
  ) {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(
      maxResponseBytes,
      {
        frame: (f) => this.answer(f),
        error: (reason, detail, id) => {
          this.log.warn({ reason, detail }, 'bad response frame; closing the connection');
          const tooLarge = reason === 'too_large' && id !== undefined ? this.take(id) : undefined;
          tooLarge?.reject(new TransportError(`response too large: ${detail}`, 'TOO_LARGE'));
          this.fail('CLOSED', `connection closed after a bad frame (${reason})`);
        },
      },
      new Set([FrameKind.Response]),
    );
    socket.on('connect', () => (this.connected = true));
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', (err) => {
      this.log.debug({ err: err.message }, 'peer connection error');
      const code = this.connected ? 'CLOSED' : 'CONNECT';
      this.fail(code, this.connected ? `connection broke: ${err.message}` : `cannot connect: ${err.message}`, err);
    });
    socket.on('close', () => this.fail(this.connected ? 'CLOSED' : 'CONNECT', 'connection closed by the peer'));
  }

  send(data: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.ended) return Promise.reject(new TransportError('connection closed', 'CLOSED'));
    let id = this.nextId;
    for (let i = 0; this.pending.has(id) || id === 0; i++) {
      if (i > 1000) return Promise.reject(new TransportError('too many requests in flight', 'CLOSED'));
      id = (id + 1) >>> 0;
    }
    this.nextId = (id + 1) >>> 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TransportError(`no answer within ${timeoutMs} ms`, 'TIMEOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(encodeFrame(id, FrameKind.Request, data));
    });
  }

  /** Ends the connection and rejects everything pending at once. */
  fail(code: TransportError['code'], message: string, cause?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    this.onEnd(this);
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new TransportError(message, code, { cause }));
    }
  }

  private take(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      clearTimeout(p.timer);
    }
    return p;
  }

  private answer(f: Frame): void {
    const p = this.take(f.id);
    if (p) p.resolve(f.payload);
    else this.log.debug({ id: f.id }, 'late or unknown response dropped');
  }
}

export class NetTransport implements Transport {
  private readonly log: Logger;
  private readonly limits: typeof Limits;
  private udp: dgram.Socket | null = null;
  private udpBroadcast: dgram.Socket | null = null;
  private server: net.Server | null = null;
  private readonly serverSockets = new Set<net.Socket>();
  private readonly pool = new Map<string, ClientConn>();
  private boundPacketPort = 0;
  private closing: Promise<void> | null = null;

  constructor(private readonly opts: NetTransportOptions) {
    this.log = opts.logger.bindings().subsystem ? opts.logger : opts.logger.child({ subsystem: 'transport' });
    this.limits = { ...Limits, ...opts.limits };
  }

  async start(onPacket: PacketHandler, onRequest: RequestHandler): Promise<{ packetPort: number; streamPort: number }> {
    if (this.udp || this.closing) throw new Error('NetTransport.start called twice or after close');
    const { bindAddress, broadcastAddress } = this.opts;
    try {
      this.udp = await this.bindUdp(bindAddress, this.opts.packetPort, onPacket);
      this.boundPacketPort = this.udp.address().port;
      if (!isWildcard(bindAddress)) {
        try {
          this.udpBroadcast = await this.bindUdp(broadcastAddress, this.boundPacketPort, onPacket);
        } catch (err) {
          this.log.warn({ err: (err as Error).message, broadcastAddress }, 'cannot listen on the broadcast address: only unicast discovery will reach this node');
        }
      }
      const server = net.createServer((socket) => this.serve(socket, onRequest));
      this.server = server;
      server.on('error', (err) => this.log.error({ err: err.message }, 'peer server error'));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.opts.streamPort, bindAddress, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const streamPort = (server.address() as net.AddressInfo).port;
      this.log.info({ bindAddress, packetPort: this.boundPacketPort, streamPort }, 'peer transport listening');
      return { packetPort: this.boundPacketPort, streamPort };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  broadcast(data: Buffer): void {
    this.sendPacket({ ip: this.opts.broadcastAddress, port: this.boundPacketPort || this.opts.packetPort }, data);
    for (const peer of this.opts.staticPeers ?? []) this.sendPacket(peer, data);
  }

  sendPacket(to: PacketAddress, data: Buffer): void {
    const udp = this.udp;
    if (!udp || this.closing) return void this.log.debug({ to }, 'packet not sent: transport not running');
    if (data.length > this.limits.maxPacketBytes) {
      return void this.log.error({ to, bytes: data.length, limit: this.limits.maxPacketBytes }, 'packet too large; not sent');
    }
    udp.send(data, to.port, to.ip, (err) => {
      if (err) this.log.warn({ to, err: err.message }, 'packet send failed');
    });
  }

  request(to: StreamAddress, data: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.closing) return Promise.reject(new TransportError('transport is shut down', 'SHUTDOWN'));
    if (data.length > this.limits.maxRequestBytes) {
      return Promise.reject(new TransportError(`request of ${data.length} bytes > limit ${this.limits.maxRequestBytes}`, 'TOO_LARGE'));
    }
    const key = `${to.ip}:${to.port}`;
    let conn = this.pool.get(key);
    if (!conn) {
      const local = isWildcard(this.opts.bindAddress) ? {} : { localAddress: this.opts.bindAddress };
      const socket = net.connect({ host: to.ip, port: to.port, ...local });
      conn = new ClientConn(socket, this.limits.maxFrameBytes, (c) => this.pool.get(key) === c && this.pool.delete(key), this.log.child({ peer: key }));
      this.pool.set(key, conn);
    }
    return conn.send(data, timeoutMs);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const conn of [...this.pool.values()]) conn.fail('SHUTDOWN', 'transport is shut down');
    this.pool.clear();
    for (const s of this.serverSockets) s.destroy();
    this.serverSockets.clear();
    const closeUdp = (s: dgram.Socket | null) => new Promise<void>((r) => (s ? s.close(() => r()) : r()));
    const server = this.server;
    await Promise.all([
      closeUdp(this.udp),
      closeUdp(this.udpBroadcast),
      new Promise<void>((r) => (server?.listening ? server.close(() => r()) : r())),
    ]).catch((err: unknown) => this.log.warn({ err: String(err) }, 'error while closing sockets'));
  }

  private bindUdp(address: string, port: number, onPacket: PacketHandler): Promise<dgram.Socket> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, address, () => {
        sock.off('error', reject);
        sock.setBroadcast(true);
        sock.on('error', (err) => this.log.warn({ err: err.message, address }, 'UDP socket error'));
        sock.on('message', (msg, rinfo) => {
          const from = { ip: rinfo.address, port: rinfo.port };
          if (msg.length > this.limits.maxPacketBytes) return this.drop('too_large', `${from.ip}:${from.port}`, { bytes: msg.length });
          try {
            onPacket(msg, from);
          } catch (err) {
            this.log.error({ err: (err as Error).message, from }, 'packet handler threw');
          }
        });
        resolve(sock);
      });
    });
  }

  /** One accepted connection: decode requests, answer each under its id, drop the socket on bad input. */
  private serve(socket: net.Socket, onRequest: RequestHandler): void {
    if (this.closing) return void socket.destroy();
    const from: StreamAddress = { ip: stripV4Mapped(socket.remoteAddress ?? '?'), port: socket.remotePort ?? 0 };
    const peer = `${from.ip}:${from.port}`;
    this.serverSockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.serverSockets.delete(socket));
    socket.on('error', (err) => this.log.debug({ peer, err: err.message }, 'inbound connection error'));
    const decoder = new FrameDecoder(
      this.limits.maxRequestBytes,
      {
        frame: (f) => {
          // a handler that throws (even synchronously) or answers with a non-buffer is logged, never fatal
          Promise.resolve()
            .then(() => onRequest(f.payload, from))
            .then((answer) => {
              if (!socket.destroyed) socket.write(encodeFrame(f.id, FrameKind.Response, answer));
            })
            .catch((err: unknown) => this.log.warn({ peer, err: err instanceof Error ? err.message : String(err) }, 'request handler failed; no answer sent'));
        },
        error: (reason, detail) => {
          socket.destroy();
          this.drop(reason, peer, { detail });
        },
      },
      new Set([FrameKind.Request]),
    );
    socket.on('data', (chunk) => decoder.push(chunk));
  }

  private drop(reason: string, from: string, extra: Record<string, unknown> = {}): void {
    this.log.warn({ reason, from, ...extra }, 'dropped input from peer');
    try {
      this.opts.onDrop?.(reason, from);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'onDrop threw');
    }
  }
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '' || address === '::';
}

function stripV4Mapped(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
