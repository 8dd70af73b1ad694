// LoanServer on loopback: a foreign seed-only master (raw JSON over `net`) gets seed-conformant answers,
// bad counts never reach the handler, keyed servers grant nothing unauthenticated, and hostile input
// (bad lines, bad MAC, replays, stale TS, 200 connections, a slow reader) is refused while it keeps serving.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoanServer, type BorrowerLink, type LoanHandlers, type PeerHello, type WorkerHello } from '../../../node-core/src/loans/loan-server.js';
import { encodeLine, type ResultItem, type WorkerResponse } from '../../../node-core/src/loans/wire.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { check, rawClient, waitFor } from './helpers.js';

const KEY = 'farm-a-and-b-share-this';
const SEED_KEYS = new Set(['SERVER', 'TASK', 'WORKER', 'WORKER_UUID', 'WORKERS_NEEDED', 'STATUS', 'MASTER_UUID', 'WORKERS']);
const servers: LoanServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Recorder {
  handlers: LoanHandlers;
  requests: Array<{ n: number; from: PeerHello }>;
  heartbeats: PeerHello[];
  returns: Array<[string[], string[]]>;
  recalls: Array<[string[], string[]]>;
  workers: Array<{ hello: WorkerHello; link: BorrowerLink }>;
  results: ResultItem[];
  alives: WorkerHello[];
  /** delays the answer to a WORKER_REQUEST */
  requestDelayMs: number;
}

function recorder(): Recorder {
  const r: Recorder = {
    requests: [], heartbeats: [], returns: [], recalls: [], workers: [], results: [], alives: [], requestDelayMs: 0,
    handlers: {
      heartbeat: (from) => {
        r.heartbeats.push(from);
        return { CLUSTER_ID: 'farm-b', MASTER_UUID: 'master-b', LOAN_PORT: 8781, LOANS: [] };
      },
      workerRequest: async (n, from) => {
        r.requests.push({ n, from });
        if (r.requestDelayMs) await new Promise((res) => setTimeout(res, r.requestDelayMs));
        const answer: WorkerResponse = n > 2
          ? { TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'only 2 workers to spare' }
          : { TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: 'master-b', WORKERS: ['w-1', 'w-2'].slice(0, n), LOAN_IDS: ['l-1', 'l-2'].slice(0, n) };
        return answer;
      },
      workerReturn: (_from, w, l) => void r.returns.push([w, l]),
      workerRecall: (_from, w, l) => void r.recalls.push([w, l]),
      workerAlive: (hello, link) => {
        if (hello.workerId === 'stranger') return 'no active loan names this worker';
        r.workers.push({ hello, link });
        link.onResults((res) => r.results.push(...res));
        link.onAlive((h) => r.alives.push(h));
        return true;
      },
    },
  };
  return r;
}

async function start(key?: string, extra: Partial<ConstructorParameters<typeof LoanServer>[0]> = {}) {
  const rec = recorder();
  const server = new LoanServer({ host: '127.0.0.1', port: 0, key, logger: silentLogger(), handlers: rec.handlers, ...extra });
  servers.push(server);
  const port = await server.listen();
  return { server, port, rec };
}

const unsigned = ({ TS: _t, NONCE: _n, MAC: _m, ...rest }: Record<string, unknown>) => rest;
const seedOnly = (o: Record<string, unknown>) => Object.keys(o).filter((k) => !SEED_KEYS.has(k));

describe('LoanServer and a foreign (seed-only) master', () => {
  it('answers the seed heartbeat with RECIEVE and a request with ACK, seed keys spelt exactly', async () => {
    const { port, rec } = await start();
    const c = await rawClient(port, sockets);
    c.send('{"SERVER": "ALIVE", "TASK": "REQUEST"}');
    c.send('{"TASK": "WORKER_REQUEST", "WORKERS_NEEDED": 2}');
    c.send('{"TASK": "WORKER_REQUEST", "WORKERS_NEEDED": 5}');
    await waitFor(() => c.lines.length === 3);
    const [hb, ack, nack] = c.json();
    expect(hb).toMatchObject({ SERVER: 'ALIVE', TASK: 'RECIEVE' });
    expect(ack).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: 'master-b', WORKERS: ['w-1', 'w-2'] });
    expect(nack).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [] });
    // every other key is an UPPER_SNAKE extension a seed-only reader can ignore
    for (const line of [hb!, ack!, nack!]) for (const k of seedOnly(line)) expect(k).toMatch(/^[A-Z][A-Z_]*$/);
    expect(rec.heartbeats[0]).toEqual({ address: '127.0.0.1', authed: false, peerboard: false });
    expect(rec.requests.map((q) => q.n)).toEqual([2, 5]);
  });

  it.each(['0', '-1', '1e6', '"5"', '2.5', '65'])('WORKERS_NEEDED %s gets NACK with REASON and never reaches the handler', async (n) => {
    const { port, rec, server } = await start();
    const c = await rawClient(port, sockets);
    c.send(`{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":${n}}`);
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === 2);
    expect(c.json()[0]).toMatchObject({ TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: expect.stringContaining('WORKERS_NEEDED') });
    expect(c.json()[1]).toMatchObject({ TASK: 'RECIEVE' });
    expect(rec.requests).toEqual([]);
    expect(server.counters.dropped.bad_request).toBe(1);
  });

  it('takes a foreign worker: ALIVE -> RECIEVE, WORK in parts, RESULTS and heartbeats reach the link', async () => {
    const { port, rec } = await start();
    const w = await rawClient(port, sockets);
    w.send({ WORKER: 'ALIVE', WORKER_UUID: 'w-1' });
    await waitFor(() => w.lines.length === 1);
    expect(w.json()[0]).toEqual({ WORKER: 'ALIVE', TASK: 'RECIEVE' });
    const link = rec.workers[0]!.link;
    expect(rec.workers[0]!.hello).toMatchObject({ workerId: 'w-1', authed: false, peerboard: false });
    // 40 checks of ~8 KiB each need several 64 KiB lines
    const checks = Array.from({ length: 40 }, (_, i) => check(i + 1, { body: 'b'.repeat(8000) }));
    expect(link.sendWork(checks)).toBe(true);
    await waitFor(() => w.json().filter((l) => l.TASK === 'WORK').length > 1 && w.json().some((l) => l.PART === l.PARTS && l.TASK === 'WORK'));
    const parts = w.json().filter((l) => l.TASK === 'WORK');
    expect(new Set(parts.map((p) => p.VERSION)).size).toBe(1);
    expect(parts.flatMap((p) => (p.CHECKS as Array<{ id: number }>).map((c) => c.id))).toEqual(checks.map((c) => c.id));
    for (const l of w.lines) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(64 * 1024);
    w.send({ TASK: 'RESULTS', RESULTS: [{ checkId: 1, status: 'UP', responseTime: 5, at: Date.now() }] });
    w.send({ WORKER: 'ALIVE', WORKER_UUID: 'w-1' });
    await waitFor(() => rec.results.length === 1 && rec.alives.length === 1);
    expect(link.sendReturn(['l-1'])).toBe(true);
    await waitFor(() => w.json().some((l) => l.TASK === 'WORKER_RETURN'));
    expect(w.json().at(-1)).toEqual({ TASK: 'WORKER_RETURN', WORKERS: ['w-1'], LOAN_IDS: ['l-1'] });
  });

  it('refuses a worker the handler does not know with ERROR and closes', async () => {
    const { port } = await start();
    const w = await rawClient(port, sockets);
    w.send({ WORKER: 'ALIVE', WORKER_UUID: 'stranger' });
    await waitFor(() => w.closed());
    expect(w.json()).toEqual([{ TASK: 'ERROR', REASON: 'no active loan names this worker' }]);
  });

  it('answers in the order lines came, even when a request waits on the handler', async () => {
    const { port, rec } = await start();
    rec.requestDelayMs = 100;
    const c = await rawClient(port, sockets);
    c.s.write('{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}\n{"SERVER":"ALIVE","TASK":"REQUEST"}\n');
    await waitFor(() => c.lines.length === 2);
    expect(c.json().map((l) => l.TASK)).toEqual(['WORKER_RESPONSE', 'RECIEVE']);
  });
});

describe('LoanServer with a loanKey', () => {
  it('grants nothing unauthenticated: bare RECIEVE, NACK, ERROR for a worker', async () => {
    const { port, rec } = await start(KEY);
    const c = await rawClient(port, sockets);
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    c.send('{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1}');
    c.send('{"TASK":"WORKER_RECALL","WORKERS":["w-1"]}');
    await waitFor(() => c.lines.length === 3);
    // a keyed node signs all it sends (TS, NONCE, MAC are extra keys a seed reader ignores); nothing else is added
    expect(c.json().map(unsigned)).toEqual([
      { SERVER: 'ALIVE', TASK: 'RECIEVE' },
      { TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [], REASON: 'authentication required' },
      { TASK: 'ERROR', REASON: 'authentication required' },
    ]);
    expect(rec.requests).toEqual([]);
    expect(rec.recalls).toEqual([]);
    const w = await rawClient(port, sockets);
    w.send({ WORKER: 'ALIVE', WORKER_UUID: 'w-1' });
    await waitFor(() => w.closed());
    expect(w.json().map(unsigned)).toEqual([{ TASK: 'ERROR', REASON: 'authentication required' }]);
    expect(rec.workers).toEqual([]);
  });

  it('serves signed lines and refuses a bad MAC, a replayed nonce and a stale TS, then keeps serving', async () => {
    const { port, rec, server } = await start(KEY);
    const c = await rawClient(port, sockets);
    const signed = encodeLine({ SERVER: 'ALIVE', TASK: 'REQUEST', CLUSTER_ID: 'farm-a' }, KEY).toString();
    c.s.write(signed);
    await waitFor(() => c.lines.length === 1);
    expect(c.json()[0]).toMatchObject({ SERVER: 'ALIVE', TASK: 'RECIEVE', CLUSTER_ID: 'farm-b', MAC: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(rec.heartbeats[0]).toMatchObject({ clusterId: 'farm-a', authed: true, peerboard: true });
    c.s.write(signed); // replay
    c.s.write(encodeLine({ TASK: 'WORKER_REQUEST', WORKERS_NEEDED: 1 }, 'wrong-key'));
    c.s.write(encodeLine({ TASK: 'WORKER_REQUEST', WORKERS_NEEDED: 1 }, KEY, Date.now() - 45_000));
    c.s.write(encodeLine({ TASK: 'WORKER_REQUEST', WORKERS_NEEDED: 1 }, KEY));
    await waitFor(() => c.lines.length === 5);
    const reasons = c.json().slice(1, 4).map((l) => String(l.REASON).split(':')[0]);
    expect(reasons).toEqual(['replay', 'bad_mac', 'stale']);
    expect(c.json()[4]).toMatchObject({ STATUS: 'ACK', WORKERS: ['w-1'] });
    expect(rec.requests).toHaveLength(1);
    expect(server.counters.dropped).toMatchObject({ replay: 1, bad_mac: 1, stale: 1 });
  });
});

describe('LoanServer under hostile input', () => {
  it('answers every bad line with ERROR, counts it, and keeps serving', async () => {
    const { port, server } = await start();
    const c = await rawClient(port, sockets);
    const bad = ['{"SERVER":', '{"TASK":"MINE_BITCOIN"}', `{"TASK":"RESULTS","X":${'['.repeat(20)}${']'.repeat(20)}}`, '{"WORKER":"ALIVE","WORKER_UUID":7}', '{"TASK":"WORKER_RESPONSE","STATUS":"ACK","MASTER_UUID":"m","WORKERS":["a"]}'];
    for (const b of bad) c.send(b);
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === bad.length + 1);
    expect(c.json().map((l) => l.TASK)).toEqual(['ERROR', 'ERROR', 'ERROR', 'ERROR', 'ERROR', 'RECIEVE']);
    expect(c.json()[1]!.REASON).toMatch(/unknown_task/);
    expect(server.counters.dropped).toMatchObject({ bad_json: 1, unknown_task: 1, too_deep: 1, bad_shape: 1, unexpected: 1 });
  });

  it('refuses a 70 KiB line and a 10 MB stream without a newline, each with one ERROR, and serves the next line', async () => {
    const { port, server } = await start();
    const c = await rawClient(port, sockets);
    c.send(`{"TASK":"WORKER_REQUEST","WORKERS_NEEDED":1,"PAD":"${'x'.repeat(70 * 1024)}"}`);
    const chunk = Buffer.alloc(64 * 1024, 0x7b);
    for (let i = 0; i < 160; i++) if (!c.s.write(chunk)) await new Promise((r) => c.s.once('drain', r));
    c.send('');
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === 3);
    expect(c.json().map((l) => String(l.REASON ?? l.TASK).split(':')[0])).toEqual(['too_large', 'too_large', 'RECIEVE']);
    expect(server.counters.dropped.too_large).toBe(2);
    expect(server.counters.lines).toBe(1);
  });

  it('counts a bad ERROR line but never answers it (two peers refusing each other would ping-pong)', async () => {
    const { port, server } = await start();
    const c = await rawClient(port, sockets);
    c.send('{"TASK":"ERROR","REASON":42}');
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === 1);
    expect(c.json()[0]).toMatchObject({ TASK: 'RECIEVE' });
    expect(server.counters.dropped.bad_shape).toBe(1);
  });

  it('caps 200 connections at 16 per IP and 128 in all, and serves once they go', async () => {
    const { port, server } = await start();
    const conns = [];
    for (let i = 0; i < 200; i++) {
      // 13 loopback source addresses: 127.0.0.2 .. 127.0.0.14
      conns.push(rawClient(port, sockets, `127.0.0.${2 + (i % 13)}`).catch(() => null));
    }
    await Promise.all(conns);
    await waitFor(() => server.counters.accepted + (server.counters.dropped.too_many_conns ?? 0) + (server.counters.dropped.too_many_conns_ip ?? 0) === 200);
    expect(server.counters.accepted).toBe(128);
    expect(server.counters.conns).toBe(128);
    expect((server.counters.dropped.too_many_conns ?? 0) + (server.counters.dropped.too_many_conns_ip ?? 0)).toBe(72);
    for (const s of sockets.splice(0)) s.destroy();
    await waitFor(() => server.counters.conns === 0);
    const c = await rawClient(port, sockets);
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === 1);
  });

  it('drops a worker that does not read its WORK and keeps serving others', async () => {
    const { port, rec, server } = await start(undefined, { writeStallMs: 300 });
    const w = await rawClient(port, sockets);
    w.send({ WORKER: 'ALIVE', WORKER_UUID: 'w-1' });
    await waitFor(() => rec.workers.length === 1 && w.lines.length === 1);
    w.s.pause();
    const link = rec.workers[0]!.link;
    let closed = false;
    link.onClose(() => (closed = true));
    // ~10 MB of checks in ~160 lines: more than the kernel buffers hold for a peer that does not read
    const checks = Array.from({ length: 600 }, (_, i) => check(i + 1, { body: 'b'.repeat(16_000) }));
    expect(link.sendWork(checks)).toBe(true);
    await waitFor(() => closed);
    expect(server.counters.dropped.slow_reader).toBe(1);
    const c = await rawClient(port, sockets);
    c.send('{"SERVER":"ALIVE","TASK":"REQUEST"}');
    await waitFor(() => c.lines.length === 1);
  });
});
