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
/** Answers one request. A thrown error closes nothing; the transport logs it and sends no answer. */
export type RequestHandler = (data: Buffer, from: StreamAddress) => Promise<Buffer>;

/** Thrown by request() when the peer cannot be reached or the connection broke while waiting. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    /** CONNECT (refused/unreachable), CLOSED (connection ended before the answer), TIMEOUT, TOO_LARGE, SHUTDOWN */
    readonly code: 'CONNECT' | 'CLOSED' | 'TIMEOUT' | 'TOO_LARGE' | 'SHUTDOWN',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
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
}

/** Size limits at the edge (named so tests and docs can refer to them). */
export const Limits = {
  /** largest UDP datagram we send or accept */
  maxPacketBytes: 60 * 1024,
  /** largest TCP frame (a StateUpdate carrying a snapshot may be big) */
  maxFrameBytes: 32 * 1024 * 1024,
  /** largest TCP request frame accepted from a peer (FetchState, votes, forwarded writes) */
  maxRequestBytes: 1024 * 1024,
} as const;
