// NetTransport on real loopback sockets: the shared contract, then what only real sockets can show
// (raw garbage on a TCP connection, oversized frames and datagrams from a foreign sender).
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../node-core/src/log.js';
import { FrameKind, encodeFrame } from '../../../node-core/src/transport/framing.js';
import { NetTransport } from '../../../node-core/src/transport/net-transport.js';
import { BROADCAST, netEnv, waitReal } from './net-env.js';
import { codeOf, transportContract, watch } from './transport-contract.js';

transportContract('NetTransport on loopback', async () => netEnv());

describe('NetTransport, real sockets only', () => {
  let env: ReturnType<typeof netEnv>;
  const raw: Array<net.Socket | dgram.Socket> = [];
  afterEach(async () => {
    for (const s of raw.splice(0)) s instanceof net.Socket ? s.destroy() : s.close();
    await env?.teardown();
  });

  function rawConnect(port: number): Promise<net.Socket & { closedAt?: number }> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.2', port }, () => resolve(s));
      s.on('error', reject);
      s.on('close', () => Object.assign(s, { closedAt: performance.now() }));
      raw.push(s);
    });
  }

  it('garbage on one connection closes only that connection; the server still serves others', async () => {
    env = netEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    const sock = await rawConnect(b.streamAddr.port);
    const source = `${sock.localAddress}:${sock.localPort}`;
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await waitReal(() => 'closedAt' in sock, 2000)).toBe(true);
    expect(b.drops).toEqual([{ reason: 'bad_frame', from: source }]);
    const o = watch(a.transport.request(b.streamAddr, Buffer.from('hi'), 2000));
    expect(await waitReal(() => o.settled, 2000)).toBe(true);
    expect(o.value?.toString()).toBe('echo:hi');
  });

  it('a response frame sent to the server is a bad frame', async () => {
    env = netEnv();
    const b = await env.start('b');
    const sock = await rawConnect(b.streamAddr.port);
    sock.write(encodeFrame(1, FrameKind.Response, Buffer.from('{}')));
    expect(await waitReal(() => 'closedAt' in sock, 2000)).toBe(true);
    expect(b.drops.map((d) => d.reason)).toEqual(['bad_frame']);
  });

  it('an oversized request frame is refused from its header: connection closed, drop counted, others served', async () => {
    env = netEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    let calls = 0;
    b.handle(async () => {
      calls++;
      return Buffer.from('ok');
    });
    const sock = await rawConnect(b.streamAddr.port);
    const header = encodeFrame(7, FrameKind.Request, Buffer.alloc(0));
    header.writeUInt32BE(1024 * 1024 + 6, 0); // one byte over maxRequestBytes, body never sent
    sock.write(header);
    expect(await waitReal(() => 'closedAt' in sock, 2000)).toBe(true);
    expect(b.drops.map((d) => d.reason)).toEqual(['too_large']);
    const o = watch(a.transport.request(b.streamAddr, Buffer.from('x'), 2000));
    expect(await waitReal(() => o.settled, 2000)).toBe(true);
    expect(o.value?.toString()).toBe('ok');
    expect(calls).toBe(1);
  });

  it('a request of exactly maxRequestBytes is accepted', async () => {
    env = netEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    b.handle(async (d) => Buffer.from(String(d.length)));
    const o = watch(a.transport.request(b.streamAddr, Buffer.alloc(1024 * 1024, 7), 5000));
    expect(await waitReal(() => o.settled, 5000)).toBe(true);
    expect(o.value?.toString()).toBe(String(1024 * 1024));
  });

  it('a response over the client limit rejects with TOO_LARGE and fails the rest of that connection with CLOSED', async () => {
    env = netEnv({ limits: { maxFrameBytes: 1000 } });
    const a = await env.start('a');
    const b = await env.start('b');
    b.handle((d) => (d.toString() === 'big' ? Promise.resolve(Buffer.alloc(1001)) : new Promise<Buffer>(() => {})));
    const hang = watch(a.transport.request(b.streamAddr, Buffer.from('hang'), 5000));
    const big = watch(a.transport.request(b.streamAddr, Buffer.from('big'), 5000));
    expect(await waitReal(() => hang.settled && big.settled, 3000)).toBe(true);
    expect(codeOf(big.error)).toBe('TOO_LARGE');
    expect(codeOf(hang.error)).toBe('CLOSED');
    b.handle(async () => Buffer.from('small'));
    const again = watch(a.transport.request(b.streamAddr, Buffer.from('x'), 2000));
    expect(await waitReal(() => again.settled, 2000)).toBe(true);
    expect(again.value?.toString()).toBe('small');
  });

  it('drops a datagram over maxPacketBytes from a foreign sender and keeps receiving', async () => {
    env = netEnv();
    const b = await env.start('b');
    const s = dgram.createSocket('udp4');
    raw.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.send(Buffer.alloc(60 * 1024 + 1), b.packetAddr.port, b.packetAddr.ip);
    s.send(Buffer.from('fits'), b.packetAddr.port, b.packetAddr.ip);
    expect(await waitReal(() => b.packets.length === 1 && b.drops.length === 1, 2000)).toBe(true);
    expect(b.packets[0]!.data).toBe('fits');
    expect(b.drops[0]).toEqual({ reason: 'too_large', from: `127.0.0.1:${s.address().port}` });
  });

  it('broadcast also reaches static peers', async () => {
    const s = dgram.createSocket('udp4');
    raw.push(s);
    await new Promise<void>((r) => s.bind(0, '127.0.0.3', () => r()));
    const got: string[] = [];
    s.on('message', (m) => got.push(m.toString()));
    env = netEnv({ staticPeers: [{ ip: '127.0.0.3', port: s.address().port }] });
    const a = await env.start('a');
    a.transport.broadcast(Buffer.from('hello static'));
    expect(await waitReal(() => got.length === 1 && a.packets.length === 1, 2000)).toBe(true);
    expect(got).toEqual(['hello static']);
  });

  it('start() fails cleanly when the stream port is taken', async () => {
    env = netEnv();
    const b = await env.start('b');
    const t = new NetTransport({ bindAddress: '127.0.0.2', packetPort: 0, streamPort: b.streamAddr.port, broadcastAddress: BROADCAST, logger: silentLogger() });
    await expect(t.start(() => {}, async (d) => d)).rejects.toThrow(/EADDRINUSE/);
    await t.close();
  });
});
