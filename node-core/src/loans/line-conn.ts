// One loan-wire TCP connection: splits the stream into lines holding at most one line's bytes, parses
// them (wire.ts), answers bad ones, caps the line rate, and drops a peer that does not read what it is sent.
import { connect, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { NonceCache, WireLimits, encodeLine, parseLine, refusalFor, type OutMessage, type ParsedLine, type RefusedLine } from './wire.js';

export const LineConnDefaults = {
  /** no byte received for this long closes the connection */
  idleMs: 60_000,
  /** bad lines on one connection before it is closed */
  maxBadLines: 10,
  /** lines accepted per second; the excess is dropped and counted */
  maxLinesPerSec: 100,
  /** bytes queued for a peer that does not read before the connection is dropped */
  maxQueueBytes: 1024 * 1024,
  /** after close(), a peer that does not take the last bytes is cut off after this */
  closeGraceMs: 2000,
} as const;

export interface LineConnOptions {
  socket: Socket;
  key?: string | undefined;
  /** shared replay cache (one per server or client) */
  nonces?: NonceCache;
  logger: Logger;
  now?: () => number;
  idleMs?: number;
  maxBadLines?: number;
  maxLinesPerSec?: number;
  maxQueueBytes?: number;
  /** every dropped line or connection fault, by reason (counters) */
  onDrop?: (reason: string, detail: string) => void;
}

const NL = 0x0a;

export class LineConn {
  readonly remoteAddress: string;
  private readonly socket: Socket;
  private readonly nonces: NonceCache;
  private readonly now: () => number;
  private readonly maxBadLines: number;
  private readonly maxLinesPerSec: number;
  private readonly maxQueueBytes: number;
  /** pieces of the unfinished line */
  private parts: Buffer[] = [];
  private held = 0;
  /** skipping an over-long line up to its `\n` */
  private discarding = false;
  private badLines = 0;
  private windowStart = 0;
  private windowLines = 0;
  private closed = false;
  /** close() was called: no more lines are read */
  private ending = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly messageCbs: Array<(m: ParsedLine) => void> = [];
  private readonly closeCbs: Array<(why: string) => void> = [];
  private readonly badCbs: Array<(r: RefusedLine) => void> = [];

  constructor(private readonly opts: LineConnOptions) {
    this.socket = opts.socket;
    this.remoteAddress = normaliseAddress(opts.socket.remoteAddress ?? '');
    this.nonces = opts.nonces ?? new NonceCache();
    this.now = opts.now ?? Date.now;
    this.maxBadLines = opts.maxBadLines ?? LineConnDefaults.maxBadLines;
    this.maxLinesPerSec = opts.maxLinesPerSec ?? LineConnDefaults.maxLinesPerSec;
    this.maxQueueBytes = opts.maxQueueBytes ?? LineConnDefaults.maxQueueBytes;
    this.socket.setNoDelay(true);
    this.socket.setTimeout(opts.idleMs ?? LineConnDefaults.idleMs, () => {
      this.drop('idle', 'no traffic');
      this.destroy('idle');
    });
    this.socket.on('data', (chunk: Buffer) => this.push(chunk));
    this.socket.on('error', (err) => this.opts.logger.debug({ peer: this.remoteAddress, err: err.message }, 'loan connection error'));
    this.socket.on('close', () => this.finish('closed'));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** bytes of an unfinished line held now (never more than one line's limit) */
  get buffered(): number {
    return this.held;
  }

  /** bytes written but not yet taken by the kernel */
  get queued(): number {
    return this.socket.writableLength;
  }

  /** the socket took all that was queued */
  onDrain(cb: () => void): void {
    this.socket.on('drain', cb);
  }

  /** the owner gave up waiting for the peer to read: dropped and counted as a slow reader */
  stalled(): void {
    if (this.closed) return;
    this.drop('slow_reader', `${this.socket.writableLength} bytes not taken`);
    this.destroy('slow_reader');
  }

  onMessage(cb: (m: ParsedLine) => void): void {
    this.messageCbs.push(cb);
  }

  /** a refused line (after it was counted and answered) */
  onBad(cb: (r: RefusedLine) => void): void {
    this.badCbs.push(cb);
  }

  onClose(cb: (why: string) => void): void {
    if (this.closed) queueMicrotask(() => cb('closed'));
    else this.closeCbs.push(cb);
  }

  /** Sends one message; false (and the connection dropped) when the peer is not reading. */
  send(msg: OutMessage, done?: (err?: Error | null) => void): boolean {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return false;
    const bytes = encodeLine(msg, this.opts.key, this.now());
    if (bytes.length - 1 > WireLimits.lineBytes) {
      this.drop('too_large_out', `not sending a ${bytes.length} byte line`);
      return false;
    }
    if (this.socket.writableLength + bytes.length > this.maxQueueBytes) {
      this.drop('slow_reader', `${this.socket.writableLength} bytes queued`);
      this.destroy('slow_reader');
      return false;
    }
    this.socket.write(bytes, done);
    return true;
  }

  /** Ends the connection after what was sent; a peer that does not take it is cut off after a grace. */
  close(): void {
    if (this.closed) return;
    this.ending = true;
    this.socket.end();
    this.graceTimer ??= setTimeout(() => this.destroy('close'), LineConnDefaults.closeGraceMs);
    this.graceTimer.unref?.();
  }

  destroy(why: string): void {
    this.socket.destroy();
    this.finish(why);
  }

  private finish(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.parts = [];
    this.held = 0;
    clearTimeout(this.graceTimer);
    for (const cb of this.closeCbs.splice(0)) cb(why);
  }

  private drop(reason: string, detail: string): void {
    this.opts.onDrop?.(reason, detail);
    this.opts.logger.debug({ peer: this.remoteAddress, reason, detail }, 'loan line dropped');
  }

  private push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.closed && !this.ending) {
      const nl = chunk.indexOf(NL, off);
      const end = nl < 0 ? chunk.length : nl;
      if (this.discarding) {
        if (nl >= 0) this.discarding = false;
      } else if (this.held + (end - off) > WireLimits.lineBytes) {
        // over the limit: forget what is held, skip to the `\n`, answer once
        this.parts = [];
        this.held = 0;
        this.discarding = nl < 0;
        this.bad({ ok: false, reason: 'too_large', detail: `line over ${WireLimits.lineBytes} bytes` });
      } else if (end > off || nl >= 0) {
        if (end > off) {
          // copy: a view would keep the whole chunk alive
          this.parts.push(Buffer.from(chunk.subarray(off, end)));
          this.held += end - off;
        }
        if (nl >= 0) {
          const line = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.held);
          this.parts = [];
          this.held = 0;
          this.line(line);
        }
      }
      off = nl < 0 ? chunk.length : nl + 1;
    }
  }

  private line(line: Buffer): void {
    if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return; // blank lines are keep-alives
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.windowStart = t;
      this.windowLines = 0;
    }
    if (++this.windowLines > this.maxLinesPerSec) return this.drop('rate', `over ${this.maxLinesPerSec} lines/s`);
    const parsed = parseLine(line, { key: this.opts.key, now: t, nonces: this.nonces });
    if (!parsed.ok) return this.bad(parsed);
    for (const cb of this.messageCbs) {
      try {
        cb(parsed);
      } catch (err) {
        this.opts.logger.warn({ peer: this.remoteAddress, err: (err as Error).message }, 'loan message handler failed');
      }
    }
  }

  private bad(r: RefusedLine): void {
    this.drop(r.reason, r.detail);
    // an ERROR is never answered with an ERROR: two peers refusing each other's lines would ping-pong
    if (r.task !== 'ERROR') this.send(refusalFor(r));
    for (const cb of this.badCbs) cb(r);
    if (++this.badLines >= this.maxBadLines) {
      this.drop('bad_lines_closed', `${this.badLines} bad lines`);
      this.close();
    }
  }
}

/** `::ffff:127.0.0.1` -> `127.0.0.1` */
export function normaliseAddress(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** the rate cap of a connection this side opened: a whole WORK version (up to WireLimits.parts lines) fits in one second */
const DIALLED_LINES_PER_SEC = 2 * WireLimits.parts;

/** Opens a LineConn to address:port, or rejects after timeoutMs. */
export function dialLine(address: string, port: number, key: string | undefined, nonces: NonceCache, logger: Logger, timeoutMs: number, idleMs: number): Promise<LineConn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${address}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(new LineConn({ socket, key, nonces, logger, idleMs, maxLinesPerSec: DIALLED_LINES_PER_SEC }));
    });
  });
}
