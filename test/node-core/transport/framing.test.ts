// The frame decoder fed every possible chunking of a stream, and its refusals (bad kind, short
// length, oversized payload) with nothing delivered after an error.
import { describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameKind, encodeFrame, type Frame } from '../../../node-core/src/transport/framing.js';

function collector(max = 1 << 20, accept?: ReadonlySet<FrameKind>) {
  const frames: Frame[] = [];
  const errors: Array<{ reason: string; id: number | undefined }> = [];
  const d = new FrameDecoder(max, { frame: (f) => frames.push(f), error: (reason, _detail, id) => errors.push({ reason, id }) }, accept);
  return { d, frames, errors };
}

const simple = (frames: Frame[]) => frames.map((f) => ({ id: f.id, kind: f.kind, payload: f.payload.toString() }));

describe('framing', () => {
  const stream = Buffer.concat([
    encodeFrame(1, FrameKind.Request, Buffer.from('{"type":"FetchState"}')),
    encodeFrame(0xffffffff, FrameKind.Response, Buffer.from('')),
    encodeFrame(42, FrameKind.Response, Buffer.from('ünïcødé ✓')),
  ]);
  const expected = [
    { id: 1, kind: 0, payload: '{"type":"FetchState"}' },
    { id: 0xffffffff, kind: 1, payload: '' },
    { id: 42, kind: 1, payload: 'ünïcødé ✓' },
  ];

  it('writes the documented header: u32 length of id+kind+payload, u32 id, u8 kind', () => {
    const f = encodeFrame(0x01020304, FrameKind.Response, Buffer.from('abc'));
    expect([...f]).toEqual([0, 0, 0, 8, 1, 2, 3, 4, 1, 0x61, 0x62, 0x63]);
    expect(FRAME_HEADER_BYTES).toBe(9);
  });

  it('decodes the stream whole, one byte at a time, and split at every single position', () => {
    const whole = collector();
    whole.d.push(stream);
    expect(simple(whole.frames)).toEqual(expected);

    const bytes = collector();
    for (let i = 0; i < stream.length; i++) bytes.d.push(stream.subarray(i, i + 1));
    expect(simple(bytes.frames)).toEqual(expected);

    for (let cut = 0; cut <= stream.length; cut++) {
      const c = collector();
      c.d.push(stream.subarray(0, cut));
      c.d.push(stream.subarray(cut));
      expect(simple(c.frames), `cut at ${cut}`).toEqual(expected);
      expect(c.errors).toEqual([]);
    }
  });

  it('refuses an unexpected kind, before looking at the length', () => {
    const c = collector(1 << 20, new Set([FrameKind.Request]));
    c.d.push(encodeFrame(5, FrameKind.Response, Buffer.from('x')));
    expect(c.errors).toEqual([{ reason: 'bad_frame', id: 5 }]);
    const text = collector(10);
    text.d.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(text.errors.map((e) => e.reason)).toEqual(['bad_frame']);
    expect(text.d.broken).toBe(true);
  });

  it('refuses a length shorter than id+kind', () => {
    const c = collector();
    const f = encodeFrame(3, FrameKind.Request, Buffer.alloc(0));
    f.writeUInt32BE(4, 0);
    c.d.push(f);
    expect(c.errors).toEqual([{ reason: 'bad_frame', id: 3 }]);
  });

  it('refuses a payload over the limit from the header alone, and accepts one exactly at it', () => {
    const atLimit = collector(16);
    atLimit.d.push(encodeFrame(1, FrameKind.Request, Buffer.alloc(16)));
    expect(atLimit.frames).toHaveLength(1);
    const over = collector(16);
    over.d.push(encodeFrame(9, FrameKind.Request, Buffer.alloc(17)).subarray(0, FRAME_HEADER_BYTES));
    expect(over.errors).toEqual([{ reason: 'too_large', id: 9 }]);
  });

  it('ignores everything after an error', () => {
    const c = collector(1 << 20, new Set([FrameKind.Request]));
    c.d.push(Buffer.concat([encodeFrame(1, FrameKind.Request, Buffer.from('a')), Buffer.from([0, 0, 0, 5, 0, 0, 0, 2, 9])]));
    c.d.push(encodeFrame(3, FrameKind.Request, Buffer.from('b')));
    expect(simple(c.frames)).toEqual([{ id: 1, kind: 0, payload: 'a' }]);
    expect(c.errors).toHaveLength(1);
  });
});
