// The event-stream parser: framing split across chunks, line endings, comments, limits.
import { describe, expect, it } from 'vitest';
import { MAX_SSE_EVENT_CHARS, SseParser, type SseMessage } from '../../../renderer/src/api/sse-parser.js';

function parse(chunks: string[]): { out: SseMessage[]; parser: SseParser } {
  const out: SseMessage[] = [];
  const parser = new SseParser((m) => out.push(m));
  for (const c of chunks) parser.feed(c);
  return { out, parser };
}

describe('SseParser', () => {
  const stream = 'event: change\ndata: {"type":"change","index":3}\n\n: keep-alive\n\nevent: role\ndata: {"role":"master"}\n\n';

  it('parses named events and ignores comments', () => {
    const { out } = parse([stream]);
    expect(out).toEqual([
      { event: 'change', data: '{"type":"change","index":3}', id: '' },
      { event: 'role', data: '{"role":"master"}', id: '' },
    ]);
  });

  it('gives the same events however the bytes are split', () => {
    const whole = parse([stream]).out;
    for (let size = 1; size <= 7; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(parse(chunks).out).toEqual(whole);
    }
  });

  it('accepts CRLF and CR line endings, even with CRLF split between chunks', () => {
    const { out } = parse(['event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r']);
    expect(out.map((m) => [m.event, m.data])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  it('joins multi-line data, defaults the event name, keeps the id and retry', () => {
    const { out, parser } = parse(['id: 7\nretry: 1500\ndata: first\ndata:second\n\n']);
    expect(out).toEqual([{ event: 'message', data: 'first\nsecond', id: '7' }]);
    expect(parser.retryMs).toBe(1500);
  });

  it('does not dispatch an event without data, nor an unfinished one', () => {
    const { out } = parse(['event: change\n\n', 'event: role\ndata: {"x":1}\n']);
    expect(out).toEqual([]);
  });

  it('drops an oversized event and carries on with the next one', () => {
    const big = 'x'.repeat(MAX_SSE_EVENT_CHARS + 10);
    const { out } = parse([`event: change\ndata: ${big}\n\nevent: role\ndata: ok\n\n`]);
    expect(out).toEqual([{ event: 'role', data: 'ok', id: '' }]);
  });

  it('drops an endless line arriving in pieces, and parses what follows it', () => {
    const piece = 'y'.repeat(1024 * 1024);
    const chunks = ['event: change\ndata: ', piece, piece, piece, piece, piece, 'tail\n\nevent: cluster\ndata: {"q":1}\n\n'];
    const { out } = parse(chunks);
    expect(out).toEqual([{ event: 'cluster', data: '{"q":1}', id: '' }]);
  });
});
