// fast-check properties of the TCP frame decoder, shared by the fuzz test (few runs) and
// bench/fuzz.ts (many runs): any bytes, split anywhere, decode the same and never throw.
import fc from 'fast-check';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameErrorReason, FrameKind, encodeFrame } from '../../../node-core/src/transport/framing.js';

export interface NamedProperty {
  name: string;
  property: fc.IRawProperty<unknown, false>;
}

const REASONS = new Set<string>(Object.values(FrameErrorReason));
const ACCEPT = [new Set([FrameKind.Request, FrameKind.Response]), new Set([FrameKind.Request]), new Set([FrameKind.Response])];

interface Outcome {
  frames: Array<{ id: number; kind: number; payload: string }>;
  errors: Array<{ reason: string; id: number | undefined }>;
  buffered: number;
  broken: boolean;
  /** frames delivered after an error (must stay 0) */
  afterError: number;
}

function decodeAll(chunks: Buffer[], max: number, accept: ReadonlySet<FrameKind>): Outcome {
  const out: Outcome = { frames: [], errors: [], buffered: 0, broken: false, afterError: 0 };
  const d = new FrameDecoder(
    max,
    {
      frame: (f) => {
        if (out.errors.length) out.afterError++;
        out.frames.push({ id: f.id, kind: f.kind, payload: f.payload.toString('hex') });
      },
      error: (reason, _detail, id) => out.errors.push({ reason, id }),
    },
    accept,
  );
  for (const c of chunks) d.push(c);
  out.buffered = d.buffered;
  out.broken = d.broken;
  return out;
}

/** Cuts `bytes` at the given positions (taken modulo its length + 1, any order, repeats allowed). */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    parts.push(bytes.subarray(prev, c)); // empty chunks included on purpose
    prev = c;
  }
  return parts;
}

const frameArb = fc.record({
  id: fc.integer({ min: 0, max: 0xffffffff }),
  kind: fc.constantFrom<FrameKind>(FrameKind.Request, FrameKind.Response),
  // mostly small bodies (copied together by the decoder), some over its 1 KiB small-piece size
  // (a big one repeats a short pattern: as good for the decoder, and it shrinks fast)
  payload: fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 96 }) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 900, max: 6000 }), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([n, pat]) => new Uint8Array(n).map((_, i) => pat[i % pat.length]!)) },
  ),
});

/** valid frames, frames with a flipped byte, and plain junk, in any mix */
const streamArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc
    .array(
      fc.oneof(
        frameArb.map((f) => encodeFrame(f.id, f.kind, Buffer.from(f.payload))),
        fc.tuple(frameArb, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([f, at, v]) => {
          const b = encodeFrame(f.id, f.kind, Buffer.from(f.payload));
          b[at % b.length] = v;
          return b;
        }),
        fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
      ),
      { maxLength: 8 },
    )
    .map((parts) => Buffer.concat(parts)),
);

const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
const maxArb = fc.constantFrom(0, 16, 64, 1 << 20);
const acceptArb = fc.constantFrom(...ACCEPT);

export function framingProperties(): NamedProperty[] {
  return [
    {
      name: 'framing: any bytes split anywhere decode like one push, never throw, and fail only with a documented reason',
      property: fc.property(streamArb, cutsArb, maxArb, acceptArb, (bytes, cuts, max, accept) => {
        const whole = decodeAll([bytes], max, accept);
        const split = decodeAll(splitAt(bytes, cuts), max, accept);
        if (JSON.stringify(split) !== JSON.stringify(whole)) throw new Error('split decode differs from whole decode');
        if (whole.errors.length > 1 || whole.afterError > 0) throw new Error('more than one error, or frames after an error');
        for (const e of whole.errors) if (!REASONS.has(e.reason)) throw new Error(`undocumented reason ${e.reason}`);
        if (whole.broken !== whole.errors.length > 0) throw new Error('broken does not match the errors');
        const consumed = whole.frames.reduce((n, f) => n + FRAME_HEADER_BYTES + f.payload.length / 2, 0);
        if (!whole.broken && whole.buffered !== bytes.length - consumed) throw new Error(`holds ${whole.buffered} bytes, expected ${bytes.length - consumed}`);
        if (whole.broken && whole.buffered !== 0) throw new Error('holds bytes after an error');
      }),
    },
    {
      name: 'framing: valid frames split anywhere come out exactly, with nothing held after',
      property: fc.property(fc.array(frameArb, { maxLength: 10 }), cutsArb, (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.id, f.kind, Buffer.from(f.payload))));
        const out = decodeAll(splitAt(bytes, cuts), 1 << 20, ACCEPT[0]!);
        const want = frames.map((f) => ({ id: f.id, kind: f.kind, payload: Buffer.from(f.payload).toString('hex') }));
        if (JSON.stringify(out.frames) !== JSON.stringify(want) || out.errors.length || out.buffered !== 0) throw new Error('frames do not round-trip');
      }),
    },
    {
      name: 'framing: an announced body is never held beyond the bytes received',
      property: fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.uint8Array({ maxLength: 300 }), cutsArb, (announced, got, cuts) => {
        const header = Buffer.alloc(FRAME_HEADER_BYTES);
        header.writeUInt32BE(announced + 5, 0);
        const body = Buffer.from(got).subarray(0, Math.max(0, announced - 1));
        const out = decodeAll(splitAt(Buffer.concat([header, body]), cuts), 1 << 20, ACCEPT[0]!);
        if (out.frames.length || out.errors.length) throw new Error('an unfinished frame came out');
        if (out.buffered !== FRAME_HEADER_BYTES + body.length) throw new Error(`holds ${out.buffered} bytes for ${FRAME_HEADER_BYTES + body.length} received`);
      }),
    },
  ];
}
