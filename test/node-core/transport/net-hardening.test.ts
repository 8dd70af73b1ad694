// NetTransport against hostile peers on real loopback sockets (issue 9): a client that never reads,
// one that pipelines past the outstanding cap, too many connections, unfinished frames held open,
// and a server that never reads our requests. Limits are shrunk through the `limits` option.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FrameDecoder, FrameKind, encodeFrame, type Frame } from '../../../node-core/src/transport/framing.js';
import type { NetTransport } from '../../../node-core/src/transport/net-transport.js';
import { netEnv, waitReal } from './net-env.js';
import { codeOf, watch } from './transport-contract.js';

type RawSocket = net.Socket & { closedAt?: number; src?: number };

const MiB = 1024 * 1024;
const request = (id: number, body = '{"type":"FetchState"}') => encodeFrame(id, FrameKind.Request, Buffer.from(body));

/** Waits until probe() has kept the same value for quietMs (a condition, not a fixed sleep). */
async function steady(probe: () => number, quietMs: number, maxMs: number): Promise<number> {
  let last = probe();
  let since = performance.now();
  await waitReal(() => {
    const v = probe();
    if (v !== last) {
      last = v;
      since = performance.now();
    }
    return performance.now() - since >= quietMs;
  }, maxMs);
  return last;
}

describe('NetTransport under hostile peers', () => {
  let env: ReturnType<typeof netEnv>;
  const raw: net.Socket[] = [];
  const servers: net.Server[] = [];
  afterEach(async () => {
    for (const s of raw.splice(0)) s.destroy();
    for (const s of servers.splice(0)) s.close();
    await env?.teardown();
  });

  function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const s: RawSocket = net.connect({ host: '127.0.0.2', port, localAddress }, () => {
        s.src = s.localPort;
        resolve(s);
      });
      s.on('error', reject);
      s.on('close', () => (s.closedAt = performance.now()));
      raw.push(s);
    });
  }

  const statsOf = (t: unknown) => (t as NetTransport).stats();

  it('a client that pipelines 5,000 requests and never reads: the server stops reading, buffers a bounded amount, and answers all once it reads', async () => {
    const limits = { maxWriteBufferBytes: 64 * 1024, maxInFlightPerConnection: 32 };
    env = netEnv({ limits });
    const b = await env.start('b');
    const answer = Buffer.alloc(8 * 1024, 0x61);
    let calls = 0;
    b.handle(async () => {
      calls++;
      return answer;
    });
    const sock = await rawConnect(b.streamAddr.port);
    sock.pause(); // never reads, for now
    sock.write(Buffer.concat(Array.from({ length: 5000 }, (_, i) => request(i + 1))));
    expect(await waitReal(() => statsOf(b.transport).paused === 1, 5000)).toBe(true);
    const dispatched = await steady(() => calls, 300, 10_000);
    const st = statsOf(b.transport);
    // 5,000 answers are 40 MiB; the kernel takes a few MiB, the server at most its limits' worth
    expect(dispatched).toBeLessThan(5000);
    const bound = limits.maxWriteBufferBytes + limits.maxInFlightPerConnection * (answer.length + FRAME_HEADER_BYTES);
    expect(st.bufferedBytes).toBeLessThanOrEqual(bound);
    expect(st).toMatchObject({ inbound: 1, paused: 1 });

    // pausing only delayed: once the client reads, every request is answered under its id
    const ids = new Set<number>();
    const decoder = new FrameDecoder(MiB, { frame: (f: Frame) => ids.add(f.id), error: () => {} });
    sock.on('data', (c: Buffer) => decoder.push(c));
    sock.resume();
    expect(await waitReal(() => ids.size === 5000, 20_000)).toBe(true);
    expect(calls).toBe(5000);
    expect(await waitReal(() => statsOf(b.transport).paused === 0, 2000)).toBe(true);
  });

  it('beyond maxInFlightPerConnection outstanding requests the server stops reading that connection; it only delays them', async () => {
    env = netEnv({ limits: { maxInFlightPerConnection: 16 } });
    const a = await env.start('a');
    const b = await env.start('b');
    const c = await env.start('c');
    const held: Array<() => void> = [];
    b.handle((data) =>
      data.toString() === 'ping'
        ? Promise.resolve(Buffer.from('pong'))
        : new Promise<Buffer>((resolve) => held.push(() => resolve(Buffer.from(`r:${data.toString()}`)))),
    );
    const calls = Array.from({ length: 100 }, (_, i) => watch(a.transport.request(b.streamAddr, Buffer.from(String(i)), 20_000)));
    expect(await waitReal(() => held.length >= 16 && statsOf(b.transport).paused === 1, 5000)).toBe(true);
    // another connection is served meanwhile, and the paused one still has exactly 16 dispatched
    const ping = watch(c.transport.request(b.streamAddr, Buffer.from('ping'), 5000));
    expect(await waitReal(() => ping.settled, 5000)).toBe(true);
    expect(ping.value?.toString()).toBe('pong');
    expect(held).toHaveLength(16);
    expect(statsOf(b.transport).inFlight).toBe(16);
    // answering lets the rest in, 16 at a time at most; nothing is dropped
    let released = 0;
    expect(
      await waitReal(() => {
        while (released < held.length) held[released++]!();
        expect(statsOf(b.transport).inFlight).toBeLessThanOrEqual(16);
        return calls.every((x) => x.settled);
      }, 10_000),
    ).toBe(true);
    expect(calls.map((x) => x.value?.toString())).toEqual(Array.from({ length: 100 }, (_, i) => `r:${i}`));
  });

  it('caps inbound connections per remote address and in total; extra ones are closed at once and counted', async () => {
    env = netEnv({ limits: { maxConnectionsPerAddress: 3, maxInboundConnections: 5 } });
    const b = await env.start('b');
    const port = b.streamAddr.port;
    const first = [await rawConnect(port), await rawConnect(port), await rawConnect(port)];
    expect(await waitReal(() => statsOf(b.transport).inbound === 3, 2000)).toBe(true);
    const fourth = await rawConnect(port);
    expect(await waitReal(() => fourth.closedAt !== undefined, 2000)).toBe(true);
    expect(b.drops).toEqual([{ reason: 'too_many_connections', from: `127.0.0.1:${fourth.src}` }]);

    const other = [await rawConnect(port, '127.0.0.3'), await rawConnect(port, '127.0.0.3')];
    expect(await waitReal(() => statsOf(b.transport).inbound === 5, 2000)).toBe(true);
    const beyondTotal = await rawConnect(port, '127.0.0.4');
    expect(await waitReal(() => beyondTotal.closedAt !== undefined, 2000)).toBe(true);
    expect(b.drops.map((d) => d.reason)).toEqual(['too_many_connections', 'too_many_connections']);
    expect([...first, ...other].every((s) => s.closedAt === undefined)).toBe(true);

    // a slot that frees up can be used again, and the survivors are still served
    first[0]!.destroy();
    expect(await waitReal(() => statsOf(b.transport).inbound === 4, 2000)).toBe(true);
    const again = await rawConnect(port);
    const got: Buffer[] = [];
    again.on('data', (d: Buffer) => got.push(d));
    again.write(request(9, 'hi'));
    expect(await waitReal(() => Buffer.concat(got).length >= FRAME_HEADER_BYTES + 'echo:hi'.length, 2000)).toBe(true);
    expect(Buffer.concat(got).subarray(FRAME_HEADER_BYTES).toString()).toBe('echo:hi');
    expect(again.closedAt).toBeUndefined();
  });

  it('200 connections each announcing a 1 MiB frame and sending 5 bytes hold a few bytes each, and are closed after frameTimeoutMs', async () => {
    const frameTimeoutMs = 500;
    env = netEnv({ limits: { frameTimeoutMs, maxConnectionsPerAddress: 256 } });
    const b = await env.start('b');
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(MiB + 5, 0); // payload of exactly maxRequestBytes: accepted from the header
    header.writeUInt32BE(1, 4);
    const partial = Buffer.concat([header, Buffer.from('{"typ')]);
    const before = process.memoryUsage().arrayBuffers;
    const socks = await Promise.all(Array.from({ length: 200 }, () => rawConnect(b.streamAddr.port)));
    const sentAt = performance.now();
    for (const s of socks) s.write(partial);
    expect(await waitReal(() => statsOf(b.transport).partialBytes === 200 * partial.length, 5000)).toBe(true);
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(16 * MiB); // today's decoder allocated 200 MiB here
    expect(statsOf(b.transport).inbound).toBe(200);

    expect(await waitReal(() => socks.every((s) => s.closedAt !== undefined), 5000)).toBe(true);
    const first = Math.min(...socks.map((s) => s.closedAt!));
    expect(first - sentAt).toBeGreaterThanOrEqual(frameTimeoutMs - 50);
    expect(b.drops).toHaveLength(200);
    expect(new Set(b.drops.map((d) => d.reason))).toEqual(new Set(['frame_timeout']));
    expect(await waitReal(() => statsOf(b.transport).inbound === 0 && statsOf(b.transport).partialBytes === 0, 2000)).toBe(true);
  });

  it('unfinished frames hold at most maxPartialFrameBytes in all: the connection that would go beyond is closed', async () => {
    const budget = 64 * 1024;
    env = netEnv({ limits: { maxPartialFrameBytes: budget, maxConnectionsPerAddress: 256 } });
    const a = await env.start('a');
    const b = await env.start('b');
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(MiB + 5, 0);
    const partial = Buffer.concat([header, Buffer.alloc(10 * 1024, 0x7b)]); // 10 KiB of a 1 MiB frame
    const socks = await Promise.all(Array.from({ length: 10 }, () => rawConnect(b.streamAddr.port)));
    let peak = 0;
    for (const s of socks) {
      const before = statsOf(b.transport).partialBytes;
      s.write(partial);
      await waitReal(() => s.closedAt !== undefined || statsOf(b.transport).partialBytes === before + partial.length, 2000);
      peak = Math.max(peak, statsOf(b.transport).partialBytes);
    }
    const fits = Math.floor(budget / partial.length); // 6
    expect(await waitReal(() => socks.filter((s) => s.closedAt !== undefined).length === socks.length - fits, 2000)).toBe(true);
    expect(peak).toBeLessThanOrEqual(budget);
    expect(statsOf(b.transport).partialBytes).toBe(fits * partial.length);
    expect(b.drops.map((d) => d.reason)).toEqual(Array(socks.length - fits).fill('partial_budget'));
    // closing them gives the budget back; a whole request is served meanwhile
    const ok = watch(a.transport.request(b.streamAddr, Buffer.from('hi'), 2000));
    expect(await waitReal(() => ok.settled, 2000)).toBe(true);
    expect(ok.value?.toString()).toBe('echo:hi');
    for (const s of socks) s.destroy();
    expect(await waitReal(() => statsOf(b.transport).partialBytes === 0 && statsOf(b.transport).inbound === 1, 2000)).toBe(true);
  });

  it('progress does not extend the frame timeout, while a steady stream of split frames is never cut', async () => {
    const frameTimeoutMs = 300;
    env = netEnv({ limits: { frameTimeoutMs } });
    const b = await env.start('b');
    // slow loris: one byte of a 100-byte frame every 20 ms would take 2 s
    const loris = await rawConnect(b.streamAddr.port);
    const frame = request(1, 'x'.repeat(100));
    const t0 = performance.now();
    let sent = 0;
    const drip = setInterval(() => loris.closedAt === undefined && sent < frame.length && loris.write(frame.subarray(sent, ++sent)), 20);
    try {
      expect(await waitReal(() => loris.closedAt !== undefined, 3000)).toBe(true);
    } finally {
      clearInterval(drip);
    }
    expect(loris.closedAt! - t0).toBeLessThan(frameTimeoutMs + 400);
    expect(b.drops.map((d) => d.reason)).toEqual(['frame_timeout']);

    // a client always in the middle of some frame, for 3x the timeout, each frame finished promptly
    const steadySock = await rawConnect(b.streamAddr.port);
    const answers: Buffer[] = [];
    steadySock.on('data', (d: Buffer) => answers.push(d));
    const stream = Buffer.concat(Array.from({ length: 60 }, (_, i) => request(i + 1, `req ${i}`)));
    const step = Math.floor(stream.length / 60) + 3; // never on a frame boundary for long
    let off = 0;
    const start = performance.now();
    const pump = setInterval(() => {
      if (off < stream.length) steadySock.write(stream.subarray(off, (off += step)));
    }, 15);
    try {
      expect(await waitReal(() => off >= stream.length, 5000)).toBe(true);
    } finally {
      clearInterval(pump);
    }
    expect(performance.now() - start).toBeGreaterThan(frameTimeoutMs * 2.5);
    expect(await waitReal(() => Buffer.concat(answers).length > 0 && countFrames(Buffer.concat(answers)) === 60, 3000)).toBe(true);
    expect(steadySock.closedAt).toBeUndefined();
    expect(b.drops).toHaveLength(1);
  });

  it('a client whose peer never reads queues at most maxQueuedRequestBytes, then refuses with BUSY', async () => {
    const limits = { maxQueuedRequestBytes: 1 * MiB };
    env = netEnv({ limits });
    const a = await env.start('a');
    const sink = net.createServer((s) => {
      raw.push(s);
      s.pause(); // accepts, never reads
    });
    servers.push(sink);
    await new Promise<void>((r) => sink.listen(0, '127.0.0.3', () => r()));
    const to = { ip: '127.0.0.3', port: (sink.address() as net.AddressInfo).port };
    const body = Buffer.alloc(64 * 1024, 0x62);
    const calls = Array.from({ length: 400 }, () => watch(a.transport.request(to, body, 30_000))); // 25 MiB
    expect(await waitReal(() => calls.some((c) => c.settled), 5000)).toBe(true);
    await steady(() => statsOf(a.transport).outboundBufferedBytes, 200, 5000);
    const busy = calls.filter((c) => codeOf(c.error) === 'BUSY').length;
    expect(busy).toBeGreaterThan(0);
    expect(calls.filter((c) => c.settled && codeOf(c.error) !== 'BUSY')).toEqual([]);
    const st = statsOf(a.transport);
    expect(st.outboundBufferedBytes).toBeLessThanOrEqual(limits.maxQueuedRequestBytes + 16 * 1024 + 2 * (body.length + FRAME_HEADER_BYTES));
    expect(st.pending).toBe(400 - busy);
    // when that peer goes away, everything still waiting fails at once
    for (const s of raw.splice(0)) s.destroy();
    expect(await waitReal(() => calls.every((c) => c.settled), 5000)).toBe(true);
    expect(new Set(calls.map((c) => codeOf(c.error)))).toEqual(new Set(['BUSY', 'CLOSED']));
  });
});

function countFrames(stream: Buffer): number {
  let n = 0;
  const d = new FrameDecoder(MiB, { frame: () => n++, error: () => {} });
  d.push(stream);
  return n;
}
