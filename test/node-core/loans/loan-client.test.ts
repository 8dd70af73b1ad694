// NeighbourClient and WorkerLink on loopback: driven against a foreign seed-only master (a raw `net`
// server answering seed lines) and against a keyed LoanServer (auth, WORK parts, RESULTS, return,
// refusal, timeouts, reconnecting to a new address).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NeighbourClient, WorkerLink, type WorkerLinkOptions } from '../../../node-core/src/loans/loan-client.js';
import { LoanServer, type BorrowerLink } from '../../../node-core/src/loans/loan-server.js';
import type { ResultItem } from '../../../node-core/src/loans/wire.js';
import type { CheckDef } from '../../../node-core/src/monitoring/types.js';
import { silentLogger } from '../../../node-core/src/log.js';
import { check, waitFor } from './helpers.js';

const KEY = 'farm-a-and-b-share-this';
const self = { clusterId: 'farm-a', masterId: 'master-a', loanPort: 9999 };
const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** A foreign master in a few lines: answers seed lines with seed lines, records what it got. */
async function foreignMaster(acks: Array<unknown[] | null>, silent = false): Promise<{ port: number; got: string[]; conns: () => number }> {
  const got: string[] = [];
  let conns = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    conns++;
    sockets.push(s);
    let buf = '';
    s.on('error', () => {});
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        got.push(line);
        if (silent) continue;
        const m = JSON.parse(line) as Record<string, unknown>;
        if (m.SERVER === 'ALIVE' && m.TASK === 'REQUEST') s.write('{"SERVER": "ALIVE" ,"TASK":"RECIEVE"}\n');
        if (m.TASK === 'WORKER_REQUEST') {
          const w = acks.shift();
          s.write(`${JSON.stringify(w ? { TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: 'foreign-master', WORKERS: w } : { TASK: 'WORKER_RESPONSE', STATUS: 'NACK', WORKERS: [] })}\n`);
        }
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => {
    for (const s of sockets) s.destroy();
    server.close(r);
  }));
  return { port: (server.address() as { port: number }).port, got, conns: () => conns };
}

function neighbour(port: number, key?: string, timeoutMs = 2000): NeighbourClient {
  const c = new NeighbourClient({ address: '127.0.0.1', port, key, self, logger: silentLogger(), timeoutMs });
  closers.push(() => c.close());
  return c;
}

interface LinkEvents { work: CheckDef[][]; returned: number; refused: string[]; states: boolean[] }
function workerLink(opts: Partial<WorkerLinkOptions> & Pick<WorkerLinkOptions, 'address'>): { link: WorkerLink; ev: LinkEvents } {
  const ev: LinkEvents = { work: [], returned: 0, refused: [], states: [] };
  const link = new WorkerLink({
    hello: { workerId: 'w-1', loanId: 'l-1', clusterId: 'farm-b', location: 'rack 2' },
    logger: silentLogger(),
    heartbeatMs: 50,
    load: () => ({ lagP99Ms: 12, cpu: 0.2, utilisation: 0.3 }),
    onWork: (c) => ev.work.push(c),
    onReturn: () => ev.returned++,
    onRefused: (r) => ev.refused.push(r),
    onState: (s) => ev.states.push(s),
    backoffMs: { min: 20, max: 100 },
    ...opts,
  });
  closers.push(() => link.close());
  return { link, ev };
}

describe('against a foreign (seed-only) master', () => {
  it('NeighbourClient heartbeats and reads ACK with WORKERS as ["uuid"] and as [{"WORKER_UUID"}], and NACK', async () => {
    const f = await foreignMaster([['u-1'], [{ WORKER_UUID: 'u-2' }, { WORKER_UUID: 'u-3' }], null]);
    const c = neighbour(f.port);
    await expect(c.heartbeat(['l-1'])).resolves.toMatchObject({ SERVER: 'ALIVE', TASK: 'RECIEVE', authed: false });
    await expect(c.requestWorkers(1, 60_000)).resolves.toMatchObject({ STATUS: 'ACK', MASTER_UUID: 'foreign-master', WORKERS: ['u-1'] });
    await expect(c.requestWorkers(2, 60_000)).resolves.toMatchObject({ STATUS: 'ACK', WORKERS: ['u-2', 'u-3'] });
    await expect(c.requestWorkers(3, 60_000)).resolves.toMatchObject({ STATUS: 'NACK', WORKERS: [] });
    expect(f.conns()).toBe(1);
    // what it got carries the seed's keys exactly (extensions are extra keys)
    expect(JSON.parse(f.got[0]!)).toMatchObject({ SERVER: 'ALIVE', TASK: 'REQUEST', LOANS: ['l-1'] });
    expect(JSON.parse(f.got[1]!)).toMatchObject({ TASK: 'WORKER_REQUEST', WORKERS_NEEDED: 1, LOAN_PORT: 9999 });
  });

  it('a master that never answers: the request times out, and the next call reconnects', async () => {
    const f = await foreignMaster([], true);
    const c = neighbour(f.port, undefined, 150);
    await expect(c.heartbeat([])).rejects.toThrow(/no answer/);
    await expect(c.requestWorkers(1, 60_000)).rejects.toThrow(/no answer/);
    expect(f.conns()).toBe(2);
  });

  it('an unreachable master rejects', async () => {
    const f = await foreignMaster([]);
    const port = f.port;
    await closers.pop()!();
    await expect(neighbour(port, undefined, 500).heartbeat([])).rejects.toThrow();
  });

  it('WorkerLink sends exactly {"WORKER":"ALIVE","WORKER_UUID":...} first, extensions only as extra keys, then heartbeats', async () => {
    const f = await foreignMaster([]);
    const { ev } = workerLink({ address: '127.0.0.1', port: f.port });
    await waitFor(() => f.got.length >= 3);
    expect(f.got[0]!.startsWith('{"WORKER":"ALIVE","WORKER_UUID":"w-1"')).toBe(true);
    const first = JSON.parse(f.got[0]!) as Record<string, unknown>;
    expect(first).toMatchObject({ WORKER: 'ALIVE', WORKER_UUID: 'w-1', LOAN_ID: 'l-1', CLUSTER_ID: 'farm-b', LOAD: { cpu: 0.2 } });
    expect(JSON.parse(f.got[2]!)).toMatchObject({ WORKER: 'ALIVE', WORKER_UUID: 'w-1' });
    expect(ev.states).toEqual([true]);
  });
});

describe('Peerboard to Peerboard with a loanKey', () => {
  async function borrower(key = KEY) {
    const links: BorrowerLink[] = [];
    const results: ResultItem[] = [];
    const got: Array<[string, string[], string[]]> = [];
    const server = new LoanServer({
      host: '127.0.0.1', port: 0, key, logger: silentLogger(),
      handlers: {
        heartbeat: (from) => ({ CLUSTER_ID: 'farm-b', MASTER_UUID: 'master-b', LOANS: from.authed ? ['l-1'] : [] }),
        workerRequest: async (n) => ({ TASK: 'WORKER_RESPONSE', STATUS: 'ACK', MASTER_UUID: 'master-b', WORKERS: Array.from({ length: n }, (_, i) => `w-${i}`) }),
        workerReturn: (_f, w, l) => void got.push(['return', w, l]),
        workerRecall: (_f, w, l) => void got.push(['recall', w, l]),
        workerAlive: (hello, link) => {
          if (hello.loanId !== 'l-1') return 'unknown loan';
          links.push(link);
          link.onResults((r) => results.push(...r));
          return true;
        },
      },
    });
    const port = await server.listen();
    closers.push(() => server.close());
    return { server, port, links, results, got };
  }

  it('NeighbourClient: authenticated heartbeat, request, return and recall', async () => {
    const b = await borrower();
    const c = neighbour(b.port, KEY);
    await expect(c.heartbeat(['l-1'])).resolves.toMatchObject({ CLUSTER_ID: 'farm-b', LOANS: ['l-1'], authed: true });
    await expect(c.requestWorkers(3, 600_000)).resolves.toMatchObject({ STATUS: 'ACK', WORKERS: ['w-0', 'w-1', 'w-2'], authed: true });
    await c.returnWorkers(['w-0'], ['l-0']);
    await c.recallWorkers(['w-1'], ['l-1']);
    await waitFor(() => b.got.length === 2);
    expect(b.got).toEqual([['return', ['w-0'], ['l-0']], ['recall', ['w-1'], ['l-1']]]);
  });

  it('NeighbourClient: calls made together are answered in order, each with its own answer', async () => {
    const b = await borrower();
    const c = neighbour(b.port, KEY);
    const [hb, r1, r2, hb2] = await Promise.all([c.heartbeat([]), c.requestWorkers(1, 60_000), c.requestWorkers(2, 60_000), c.heartbeat(['l-1'])]);
    expect([hb.TASK, r1.WORKERS, r2.WORKERS, hb2.TASK]).toEqual(['RECIEVE', ['w-0'], ['w-0', 'w-1'], 'RECIEVE']);
    expect(b.server.counters.accepted).toBe(1);
  });

  it('a client with another key is refused: the MAC fails', async () => {
    const b = await borrower();
    await expect(neighbour(b.port, 'not-the-key').requestWorkers(1, 60_000)).rejects.toThrow(/bad_mac/);
  });

  it('WorkerLink: accepted, gets all WORK parts as one set, sends RESULTS split to fit, goes home on WORKER_RETURN', async () => {
    const b = await borrower();
    const { link, ev } = workerLink({ address: '127.0.0.1', port: b.port, key: KEY });
    await waitFor(() => b.links.length === 1);
    const checks = Array.from({ length: 30 }, (_, i) => check(i + 1, { body: 'b'.repeat(9000) }));
    b.links[0]!.sendWork(checks.slice(0, 5));
    b.links[0]!.sendWork(checks);
    await waitFor(() => ev.work.length === 2);
    expect(ev.work.map((w) => w.length)).toEqual([5, 30]);
    expect(ev.work[1]!.map((c) => c.id)).toEqual(checks.map((c) => c.id));
    const results: ResultItem[] = Array.from({ length: 3000 }, (_, i) => ({ checkId: (i % 30) + 1, status: 'UP', responseTime: 3, at: Date.now(), error: null }));
    expect(link.sendResults(results)).toBe(true);
    await waitFor(() => b.results.length === 3000);
    b.links[0]!.sendReturn(['l-1']);
    await waitFor(() => ev.returned === 1);
    expect(link.connected).toBe(false);
  });

  it('WorkerLink gets a ~10 MB WORK version of ~160 parts whole (the borrower writes it as the worker reads)', async () => {
    const b = await borrower();
    const { ev } = workerLink({ address: '127.0.0.1', port: b.port, key: KEY });
    await waitFor(() => b.links.length === 1);
    const checks = Array.from({ length: 600 }, (_, i) => check(i + 1, { body: 'b'.repeat(16_000) }));
    expect(b.links[0]!.sendWork(checks)).toBe(true);
    await waitFor(() => ev.work.length === 1, 15_000);
    expect(ev.work[0]!.map((c) => c.id)).toEqual(checks.map((c) => c.id));
    expect(b.server.counters.dropped).toEqual({});
  });

  it('WorkerLink batches queued results into one line per period, and sends at once on a status change', async () => {
    const b = await borrower();
    const lines: number[] = [];
    const { link } = workerLink({ address: '127.0.0.1', port: b.port, key: KEY, batchMs: 200 });
    await waitFor(() => b.links.length === 1);
    b.links[0]!.onResults((r) => lines.push(r.length));
    const r = (id: number): ResultItem => ({ checkId: id, status: 'UP', responseTime: 1, at: Date.now() });
    for (let i = 1; i <= 5; i++) link.queueResult(r(i));
    link.queueResult({ ...r(6), status: 'DOWN' }, true);
    await waitFor(() => lines.length === 1);
    expect(lines).toEqual([6]);
    for (let i = 1; i <= 3; i++) link.queueResult(r(i));
    await waitFor(() => lines.length === 2);
    expect(lines).toEqual([6, 3]);
    expect(link.resultsDropped).toBe(0);
  });

  it('WorkerLink is refused by a borrower that does not know its loan, and stops', async () => {
    const b = await borrower();
    const { ev } = workerLink({ address: '127.0.0.1', port: b.port, key: KEY, hello: { workerId: 'w-1', loanId: 'l-9' } });
    await waitFor(() => ev.refused.length === 1);
    expect(ev.refused).toEqual(['unknown loan']);
    expect(b.server.counters.accepted).toBe(1);
  });

  it('WorkerLink reconnects to the address its callback names after the borrower goes away', async () => {
    const first = await borrower();
    const second = await borrower();
    let target = first.port;
    const { ev } = workerLink({ address: () => ({ address: '127.0.0.1', port: target }), key: KEY });
    await waitFor(() => first.links.length === 1);
    target = second.port;
    await first.server.close();
    await waitFor(() => second.links.length === 1);
    expect(ev.states).toEqual([true, false, true]);
  });

  it('WorkerLink gives up after maxAttempts against nothing listening', async () => {
    const b = await borrower();
    const port = b.port;
    await b.server.close();
    const { ev } = workerLink({ address: '127.0.0.1', port, key: KEY, maxAttempts: 3 });
    await waitFor(() => ev.refused.length === 1);
    expect(ev.refused).toEqual(['borrower unreachable']);
  });
});
