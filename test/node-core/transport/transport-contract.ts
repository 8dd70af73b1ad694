// One contract for every Transport: the same suite runs against NetTransport (real loopback
// sockets, real time) and MemTransport (in-process network, fake clock).
import { afterEach, describe, expect, it } from 'vitest';
import {
  CloseConnection,
  TransportError,
  type PacketAddress,
  type RequestHandler,
  type StreamAddress,
  type Transport,
  type TransportLimits,
} from '../../../node-core/src/transport/transport.js';

/** Three hosts; two nodes started on the same host share its ip and the discovery port. */
export type Host = 'a' | 'b' | 'c';

export interface ContractNode {
  transport: Transport;
  packetAddr: PacketAddress;
  streamAddr: StreamAddress;
  packets: Array<{ data: string; from: PacketAddress }>;
  drops: Array<{ reason: string; from: string }>;
  /** replaces the request handler (default: echo with an "echo:" prefix) */
  handle(h: RequestHandler): void;
}

export interface ContractEnv {
  /** starts a node on `host`; `limits` override the transport's defaults */
  start(host: Host, limits?: Partial<TransportLimits>): Promise<ContractNode>;
  /** ends the node like a killed process (its sockets go away without a goodbye) */
  kill(node: ContractNode): Promise<void>;
  /** waits until cond() holds, moving the clock if it is fake; false after maxMs */
  waitFor(cond: () => boolean, maxMs: number): Promise<boolean>;
  /** the environment's time in ms (real or fake) */
  now(): number;
  teardown(): Promise<void>;
}

/** Watches a promise so a test can wait on it while driving the clock. */
export function watch<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const o: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (v) => Object.assign(o, { settled: true, value: v }),
    (e: unknown) => Object.assign(o, { settled: true, error: e }),
  );
  return o;
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof TransportError ? err.code : undefined;
}

export function transportContract(name: string, makeEnv: () => Promise<ContractEnv>): void {
  describe(`Transport contract: ${name}`, () => {
    let env: ContractEnv;
    const setup = async () => (env = await makeEnv());
    afterEach(async () => env?.teardown());

    it('broadcast reaches every node on the discovery port, two of them sharing one host, and the sender itself', async () => {
      await setup();
      const a1 = await env.start('a');
      const a2 = await env.start('a');
      const b = await env.start('b');
      const c = await env.start('c');
      a1.transport.broadcast(Buffer.from('hello all'));
      const all = [a1, a2, b, c];
      expect(await env.waitFor(() => all.every((n) => n.packets.some((p) => p.data === 'hello all')), 2000)).toBe(true);
      for (const n of all) expect(n.packets.find((p) => p.data === 'hello all')!.from.ip).toBe(a1.packetAddr.ip);
    });

    it('a unicast packet reaches only its target', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const c = await env.start('c');
      a.transport.sendPacket(b.packetAddr, Buffer.from('just b'));
      expect(await env.waitFor(() => b.packets.length === 1, 2000)).toBe(true);
      expect(b.packets[0]).toEqual({ data: 'just b', from: a.packetAddr });
      a.transport.sendPacket(c.packetAddr, Buffer.from('marker'));
      expect(await env.waitFor(() => c.packets.length === 1, 2000)).toBe(true);
      expect(c.packets[0]!.data).toBe('marker');
      expect(a.packets).toEqual([]);
    });

    it('answers a request and keeps one connection per peer', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const seen: StreamAddress[] = [];
      b.handle(async (data, from) => {
        seen.push(from);
        return Buffer.concat([Buffer.from('re:'), data]);
      });
      for (const word of ['one', 'two']) {
        const o = watch(a.transport.request(b.streamAddr, Buffer.from(word), 5000));
        expect(await env.waitFor(() => o.settled, 5000)).toBe(true);
        expect(o.error).toBeUndefined();
        expect(o.value!.toString()).toBe(`re:${word}`);
      }
      expect(seen[0]!.ip).toBe(a.streamAddr.ip);
      expect(seen[1]).toEqual(seen[0]);
    });

    it('multiplexes 50 concurrent requests answered out of order', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const waiting: Array<() => void> = [];
      b.handle(
        (data) =>
          new Promise<Buffer>((resolve) => {
            waiting.push(() => resolve(Buffer.from(`answer ${data.toString()}`)));
            if (waiting.length === 50) for (const go of waiting.reverse()) go();
          }),
      );
      const calls = Array.from({ length: 50 }, (_, i) => watch(a.transport.request(b.streamAddr, Buffer.from(String(i)), 5000)));
      expect(await env.waitFor(() => calls.every((c) => c.settled), 5000)).toBe(true);
      calls.forEach((c, i) => expect(c.value?.toString()).toBe(`answer ${i}`));
    });

    it('a killed peer fails a pending request with CLOSED at once, not at the timeout', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      let arrived = false;
      b.handle(() => {
        arrived = true;
        return new Promise<Buffer>(() => {});
      });
      const o = watch(a.transport.request(b.streamAddr, Buffer.from('hang'), 10_000));
      expect(await env.waitFor(() => arrived, 2000)).toBe(true);
      const t0 = env.now();
      await env.kill(b);
      expect(await env.waitFor(() => o.settled, 2000)).toBe(true);
      expect(codeOf(o.error)).toBe('CLOSED');
      expect(env.now() - t0).toBeLessThan(200);
    });

    it('times out a request nobody answers and keeps the connection for the next one', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const froms: StreamAddress[] = [];
      b.handle((data, from) => {
        froms.push(from);
        return data.toString() === 'ignore me' ? new Promise<Buffer>(() => {}) : Promise.resolve(Buffer.from('fine'));
      });
      const t0 = env.now();
      const o = watch(a.transport.request(b.streamAddr, Buffer.from('ignore me'), 100));
      expect(await env.waitFor(() => o.settled, 3000)).toBe(true);
      expect(codeOf(o.error)).toBe('TIMEOUT');
      expect(env.now() - t0).toBeGreaterThanOrEqual(95);
      const next = watch(a.transport.request(b.streamAddr, Buffer.from('again'), 5000));
      expect(await env.waitFor(() => next.settled, 5000)).toBe(true);
      expect(next.value?.toString()).toBe('fine');
      expect(froms[1]).toEqual(froms[0]);
    });

    it('refuses an oversized request with TOO_LARGE; the handler never sees it and everyone keeps working', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const c = await env.start('c');
      const sizes: number[] = [];
      b.handle(async (data) => {
        sizes.push(data.length);
        return Buffer.from('ok');
      });
      const ok1 = watch(a.transport.request(b.streamAddr, Buffer.from('x'), 5000));
      const big = watch(a.transport.request(b.streamAddr, Buffer.alloc(1024 * 1024 + 1), 5000));
      expect(await env.waitFor(() => ok1.settled && big.settled, 5000)).toBe(true);
      expect(codeOf(big.error)).toBe('TOO_LARGE');
      expect(ok1.value?.toString()).toBe('ok');
      const ok2 = watch(a.transport.request(b.streamAddr, Buffer.from('y'), 5000));
      const ok3 = watch(c.transport.request(b.streamAddr, Buffer.from('z'), 5000));
      expect(await env.waitFor(() => ok2.settled && ok3.settled, 5000)).toBe(true);
      expect([ok2.value?.toString(), ok3.value?.toString()]).toEqual(['ok', 'ok']);
      expect(sizes).toEqual([1, 1, 1]);
    });

    it('a handler that throws sends no answer (the caller times out) and breaks nothing', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      b.handle(async (data) => {
        if (data.toString() === 'boom') throw new Error('handler bug');
        return Buffer.from('still here');
      });
      const bad = watch(a.transport.request(b.streamAddr, Buffer.from('boom'), 150));
      const good = watch(a.transport.request(b.streamAddr, Buffer.from('hi'), 5000));
      expect(await env.waitFor(() => bad.settled && good.settled, 3000)).toBe(true);
      expect(codeOf(bad.error)).toBe('TIMEOUT');
      expect(good.value?.toString()).toBe('still here');
    });

    it('close() rejects pending requests with SHUTDOWN, is idempotent, and refuses new ones', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      let arrived = false;
      b.handle(() => {
        arrived = true;
        return new Promise<Buffer>(() => {});
      });
      const o = watch(a.transport.request(b.streamAddr, Buffer.from('wait'), 10_000));
      expect(await env.waitFor(() => arrived, 2000)).toBe(true);
      await Promise.all([a.transport.close(), a.transport.close()]);
      expect(await env.waitFor(() => o.settled, 1000)).toBe(true);
      expect(codeOf(o.error)).toBe('SHUTDOWN');
      const after = watch(a.transport.request(b.streamAddr, Buffer.from('late'), 1000));
      expect(await env.waitFor(() => after.settled, 1000)).toBe(true);
      expect(codeOf(after.error)).toBe('SHUTDOWN');
      expect(() => a.transport.broadcast(Buffer.from('x'))).not.toThrow();
    });

    it('a request to an address nobody listens on rejects with CONNECT', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const addr = b.streamAddr;
      await env.kill(b);
      const o = watch(a.transport.request(addr, Buffer.from('anyone?'), 5000));
      expect(await env.waitFor(() => o.settled, 5000)).toBe(true);
      expect(codeOf(o.error)).toBe('CONNECT');
    });

    it('CloseConnection: the caller gets the answer it carries, the rest of that connection CLOSED, and the next request a new connection', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      const froms: StreamAddress[] = [];
      let held = 0;
      b.handle((data, from) => {
        froms.push(from);
        const word = data.toString();
        if (word === 'junk') return Promise.reject(new CloseConnection('garbage from a peer', Buffer.from('go away')));
        if (word === 'hang') {
          held++;
          return new Promise<Buffer>(() => {});
        }
        return Promise.resolve(Buffer.from(`ok:${word}`));
      });
      const hang = watch(a.transport.request(b.streamAddr, Buffer.from('hang'), 10_000));
      expect(await env.waitFor(() => held === 1, 2000)).toBe(true);
      const t0 = env.now();
      const junk = watch(a.transport.request(b.streamAddr, Buffer.from('junk'), 10_000));
      expect(await env.waitFor(() => junk.settled && hang.settled, 2000)).toBe(true);
      expect(junk.value?.toString()).toBe('go away');
      expect(codeOf(hang.error)).toBe('CLOSED');
      expect(env.now() - t0).toBeLessThan(1000);
      const next = watch(a.transport.request(b.streamAddr, Buffer.from('again'), 5000));
      expect(await env.waitFor(() => next.settled, 5000)).toBe(true);
      expect(next.value?.toString()).toBe('ok:again');
      expect(froms[2]!.ip).toBe(froms[0]!.ip);
      expect(froms[2]!.port).not.toBe(froms[0]!.port);
    });

    it('CloseConnection without an answer fails that request with CLOSED at once, and the server keeps serving', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      b.handle((data) => (data.toString() === 'junk' ? Promise.reject(new CloseConnection('junk')) : Promise.resolve(Buffer.from('fine'))));
      const t0 = env.now();
      const junk = watch(a.transport.request(b.streamAddr, Buffer.from('junk'), 10_000));
      expect(await env.waitFor(() => junk.settled, 2000)).toBe(true);
      expect(codeOf(junk.error)).toBe('CLOSED');
      expect(env.now() - t0).toBeLessThan(1000);
      const next = watch(a.transport.request(b.streamAddr, Buffer.from('x'), 5000));
      expect(await env.waitFor(() => next.settled, 5000)).toBe(true);
      expect(next.value?.toString()).toBe('fine');
    });

    it('refuses a request beyond maxPendingPerConnection with BUSY; the others are answered', async () => {
      await setup();
      const a = await env.start('a', { maxPendingPerConnection: 4 });
      const b = await env.start('b');
      const release: Array<() => void> = [];
      b.handle((data) => new Promise<Buffer>((resolve) => release.push(() => resolve(Buffer.from(`r:${data.toString()}`)))));
      const calls = Array.from({ length: 4 }, (_, i) => watch(a.transport.request(b.streamAddr, Buffer.from(String(i)), 10_000)));
      const extra = watch(a.transport.request(b.streamAddr, Buffer.from('five'), 10_000));
      expect(await env.waitFor(() => extra.settled && release.length === 4, 2000)).toBe(true);
      expect(codeOf(extra.error)).toBe('BUSY');
      for (const go of release) go();
      expect(await env.waitFor(() => calls.every((c) => c.settled), 5000)).toBe(true);
      expect(calls.map((c) => c.value?.toString())).toEqual(['r:0', 'r:1', 'r:2', 'r:3']);
      const after = watch(a.transport.request(b.streamAddr, Buffer.from('later'), 5000));
      expect(await env.waitFor(() => release.length === 5, 5000)).toBe(true);
      release[4]!();
      expect(await env.waitFor(() => after.settled, 5000)).toBe(true);
      expect(after.value?.toString()).toBe('r:later');
    });

    it('an oversized packet is refused on send without throwing', async () => {
      await setup();
      const a = await env.start('a');
      const b = await env.start('b');
      expect(() => a.transport.sendPacket(b.packetAddr, Buffer.alloc(60 * 1024 + 1))).not.toThrow();
      a.transport.sendPacket(b.packetAddr, Buffer.from('small'));
      expect(await env.waitFor(() => b.packets.length >= 1, 2000)).toBe(true);
      expect(b.packets.map((p) => p.data)).toEqual(['small']);
      expect(b.drops).toEqual([]);
    });
  });
}
