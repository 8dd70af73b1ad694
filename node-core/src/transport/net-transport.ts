// The real transport: UDP datagrams for discovery (broadcast + static peers) and framed, pooled,
// multiplexed TCP connections for requests. Nothing a peer sends can throw out of a receive loop,
// and nothing it sends or fails to read can make us hold more than Limits allow: inbound connections
// are capped per address and in all (server-conn.ts does the per-connection flow control).
//
// Several nodes on one host share the discovery port (SO_REUSEADDR). Linux hands a broadcast only
// to sockets bound to the wildcard or to the broadcast address itself, so a node bound to a
// specific address (e.g. 127.0.0.2) opens a second, receive-only socket on broadcastAddress:port.
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import net from 'node:net';
import type { Logger } from '../log.js';
import { listIpv4Interfaces, type Ipv4Interface } from './interfaces.js';
import { ClientConn } from './client-conn.js';
import { ServerConn } from './server-conn.js';
import {
  Limits,
  TransportError,
  type PacketAddress,
  type PacketHandler,
  type RequestHandler,
  type StreamAddress,
  type Transport,
  type TransportLimits,
  type TransportStats,
} from './transport.js';

export interface NetTransportOptions {
  /** address the UDP and TCP sockets bind to ('0.0.0.0' = every interface) */
  bindAddress: string;
  /** UDP discovery port, shared by all nodes of a cluster; 0 = random */
  packetPort: number;
  /** TCP port for requests; 0 = random */
  streamPort: number;
  /**
   * where broadcast() sends (127.255.255.255 keeps a test cluster on loopback); unset: the directed
   * broadcast of every up IPv4 interface, and 255.255.255.255 while it has a route
   */
  broadcastAddress?: string | undefined;
  /** with broadcastAddress unset: only these interfaces (names; empty: all) */
  interfaces?: readonly string[];
  /** the interface list (tests inject one); default os.networkInterfaces */
  listInterfaces?: () => Ipv4Interface[];
  /** extra discovery targets for networks without broadcast */
  staticPeers?: PacketAddress[];
  logger: Logger;
  /**
   * called for every datagram or connection refused at the edge: 'too_large', 'bad_frame',
   * 'too_many_connections', 'frame_timeout', 'partial_budget'
   */
  onDrop?: (reason: string, from: string) => void;
  /** size, count and time limits; default Limits (tests shrink them) */
  limits?: Partial<TransportLimits>;
}

/** longest wait on close for datagrams still being sent */
const UDP_FLUSH_MS = 250;
/** how often the interface list (and so the broadcast addresses) is re-read */
export const INTERFACE_REFRESH_MS = 10_000;
const LIMITED_BROADCAST = '255.255.255.255';

export class NetTransport implements Transport {
  private readonly log: Logger;
  private readonly limits: TransportLimits;
  private udp: dgram.Socket | null = null;
  private udpBroadcast: dgram.Socket | null = null;
  private server: net.Server | null = null;
  private readonly serverConns = new Set<ServerConn>();
  /** open inbound connections per remote ip */
  private readonly perAddress = new Map<string, number>();
  /** bytes of unfinished frames held over all inbound connections (see Limits.maxPartialFrameBytes) */
  private partialTotal = 0;
  /** drops logged per reason in the current second, so a flood does not flood the log */
  private readonly dropLog = new Map<string, { second: number; count: number }>();
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
      if (!isWildcard(bindAddress) && broadcastAddress) {
        try {
          this.udpBroadcast = await this.bindUdp(broadcastAddress, this.boundPacketPort, onPacket);
        } catch (err) {
          this.log.warn({ err: (err as Error).message, broadcastAddress }, 'cannot listen on the broadcast address: only unicast discovery will reach this node');
        }
      }
      // answers cross the write limit only by a write that returns false, so 'drain' always follows
      const highWaterMark = Math.min(16 * 1024, this.limits.maxWriteBufferBytes);
      const server = net.createServer({ highWaterMark }, (socket) => this.serve(socket, onRequest));
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
    const port = this.boundPacketPort || this.opts.packetPort;
    for (const ip of this.broadcastTargets()) this.sendPacket({ ip, port }, data, true);
    for (const peer of this.opts.staticPeers ?? []) this.sendPacket(peer, data);
  }

  // ---------------------------------------------------------------- where broadcasts go

  private targets: { at: number; list: string[] } | null = null;
  /** last send error per broadcast target ('' after a success): logged once per change */
  private readonly targetErrors = new Map<string, string>();

  /**
   * The configured broadcast address, or every interface's directed broadcast plus
   * 255.255.255.255 (unless it has no route). Re-read every INTERFACE_REFRESH_MS, and at once after
   * a send error (docking, roaming, a VPN going up or down).
   */
  broadcastTargets(): string[] {
    if (this.opts.broadcastAddress) return [this.opts.broadcastAddress];
    const now = performance.now();
    if (this.targets && now - this.targets.at < INTERFACE_REFRESH_MS) return this.targets.list;
    const ifs = (this.opts.listInterfaces ?? (() => listIpv4Interfaces(this.opts.interfaces ?? [])))();
    this.dropConnectionsFromGoneAddresses();
    const list = [...new Set(ifs.map((i) => i.broadcast))];
    const limited = this.targetErrors.get(LIMITED_BROADCAST);
    // the limited broadcast goes out by the default route: without one (a lab network) it fails
    // with ENETUNREACH; it is tried again at each refresh
    if (this.opts.interfaces === undefined || this.opts.interfaces.length === 0) list.push(LIMITED_BROADCAST);
    const prev = this.targets?.list.filter((t) => t !== LIMITED_BROADCAST).join(',');
    const next = list.filter((t) => t !== LIMITED_BROADCAST).join(',');
    if (prev !== next) this.log.info({ interfaces: ifs.map((i) => `${i.name}=${i.address}`), broadcast: list, limitedBroadcastError: limited || undefined }, 'discovery sends to these broadcast addresses');
    this.targets = { at: now, list };
    return list;
  }

  sendPacket(to: PacketAddress, data: Buffer, broadcastTarget = false): void {
    const udp = this.udp;
    if (!udp || this.closing) return void this.log.debug({ to }, 'packet not sent: transport not running');
    if (data.length > this.limits.maxPacketBytes) {
      return void this.log.error({ to, bytes: data.length, limit: this.limits.maxPacketBytes }, 'packet too large; not sent');
    }
    this.udpSending++;
    udp.send(data, to.port, to.ip, (err) => {
      if (broadcastTarget) this.noteTarget(to.ip, err);
      else if (err) this.log.warn({ to, err: err.message }, 'packet send failed');
      if (--this.udpSending === 0) for (const w of this.udpSent.splice(0)) w();
    });
  }

  /**
   * Outbound connections whose local address is no longer one of ours (a DHCP change, another
   * network) would wait forever for answers that cannot reach us: end them, so the next request
   * connects again from the address we have now. Called when the interfaces are re-read.
   */
  checkInterfaces(): void {
    this.dropConnectionsFromGoneAddresses();
  }

  dropConnectionsFromGoneAddresses(): void {
    const mine = new Set<string>();
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) mine.add(a.address);
    for (const conn of [...this.pool.values()]) {
      const local = conn.socket.localAddress?.replace(/^::ffff:/, '');
      if (local && !mine.has(local)) {
        this.log.info({ local }, 'this node\'s address went away: reconnecting from the current one');
        conn.fail('CLOSED', `the local address ${local} went away`);
      }
    }
  }

  /** a broadcast target's send result: logged once per change, and an error re-reads the interfaces */
  private noteTarget(ip: string, err: Error | null): void {
    const code = err ? ((err as NodeJS.ErrnoException).code ?? err.message) : '';
    const prev = this.targetErrors.get(ip) ?? '';
    if (code === prev) return;
    this.targetErrors.set(ip, code);
    if (code) {
      this.log.warn({ to: ip, err: code }, ip === LIMITED_BROADCAST ? 'broadcast to 255.255.255.255 fails (no route for it?): the directed broadcast of each interface still goes out' : 'broadcast failed: re-reading the interfaces');
      this.targets = null;
    } else this.log.info({ to: ip }, 'broadcast works again');
  }

  /** datagrams handed to the socket and not yet sent: close() waits for them (a LeaveNotification) */
  private udpSending = 0;
  private readonly udpSent: Array<() => void> = [];

  private flushUdp(maxMs: number): Promise<void> {
    if (this.udpSending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, maxMs);
      this.udpSent.push(() => {
        clearTimeout(t);
        resolve();
      });
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
      conn = new ClientConn(socket, this.limits, (c) => this.pool.get(key) === c && this.pool.delete(key), this.log.child({ peer: key }));
      this.pool.set(key, conn);
    }
    return conn.send(data, timeoutMs);
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): TransportStats {
    const st: TransportStats = { inbound: 0, paused: 0, bufferedBytes: 0, partialBytes: 0, inFlight: 0, outbound: 0, pending: 0, outboundBufferedBytes: 0 };
    for (const c of this.serverConns) {
      st.inbound++;
      if (c.paused) st.paused++;
      st.bufferedBytes += c.bufferedBytes;
      st.partialBytes += c.partialBytes;
      st.inFlight += c.inFlight;
    }
    for (const c of this.pool.values()) {
      st.outbound++;
      st.pending += c.waiting;
      st.outboundBufferedBytes += c.bufferedBytes;
    }
    return st;
  }

  private async shutdown(): Promise<void> {
    for (const conn of [...this.pool.values()]) conn.fail('SHUTDOWN', 'transport is shut down');
    this.pool.clear();
    for (const c of this.serverConns) c.destroy();
    this.serverConns.clear();
    this.perAddress.clear();
    // a datagram sent just before close (the LeaveNotification) was dropped by closing at once
    await this.flushUdp(UDP_FLUSH_MS);
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

  /** One accepted connection: refused at once beyond the connection caps, else served by a ServerConn. */
  private serve(socket: net.Socket, onRequest: RequestHandler): void {
    if (this.closing) return void socket.destroy();
    const from: StreamAddress = { ip: stripV4Mapped(socket.remoteAddress ?? '?'), port: socket.remotePort ?? 0 };
    const peer = `${from.ip}:${from.port}`;
    const fromIp = this.perAddress.get(from.ip) ?? 0;
    if (fromIp >= this.limits.maxConnectionsPerAddress || this.serverConns.size >= this.limits.maxInboundConnections) {
      socket.on('error', () => {});
      socket.destroy();
      return this.drop('too_many_connections', peer, { fromAddress: fromIp, open: this.serverConns.size });
    }
    this.perAddress.set(from.ip, fromIp + 1);
    const conn = new ServerConn(socket, from, {
      limits: this.limits,
      onRequest,
      log: this.log,
      drop: (reason, extra) => this.drop(reason, peer, extra),
      account: (delta) => (this.partialTotal += delta) <= this.limits.maxPartialFrameBytes,
      onClose: (c) => {
        if (!this.serverConns.delete(c)) return;
        const left = (this.perAddress.get(from.ip) ?? 1) - 1;
        if (left > 0) this.perAddress.set(from.ip, left);
        else this.perAddress.delete(from.ip);
      },
    });
    this.serverConns.add(conn);
  }

  private drop(reason: string, from: string, extra: Record<string, unknown> = {}): void {
    const second = Math.floor(Date.now() / 1000);
    const seen = this.dropLog.get(reason);
    if (!seen || seen.second !== second) this.dropLog.set(reason, { second, count: 1 });
    else seen.count++;
    const n = this.dropLog.get(reason)!.count;
    if (n <= 10) this.log.warn({ reason, from, ...extra }, 'dropped input from peer');
    else if (n === 11) this.log.warn({ reason }, 'dropping more input for this reason; not logging each one for the rest of this second');
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
