// One persistent outbound connection to ip:port carrying many requests, told apart by id. Bounded:
// at most maxPendingPerConnection requests wait for answers, and requests written while the socket
// does not drain wait in a queue of at most maxQueuedRequestBytes; beyond either, BUSY.
import type net from 'node:net';
import type { Logger } from '../log.js';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameKind, encodeFrame, type Frame } from './framing.js';
import { TransportError, type TransportLimits } from './transport.js';

type Pending = { resolve: (b: Buffer) => void; reject: (e: TransportError) => void; timer: NodeJS.Timeout };

export class ClientConn {
  private readonly pending = new Map<number, Pending>();
  /** frames not yet handed to the socket because it had not drained, in send order, by id */
  private readonly queue = new Map<number, Buffer>();
  private queuedBytes = 0;
  /** the last write returned false: queue until 'drain' */
  private blocked = false;
  private nextId = 1;
  private connected = false;
  private ended = false;

  constructor(
    readonly socket: net.Socket,
    private readonly limits: TransportLimits,
    private readonly onEnd: (conn: ClientConn) => void,
    private readonly log: Logger,
  ) {
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(
      limits.maxFrameBytes,
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
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('drain', () => this.flush());
    socket.on('error', (err) => {
      this.log.debug({ err: err.message }, 'peer connection error');
      const code = this.connected ? 'CLOSED' : 'CONNECT';
      this.fail(code, this.connected ? `connection broke: ${err.message}` : `cannot connect: ${err.message}`, err);
    });
    socket.on('close', () => this.fail(this.connected ? 'CLOSED' : 'CONNECT', 'connection closed by the peer'));
  }

  /** requests waiting for their answer */
  get waiting(): number {
    return this.pending.size;
  }

  /** request bytes queued here or in the socket, not yet taken by the kernel */
  get bufferedBytes(): number {
    return this.queuedBytes + (this.socket.destroyed ? 0 : this.socket.writableLength);
  }

  send(data: Buffer, timeoutMs: number): Promise<Buffer> {
    if (this.ended) return Promise.reject(new TransportError('connection closed', 'CLOSED'));
    if (this.pending.size >= this.limits.maxPendingPerConnection) {
      return Promise.reject(new TransportError(`${this.pending.size} requests already wait for an answer on this connection (limit ${this.limits.maxPendingPerConnection})`, 'BUSY'));
    }
    const frameBytes = FRAME_HEADER_BYTES + data.length;
    if (this.blocked && this.queuedBytes + frameBytes > this.limits.maxQueuedRequestBytes) {
      return Promise.reject(new TransportError(`the peer reads too slowly: ${this.queuedBytes} bytes of requests already queued (limit ${this.limits.maxQueuedRequestBytes})`, 'BUSY'));
    }
    let id = this.nextId;
    while (this.pending.has(id) || id === 0) id = (id + 1) >>> 0; // ends: pending is far smaller than 2^32
    this.nextId = (id + 1) >>> 0;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.unqueue(id);
        reject(new TransportError(`no answer within ${timeoutMs} ms`, 'TIMEOUT'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const frame = encodeFrame(id, FrameKind.Request, data);
      if (this.blocked) {
        this.queue.set(id, frame);
        this.queuedBytes += frame.length;
      } else {
        this.write(frame);
      }
    });
  }

  /** Ends the connection and rejects everything pending at once. */
  fail(code: TransportError['code'], message: string, cause?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.destroy();
    this.onEnd(this);
    this.queue.clear();
    this.queuedBytes = 0;
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      clearTimeout(p.timer);
      p.reject(new TransportError(message, code, { cause }));
    }
  }

  private write(frame: Buffer): void {
    if (!this.socket.write(frame)) this.blocked = true;
  }

  /** The socket drained: hand it queued frames until it pushes back again. */
  private flush(): void {
    this.blocked = false;
    for (const [id, frame] of this.queue) {
      if (this.blocked || this.ended) break;
      this.unqueue(id);
      this.write(frame);
    }
  }

  private unqueue(id: number): void {
    const frame = this.queue.get(id);
    if (!frame) return;
    this.queue.delete(id);
    this.queuedBytes -= frame.length;
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
