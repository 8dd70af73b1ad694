// The network as the protocol sees it: datagrams (UDP broadcast and unicast) and request/response
// streams (TCP). Bytes only; the codec turns them into messages. Two implementations share one
// contract test: net-transport.ts (real sockets) and mem-transport.ts (in-process, with faults).

export interface PacketAddress {
  ip: string;
  port: number;
}

export interface StreamAddress {
  ip: string;
  port: number;
}

export type PacketHandler = (data: Buffer, from: PacketAddress) => void;
/**
 * Answers one request. A thrown error closes nothing; the transport logs it and sends no answer,
 * except CloseConnection: then the transport sends the answer it carries (if any) and closes the
 * connection the request came on.
 */
export type RequestHandler = (data: Buffer, from: StreamAddress) => Promise<Buffer>;

/** Thrown by request() when the peer cannot be reached or the connection broke while waiting. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    /**
     * CONNECT (refused/unreachable), CLOSED (connection ended before the answer), TIMEOUT, TOO_LARGE,
     * SHUTDOWN, BUSY (too many requests already waiting on that connection; nothing was sent)
     */
    readonly code: 'CONNECT' | 'CLOSED' | 'TIMEOUT' | 'TOO_LARGE' | 'SHUTDOWN' | 'BUSY',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Rejected by a RequestHandler to drop the peer: the transport sends `answer` (when given) as the
 * reply to that request, then closes the connection; requests still waiting on it end with CLOSED
 * on the caller's side. Meant for junk (unauthenticated or unparseable frames), so a peer that
 * sends garbage loses its connection instead of being answered forever.
 */
export class CloseConnection extends Error {
  override name = 'CloseConnection';
  constructor(
    message: string,
    readonly answer?: Buffer,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for a CloseConnection, also one made by another copy of this module (src vs dist). */
export function isCloseConnection(err: unknown): err is CloseConnection {
  return err instanceof CloseConnection || (err instanceof Error && err.name === 'CloseConnection');
}

/** What a transport holds right now, for tests and /metrics. */
export interface TransportStats {
  /** accepted (inbound) connections open */
  inbound: number;
  /** inbound connections not being read: answers not drained or too many requests outstanding */
  paused: number;
  /** bytes of answers queued in inbound sockets, not yet taken by the kernel */
  bufferedBytes: number;
  /** bytes held in unfinished inbound frames */
  partialBytes: number;
  /** requests dispatched to the handler and not yet answered, over all inbound connections */
  inFlight: number;
  /** pooled outbound connections */
  outbound: number;
  /** requests sent or queued on outbound connections and waiting for their answer */
  pending: number;
  /** bytes of requests queued or buffered on outbound connections, not yet taken by the kernel */
  outboundBufferedBytes: number;
}

export interface Transport {
  /** starts listening; resolves with the bound ports (useful when 0 was asked for) */
  start(onPacket: PacketHandler, onRequest: RequestHandler): Promise<{ packetPort: number; streamPort: number }>;
  /** sends one datagram to the broadcast address and to every static peer */
  broadcast(data: Buffer): void;
  /** sends one datagram to one address */
  sendPacket(to: PacketAddress, data: Buffer): void;
  /**
   * Sends one request on a (pooled, persistent) connection and waits for its answer.
   * Rejects with TransportError: CLOSED as soon as the connection breaks (a killed peer is noticed
   * at once, not after the timeout), TIMEOUT after timeoutMs.
   */
  request(to: StreamAddress, data: Buffer, timeoutMs: number): Promise<Buffer>;
  /** closes sockets; pending requests reject with SHUTDOWN */
  close(): Promise<void>;
  /** current connections, queues and buffers (real sockets only) */
  stats?(): TransportStats;
  /** re-reads the network interfaces: ends connections from addresses that went away */
  checkInterfaces?(): void;
}

/**
 * Size, count and time limits at the edge (named so tests and docs can refer to them; tests shrink
 * them through the transports' `limits` option). Together they bound what peers can make a node
 * hold: at most maxInFlightPerConnection answers per connection, maxConnectionsPerAddress
 * connections per address, maxPartialFrameBytes of unfinished frames in all, each for at most
 * frameTimeoutMs.
 */
const DEFAULT_LIMITS = {
  /** largest UDP datagram we send or accept */
  maxPacketBytes: 60 * 1024,
  /** largest TCP frame (a StateUpdate carrying a snapshot may be big) */
  maxFrameBytes: 32 * 1024 * 1024,
  /** largest TCP request frame accepted from a peer (FetchState, votes, forwarded writes) */
  maxRequestBytes: 1024 * 1024,
  /**
   * Bytes of answers buffered on one inbound connection beyond which the server stops reading it
   * until the socket drains (a peer that does not read its answers cannot grow our memory).
   */
  maxWriteBufferBytes: 1024 * 1024,
  /**
   * Requests of one inbound connection dispatched to the handler and not yet answered. Beyond it the
   * server stops reading that connection until answers go out: a legitimate follower multiplexes up
   * to ~64 forwarded writes plus a long poll on one pooled connection, so this only ever delays.
   */
  maxInFlightPerConnection: 256,
  /**
   * Open inbound connections from one remote address; more are closed at once ('too_many_connections').
   * A node keeps one pooled connection per peer, so this is far above normal use even when a test or
   * benchmark runs 50 nodes on 127.0.0.1.
   */
  maxConnectionsPerAddress: 64,
  /** open inbound connections in all; more are closed at once ('too_many_connections') */
  maxInboundConnections: 512,
  /**
   * How long an inbound connection may hold an unfinished frame (header or body) before it is
   * closed ('frame_timeout'). Counted only while the server reads it: time spent paused by our own
   * backpressure does not count. 1 MiB (maxRequestBytes) in 10 s is 100 KB/s.
   */
  frameTimeoutMs: 10_000,
  /**
   * Bytes of unfinished frames held over all inbound connections. A connection whose data would take
   * the sum beyond it is closed ('partial_budget'): without it, maxInboundConnections peers each
   * sending maxRequestBytes minus one could hold 512 MiB for frameTimeoutMs.
   */
  maxPartialFrameBytes: 16 * 1024 * 1024,
  /** after closing a connection on CloseConnection, how long its last answer may take to flush */
  closeLingerMs: 2_000,
  /** requests waiting for their answer on one outbound connection; more are refused with BUSY */
  maxPendingPerConnection: 1024,
  /**
   * Bytes of requests an outbound connection may queue while the socket is not draining (the peer
   * reads slowly or is still connecting); more are refused with BUSY.
   */
  maxQueuedRequestBytes: 16 * 1024 * 1024,
};
export type TransportLimits = Readonly<typeof DEFAULT_LIMITS>;
/** The defaults of every transport limit (see DEFAULT_LIMITS for what each one bounds). */
export const Limits: TransportLimits = Object.freeze(DEFAULT_LIMITS);
