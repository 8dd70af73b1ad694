// TCP framing for peer requests: [u32 BE length of what follows][u32 BE request id][u8 kind][payload].
// The decoder is a small state machine fed any chunking of the stream (down to one byte at a time);
// it holds only the bytes it was given, never what a header merely announces.

/** Frame kinds; the numeric values are part of the protocol. */
export const FrameKind = { Request: 0, Response: 1 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes before the payload: length (4) + id (4) + kind (1). */
export const FRAME_HEADER_BYTES = 9;
/** The length field counts id + kind + payload. */
const LENGTH_OVERHEAD = 5;
/** body pieces shorter than this are copied together instead of kept one by one */
const SMALL_PIECE_BYTES = 1024;
/** size of the buffer small pieces are copied into */
const TAIL_BYTES = 4096;

export interface Frame {
  id: number;
  kind: FrameKind;
  payload: Buffer;
}

/** Why a stream was given up: the same words the transports pass to onDrop. */
export const FrameErrorReason = { TooLarge: 'too_large', BadFrame: 'bad_frame' } as const;
export type FrameErrorReason = (typeof FrameErrorReason)[keyof typeof FrameErrorReason];

export interface FrameSink {
  frame(frame: Frame): void;
  /** the stream is unusable from here on; `id` is set when the header was readable */
  error(reason: FrameErrorReason, detail: string, id?: number): void;
}

export function encodeFrame(id: number, kind: FrameKind, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length + LENGTH_OVERHEAD, 0);
  out.writeUInt32BE(id >>> 0, 4);
  out.writeUInt8(kind, 8);
  payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

/**
 * Turns a byte stream into frames. Checks the kind before the length (so text such as an HTTP
 * request reads as a bad frame, not as a huge one) and refuses a payload over `maxPayloadBytes`
 * from its header alone. Never allocates a body from its header: it holds only the pieces received
 * (big ones as views of their chunk when that costs at most twice their size, small ones copied
 * together), so a header announcing 1 MiB followed by a few bytes costs a few bytes, and `buffered`
 * is what it really holds. After an error it ignores all further input.
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** payload length of the frame being read, -1 while reading a header */
  private bodyLength = -1;
  /** pieces of the body received so far, in order */
  private parts: Buffer[] = [];
  /** small pieces are copied together here (at most TAIL_BYTES) rather than kept one by one */
  private tail: Buffer | null = null;
  private tailFill = 0;
  private bodyFill = 0;
  private id = 0;
  private kind: FrameKind = FrameKind.Request;
  private failed = false;

  constructor(
    private readonly maxPayloadBytes: number,
    private readonly sink: FrameSink,
    /** kinds this side accepts (a server takes requests, a client responses) */
    private readonly accept: ReadonlySet<FrameKind> = new Set([FrameKind.Request, FrameKind.Response]),
  ) {}

  get broken(): boolean {
    return this.failed;
  }

  /** bytes of an unfinished frame held now (0 between frames and after an error) */
  get buffered(): number {
    if (this.failed) return 0;
    return this.bodyLength < 0 ? this.headerFill : FRAME_HEADER_BYTES + this.bodyFill;
  }

  /** Feeds the next bytes of the stream. The decoder may keep views of `chunk`: do not change it afterwards. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.failed) {
      if (this.bodyLength < 0) {
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill === FRAME_HEADER_BYTES) this.startBody();
      } else {
        const n = Math.min(this.bodyLength - this.bodyFill, chunk.length - off);
        this.append(chunk, off, n);
        off += n;
      }
      if (this.bodyLength >= 0 && this.bodyFill === this.bodyLength) this.finishFrame();
    }
  }

  private startBody(): void {
    const length = this.header.readUInt32BE(0);
    this.id = this.header.readUInt32BE(4);
    const kind = this.header.readUInt8(8);
    if ((kind !== FrameKind.Request && kind !== FrameKind.Response) || !this.accept.has(kind)) {
      return this.fail(FrameErrorReason.BadFrame, `unexpected frame kind ${kind}`, this.id);
    }
    if (length < LENGTH_OVERHEAD) return this.fail(FrameErrorReason.BadFrame, `frame length ${length} is shorter than its header`, this.id);
    const payloadBytes = length - LENGTH_OVERHEAD;
    if (payloadBytes > this.maxPayloadBytes) {
      return this.fail(FrameErrorReason.TooLarge, `frame of ${payloadBytes} bytes > limit ${this.maxPayloadBytes}`, this.id);
    }
    this.kind = kind;
    this.bodyLength = payloadBytes;
    this.bodyFill = 0;
  }

  /** Keeps chunk[off, off+n) of the body: small pieces copied into the tail, big ones as views or copies. */
  private append(chunk: Buffer, off: number, n: number): void {
    if (n < SMALL_PIECE_BYTES) {
      let at = off;
      const end = off + n;
      while (at < end) {
        if (!this.tail || this.tailFill === this.tail.length) {
          this.flushTail();
          this.tail = Buffer.allocUnsafe(Math.min(TAIL_BYTES, this.bodyLength - this.bodyFill));
          this.tailFill = 0;
        }
        const k = Math.min(end - at, this.tail.length - this.tailFill);
        chunk.copy(this.tail, this.tailFill, at, at + k);
        this.tailFill += k;
        this.bodyFill += k;
        at += k;
      }
      return;
    }
    this.flushTail();
    const piece = chunk.subarray(off, off + n);
    // a view keeps its whole chunk alive: worth it only when the piece is most of it
    this.parts.push(piece.length * 2 >= chunk.buffer.byteLength ? piece : Buffer.from(piece));
    this.bodyFill += n;
  }

  private flushTail(): void {
    if (!this.tail) return;
    const used = this.tail.subarray(0, this.tailFill);
    if (this.tailFill > 0) this.parts.push(this.tailFill * 2 >= this.tail.length ? used : Buffer.from(used));
    this.tail = null;
    this.tailFill = 0;
  }

  private finishFrame(): void {
    this.flushTail();
    const payload = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bodyLength);
    this.parts = [];
    this.bodyLength = -1;
    this.bodyFill = 0;
    this.headerFill = 0;
    this.sink.frame({ id: this.id, kind: this.kind, payload });
  }

  private fail(reason: FrameErrorReason, detail: string, id?: number): void {
    this.failed = true;
    this.parts = [];
    this.tail = null;
    this.sink.error(reason, detail, id);
  }
}
