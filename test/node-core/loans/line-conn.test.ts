// LineConn on real loopback sockets: line splitting across chunks, UTF-8, the 64 KiB bound under a
// 10 MB stream without a newline, bad-line close, the rate cap, idle close and a peer that never reads.
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LineConn, type LineConnOptions } from '../../../node-core/src/loans/line-conn.js';
import { silentLogger } from '../../../node-core/src/log.js';
import type { OutMessage, ParsedLine } from '../../../node-core/src/loans/wire.js';
import { rawClient, waitFor } from './helpers.js';

interface Harness {
  server: Server;
  port: number;
  conns: LineConn[];
  messages: ParsedLine[];
  drops: string[];
  /** the most bytes any connection held for an unfinished line, sampled after every chunk */
  maxBuffered: number;
}

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function harness(opts: Partial<LineConnOptions> = {}): Promise<Harness> {
  const h: Harness = { server: createServer(), port: 0, conns: [], messages: [], drops: [], maxBuffered: 0 };
  h.server.on('connection', (socket) => {
    const c = new LineConn({ socket, logger: silentLogger(), onDrop: (r) => h.drops.push(r), ...opts });
    c.onMessage((m) => h.messages.push(m));
    socket.on('data', () => (h.maxBuffered = Math.max(h.maxBuffered, c.buffered)));
    h.conns.push(c);
  });
  servers.push(h.server);
  await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', r));
  h.port = (h.server.address() as { port: number }).port;
  return h;
}

const client = (port: number) => rawClient(port, sockets);

describe('LineConn', () => {
  it('reassembles lines from any chunking, multi-byte UTF-8 split across chunks included', async () => {
    const h = await harness();
    const c = await client(h.port);
    const text = '{"TASK":"ERROR","REASON":"ünïcødé ✓ 🚀"}\n{"SERVER":"ALIVE","TASK":"REQUEST"}\n';
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i++) {
      c.s.write(bytes.subarray(i, i + 1));
      if (i % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await waitFor(() => h.messages.length === 2);
    expect(h.messages[0]).toMatchObject({ kind: 'error', msg: { REASON: 'ünïcødé ✓ 🚀' } });
    expect(h.messages[1]).toMatchObject({ kind: 'heartbeat' });
    expect(h.drops).toEqual([]);
  });

  it('answers a 70 KiB line with one ERROR and keeps serving the next line', async () => {
    const h = await harness();
    const c = await client(h.port);
    c.s.write(`{"TASK":"ERROR","PAD":"${'x'.repeat(70 * 1024)}"}\n{"SERVER":"ALIVE","TASK":"REQUEST"}\n`);
    await waitFor(() => h.messages.length === 1 && c.lines.length === 1);
    expect(JSON.parse(c.lines[0]!)).toMatchObject({ TASK: 'ERROR', REASON: expect.stringContaining('too_large') });
    expect(h.drops).toEqual(['too_large']);
    expect(h.maxBuffered).toBeLessThanOrEqual(64 * 1024);
  });

  it('holds at most 64 KiB while a 10 MB stream without a newline arrives, then serves again', async () => {
    const h = await harness();
    const c = await client(h.port);
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 160; i++) {
      if (!c.s.write(chunk)) await new Promise((r) => c.s.once('drain', r));
    }
    c.s.write('\n{"SERVER":"ALIVE","TASK":"REQUEST"}\n');
    await waitFor(() => h.messages.length === 1);
    expect(h.maxBuffered).toBeLessThanOrEqual(64 * 1024);
    expect(h.drops).toEqual(['too_large']);
    expect(c.lines.filter((l) => l.includes('too_large'))).toHaveLength(1);
    expect(h.conns[0]!.buffered).toBe(0);
  });

  it('refuses invalid UTF-8 with ERROR', async () => {
    const h = await harness();
    const c = await client(h.port);
    c.s.write(Buffer.concat([Buffer.from('{"TASK":"ERROR","REASON":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    await waitFor(() => c.lines.length === 1);
    expect(JSON.parse(c.lines[0]!)).toMatchObject({ TASK: 'ERROR', REASON: expect.stringContaining('bad_utf8') });
  });

  it('closes after 10 bad lines, answering each', async () => {
    const h = await harness();
    const c = await client(h.port);
    c.s.write('nope\n'.repeat(9));
    await waitFor(() => c.lines.length === 9);
    expect(c.closed()).toBe(false);
    c.s.write('nope\nnope\n{"SERVER":"ALIVE","TASK":"REQUEST"}\n');
    await waitFor(() => c.closed());
    expect(c.lines).toHaveLength(10);
    expect(h.drops.filter((d) => d === 'bad_json')).toHaveLength(10);
    expect(h.drops).toContain('bad_lines_closed');
    expect(h.messages).toHaveLength(0);
  });

  it('drops and counts lines over the per-second cap', async () => {
    const h = await harness({ maxLinesPerSec: 5 });
    const c = await client(h.port);
    c.s.write('{"SERVER":"ALIVE","TASK":"REQUEST"}\n'.repeat(20));
    await waitFor(() => h.drops.length === 15);
    expect(h.messages).toHaveLength(5);
    expect(new Set(h.drops)).toEqual(new Set(['rate']));
  });

  it('closes an idle connection', async () => {
    const h = await harness({ idleMs: 150 });
    const c = await client(h.port);
    await waitFor(() => c.closed(), 3000);
    expect(h.drops).toContain('idle');
  });

  it('drops a peer that does not read instead of queueing without bound', async () => {
    const h = await harness({ maxQueueBytes: 256 * 1024 });
    const c = await client(h.port);
    c.s.pause();
    await waitFor(() => h.conns.length === 1);
    const conn = h.conns[0]!;
    const big = { TASK: 'ERROR', PAD: 'y'.repeat(60_000) } as unknown as OutMessage;
    let sent = 0;
    for (let i = 0; i < 2000 && conn.send(big); i++) sent++;
    expect(sent).toBeLessThan(2000);
    expect(h.drops).toContain('slow_reader');
    await waitFor(() => conn.isClosed);
  });
});
