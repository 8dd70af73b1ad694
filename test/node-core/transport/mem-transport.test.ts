// MemTransport under a fake clock: the shared contract, then the fault hooks cluster tests rely on
// (partition, heal, drop, delay, kill) and asynchronous delivery.
import { afterEach, describe, expect, it } from 'vitest';
import { MemNetwork, type MemTransport } from '../../../node-core/src/transport/mem-transport.js';
import type { RequestHandler } from '../../../node-core/src/transport/transport.js';
import { seededRandom } from '../../../node-core/src/util/clock.js';
import { FakeClock } from '../../../node-core/src/util/fake-clock.js';
import { codeOf, transportContract, watch, type ContractEnv, type ContractNode, type Host } from './transport-contract.js';

const HOST_IP: Record<Host, string> = { a: '10.0.0.1', b: '10.0.0.2', c: '10.0.0.3' };
const DISCOVERY = 8779;

function memEnv(): ContractEnv & { clock: FakeClock; network: MemNetwork; nodes: ContractNode[] } {
  const clock = new FakeClock();
  const network = new MemNetwork({ clock, random: seededRandom(1) });
  const nodes: ContractNode[] = [];
  return {
    clock,
    network,
    nodes,
    async start(host, limits) {
      const ip = HOST_IP[host];
      let handler: RequestHandler = async (d) => Buffer.concat([Buffer.from('echo:'), d]);
      const node = { packets: [], drops: [], handle: (h: RequestHandler) => (handler = h) } as unknown as ContractNode;
      const t = network.transport(ip, { packetPort: DISCOVERY, streamPort: 0, onDrop: (reason, from) => node.drops.push({ reason, from }), ...(limits ? { limits } : {}) });
      const ports = await t.start(
        (data, from) => node.packets.push({ data: data.toString(), from }),
        (d, f) => handler(d, f),
      );
      Object.assign(node, { transport: t, packetAddr: { ip, port: ports.packetPort }, streamAddr: { ip, port: ports.streamPort } });
      nodes.push(node);
      return node;
    },
    async kill(node) {
      (node.transport as MemTransport).terminate('CLOSED');
    },
    waitFor: (cond, maxMs) => clock.runUntil(cond, maxMs),
    now: () => clock.now(),
    async teardown() {
      await Promise.all(nodes.map((n) => n.transport.close()));
    },
  };
}

transportContract('MemTransport on a fake clock', async () => memEnv());

describe('MemNetwork fault hooks', () => {
  let env: ReturnType<typeof memEnv>;
  afterEach(async () => env?.teardown());

  it('delivers asynchronously, never inside send', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    a.transport.sendPacket(b.packetAddr, Buffer.from('later'));
    expect(b.packets).toEqual([]);
    await env.clock.advance(0);
    expect(b.packets.map((p) => p.data)).toEqual(['later']);
  });

  it('delays every message by the set delay on the fake clock', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    env.network.setDelay(50);
    a.transport.sendPacket(b.packetAddr, Buffer.from('slow'));
    await env.clock.advance(49);
    expect(b.packets).toEqual([]);
    await env.clock.advance(1);
    expect(b.packets).toHaveLength(1);
    const t0 = env.clock.now();
    const o = watch(a.transport.request(b.streamAddr, Buffer.from('rt'), 1000));
    expect(await env.clock.runUntil(() => o.settled, 1000)).toBe(true);
    expect(env.clock.now() - t0).toBe(100); // request + response
    expect(o.value?.toString()).toBe('echo:rt');
  });

  it('a per-message delay function sees who talks to whom', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    const c = await env.start('c');
    env.network.setDelay((e) => (e.to === HOST_IP.c ? 30 : 0));
    a.transport.broadcast(Buffer.from('x'));
    await env.clock.advance(1);
    expect([a, b, c].map((n) => n.packets.length)).toEqual([1, 1, 0]);
    await env.clock.advance(29);
    expect(c.packets).toHaveLength(1);
  });

  it('a partition stops traffic both ways, requests across it time out, and heal() restores it', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    const c = await env.start('c');
    env.network.partition([HOST_IP.a], [HOST_IP.b, HOST_IP.c]);
    a.transport.broadcast(Buffer.from('from a'));
    b.transport.broadcast(Buffer.from('from b'));
    const cut = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 200));
    const inside = watch(c.transport.request(b.streamAddr, Buffer.from('q'), 200));
    expect(await env.clock.runUntil(() => cut.settled && inside.settled, 500)).toBe(true);
    expect(codeOf(cut.error)).toBe('TIMEOUT');
    expect(inside.value?.toString()).toBe('echo:q');
    expect(a.packets.map((p) => p.data)).toEqual(['from a']);
    expect(b.packets.map((p) => p.data).sort()).toEqual(['from b']);
    expect(c.packets.map((p) => p.data)).toEqual(['from b']);

    env.network.heal();
    const healed = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 200));
    expect(await env.clock.runUntil(() => healed.settled, 500)).toBe(true);
    expect(healed.value?.toString()).toBe('echo:q');
  });

  it('a message in flight when the partition starts is lost', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    env.network.setDelay(10);
    a.transport.sendPacket(b.packetAddr, Buffer.from('in flight'));
    await env.clock.advance(5);
    env.network.partition([HOST_IP.a], [HOST_IP.b]);
    await env.clock.advance(20);
    expect(b.packets).toEqual([]);
    expect(env.network.stats.dropped).toBe(1);
  });

  it('ips named in no group share the rest of the network', () => {
    env = memEnv();
    env.network.partition([HOST_IP.a]);
    expect(env.network.canReach(HOST_IP.b, HOST_IP.c)).toBe(true);
    expect(env.network.canReach(HOST_IP.a, HOST_IP.b)).toBe(false);
    expect(env.network.canReach(HOST_IP.a, HOST_IP.a)).toBe(true);
  });

  it('the drop predicate drops exactly the matching messages and can be cleared', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    env.network.setDrop((e) => e.kind === 'response' && e.to === HOST_IP.a);
    const lost = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 100));
    a.transport.sendPacket(b.packetAddr, Buffer.from('packet ok'));
    expect(await env.clock.runUntil(() => lost.settled, 500)).toBe(true);
    expect(codeOf(lost.error)).toBe('TIMEOUT');
    expect(b.packets.map((p) => p.data)).toEqual(['packet ok']);
    const back = watch(b.transport.request(a.streamAddr, Buffer.from('other way'), 100));
    expect(await env.clock.runUntil(() => back.settled, 500)).toBe(true);
    expect(back.value?.toString()).toBe('echo:other way');

    env.network.setDrop();
    const ok = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 100));
    expect(await env.clock.runUntil(() => ok.settled, 500)).toBe(true);
    expect(ok.value?.toString()).toBe('echo:q');
  });

  it('kill(ip) fails requests to and from it with CLOSED at once, for every transport at that ip', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b1 = await env.start('b');
    const b2 = await env.start('b');
    const hang: RequestHandler = () => new Promise<Buffer>(() => {});
    a.handle(hang);
    b1.handle(hang);
    b2.handle(hang);
    const toB1 = watch(a.transport.request(b1.streamAddr, Buffer.from('1'), 10_000));
    const toB2 = watch(a.transport.request(b2.streamAddr, Buffer.from('2'), 10_000));
    const fromB1 = watch(b1.transport.request(a.streamAddr, Buffer.from('3'), 10_000));
    await env.clock.advance(1);
    env.network.kill(HOST_IP.b);
    await env.clock.advance(0);
    expect([toB1, toB2, fromB1].map((o) => codeOf(o.error))).toEqual(['CLOSED', 'CLOSED', 'CLOSED']);
    b1.transport.broadcast(Buffer.from('ghost'));
    await env.clock.advance(1);
    expect(a.packets).toEqual([]);
  });

  it('a peer killed behind a partition is noticed only by the timeout', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    b.handle(() => new Promise<Buffer>(() => {}));
    const o = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 300));
    await env.clock.advance(1);
    env.network.partition([HOST_IP.a], [HOST_IP.b]);
    env.network.kill(HOST_IP.b);
    expect(await env.clock.runUntil(() => o.settled, 1000)).toBe(true);
    expect(codeOf(o.error)).toBe('TIMEOUT');
  });

  it('a new transport at a killed ip takes its place (revive)', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b = await env.start('b');
    env.network.kill(HOST_IP.b);
    const revived = env.network.transport(HOST_IP.b, { packetPort: DISCOVERY, streamPort: b.streamAddr.port });
    const got: string[] = [];
    await revived.start((d) => got.push(d.toString()), async () => Buffer.from('back'));
    const o = watch(a.transport.request(b.streamAddr, Buffer.from('q'), 100));
    a.transport.broadcast(Buffer.from('hi'));
    expect(await env.clock.runUntil(() => o.settled && got.length === 1, 500)).toBe(true);
    expect(o.value?.toString()).toBe('back');
    await revived.close();
  });

  it('a unicast to a shared ip:port reaches the last transport started there, like SO_REUSEADDR', async () => {
    env = memEnv();
    const a = await env.start('a');
    const b1 = await env.start('b');
    const b2 = await env.start('b');
    a.transport.sendPacket(b1.packetAddr, Buffer.from('u'));
    await env.clock.advance(1);
    expect([b1.packets.length, b2.packets.length]).toEqual([0, 1]);
  });

  it('refuses a second transport on a taken stream port', async () => {
    env = memEnv();
    const b = await env.start('b');
    const dup = env.network.transport(HOST_IP.b, { packetPort: DISCOVERY, streamPort: b.streamAddr.port });
    await expect(dup.start(() => {}, async (d) => d)).rejects.toThrow(/EADDRINUSE/);
  });
});
