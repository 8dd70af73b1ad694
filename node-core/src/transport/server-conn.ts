// One accepted peer connection: decodes requests, dispatches them to the handler and writes each
// answer under its id, holding only bounded memory whatever the peer does (see Limits).
//
// Flow control: decoded frames wait in a small backlog and are dispatched while fewer than
// maxInFlightPerConnection are outstanding and the answers written so far have drained below
// maxWriteBufferBytes. Otherwise the socket is paused (the kernel then pushes back on the peer)
// until answers go out or the socket drains. A peer that never reads its answers thus stops being
// read; a legitimate one is only delayed. An unfinished frame may be held for frameTimeoutMs of
// reading time, then the connection is closed.
import type net from 'node:net';
import type { Logger } from '../log.js';
import { FrameDecoder, FrameKind, encodeFrame, type Frame } from './framing.js';
import { isCloseConnection, type RequestHandler, type StreamAddress, type TransportLimits } from './transport.js';

export interface ServerConnOptions {
  limits: TransportLimits;
  onRequest: RequestHandler;
  log: Logger;
  /** counts one refusal of this peer's input ('bad_frame', 'too_large', 'frame_timeout', 'partial_budget') */
  drop: (reason: string, extra?: Record<string, unknown>) => void;
  /** adds `delta` bytes of unfinished frames to the transport's total; false when it is over budget */
  account: (delta: number) => boolean;
  /** called once when the socket has closed */
  onClose: (conn: ServerConn) => void;
}

export class ServerConn {
  readonly from: StreamAddress;
  readonly peer: string;
  private readonly decoder: FrameDecoder;
  /** decoded frames not yet dispatched (a FIFO: `head` is the next one) */
  private backlog: Frame[] = [];
  private head = 0;
  private inFlight_ = 0;
  /** answers buffered beyond maxWriteBufferBytes: wait for 'drain' */
  private writeBlocked = false;
  private paused_ = false;
  /** set once the connection is being closed: nothing more is read or dispatched */
  private closing = false;
  private frameTimer: NodeJS.Timeout | null = null;
  /** frames completed when frameTimer was armed: a new unfinished frame re-arms it */
  private frameTimerSeq = -1;
  private completed = 0;
  private lingerTimer: NodeJS.Timeout | null = null;
  /** unfinished-frame bytes counted in the transport's total */
  private accounted = 0;

  constructor(
    readonly socket: net.Socket,
    from: StreamAddress,
    private readonly opts: ServerConnOptions,
  ) {
    this.from = from;
    this.peer = `${from.ip}:${from.port}`;
    socket.setNoDelay(true);
    this.decoder = new FrameDecoder(
      opts.limits.maxRequestBytes,
      {
        frame: (f) => {
          this.completed++;
          if (!this.closing) this.backlog.push(f);
        },
        error: (reason, detail) => {
          this.destroy();
          this.opts.drop(reason, { detail });
        },
      },
      new Set([FrameKind.Request]),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on('error', (err) => this.opts.log.debug({ peer: this.peer, err: err.message }, 'inbound connection error'));
    socket.on('close', () => {
      this.closing = true;
      this.clearTimers();
      this.release();
      this.backlog = [];
      this.head = 0;
      this.opts.onClose(this);
    });
  }

  /** requests dispatched to the handler and not yet answered */
  get inFlight(): number {
    return this.inFlight_;
  }

  /** true while this connection is not being read (backpressure or the outstanding cap) */
  get paused(): boolean {
    return this.paused_;
  }

  /** bytes held in an unfinished frame */
  get partialBytes(): number {
    return this.decoder.buffered;
  }

  /** bytes of answers in the socket's buffer, not yet taken by the kernel */
  get bufferedBytes(): number {
    return this.socket.destroyed ? 0 : this.socket.writableLength;
  }

  destroy(): void {
    this.closing = true;
    this.clearTimers();
    this.release();
    this.socket.destroy();
  }

  /** gives this connection's unfinished-frame bytes back to the transport's total */
  private release(): void {
    if (this.accounted !== 0) this.opts.account(-this.accounted);
    this.accounted = 0;
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    this.decoder.push(chunk);
    const held = this.decoder.buffered;
    const delta = held - this.accounted;
    this.accounted = held;
    if (!this.opts.account(delta) && held > 0 && delta > 0) {
      this.destroy();
      return this.opts.drop('partial_budget', { detail: `unfinished frames would hold more than ${this.opts.limits.maxPartialFrameBytes} bytes in all` });
    }
    this.pump();
  }

  /** Dispatches what the limits allow, then pauses or resumes reading and (re)arms the frame timer. */
  private pump(): void {
    while (this.head < this.backlog.length && this.canDispatch()) {
      const f = this.backlog[this.head]!;
      this.backlog[this.head++] = undefined as unknown as Frame;
      void this.dispatch(f);
    }
    if (this.head === this.backlog.length) {
      this.backlog = [];
      this.head = 0;
    }
    if (this.closing) return;
    const hold = this.head < this.backlog.length || !this.canDispatch();
    if (hold && !this.paused_) {
      this.paused_ = true;
      this.socket.pause();
    } else if (!hold && this.paused_) {
      this.paused_ = false;
      this.socket.resume();
    }
    this.watchFrame();
  }

  private canDispatch(): boolean {
    return !this.closing && !this.writeBlocked && this.inFlight_ < this.opts.limits.maxInFlightPerConnection;
  }

  /** Arms the frame timer while an unfinished frame is held and we are reading; a new frame re-arms it. */
  private watchFrame(): void {
    const waiting = !this.closing && !this.paused_ && this.decoder.buffered > 0;
    if (!waiting) {
      if (this.frameTimer) clearTimeout(this.frameTimer);
      this.frameTimer = null;
      return;
    }
    if (this.frameTimer && this.frameTimerSeq === this.completed) return;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimerSeq = this.completed;
    const ms = this.opts.limits.frameTimeoutMs;
    this.frameTimer = setTimeout(() => {
      this.frameTimer = null;
      const held = this.decoder.buffered;
      this.destroy();
      this.opts.drop('frame_timeout', { detail: `an unfinished frame (${held} bytes) was held for over ${ms} ms` });
    }, ms);
    this.frameTimer.unref();
  }

  private async dispatch(f: Frame): Promise<void> {
    this.inFlight_++;
    try {
      // a handler that throws (even synchronously) or answers with a non-buffer is logged, never fatal
      const answer = await Promise.resolve().then(() => this.opts.onRequest(f.payload, this.from));
      if (!Buffer.isBuffer(answer)) throw new Error('request handler answered with a non-buffer');
      this.write(f.id, answer);
    } catch (err) {
      if (isCloseConnection(err)) this.closeAfter(f.id, err.answer, err.message);
      else this.opts.log.warn({ peer: this.peer, err: err instanceof Error ? err.message : String(err) }, 'request handler failed; no answer sent');
    } finally {
      this.inFlight_--;
      this.pump();
    }
  }

  private write(id: number, answer: Buffer): void {
    const s = this.socket;
    if (s.destroyed || s.writableEnded) return;
    s.write(encodeFrame(id, FrameKind.Response, answer));
    // the server's highWaterMark is at most this limit, so the write that crosses it returned false: 'drain' will come
    if (s.writableLength > this.opts.limits.maxWriteBufferBytes) this.writeBlocked = true;
  }

  /** CloseConnection: send its answer (if any), stop reading, and close once it is flushed (bounded by closeLingerMs). */
  private closeAfter(id: number, answer: Buffer | undefined, why: string): void {
    if (this.closing) return;
    this.opts.log.debug({ peer: this.peer, why }, 'closing a connection at the handler\'s request');
    if (answer === undefined || !Buffer.isBuffer(answer)) return this.destroy();
    this.write(id, answer);
    this.closing = true;
    this.clearTimers();
    this.backlog = [];
    this.head = 0;
    this.socket.end();
    this.socket.resume(); // read (and ignore) the rest, so the peer's FIN is seen and the socket closes
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.opts.limits.closeLingerMs);
    this.lingerTimer.unref();
  }

  private clearTimers(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = null;
    if (this.lingerTimer && this.socket.destroyed) clearTimeout(this.lingerTimer);
  }
}
