// Worker loans between two real farms on loopback (issue 13): farm A (3 nodes, one of them a location,
// K = 1) runs 96 checks every 2 s (scaled) against a slow HTTP target (150 ms) and saturates; it finds farm B (5 nodes) by
// B's LAN heartbeats, borrows its workers, they connect and run A's checks, and A's lag falls. Removing
// A's checks sends them home. Then faults mid-loan: A's master crashes, B's master crashes, a lent
// worker crashes. Real sockets, real SQLite, timings in ms, waits on conditions.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import type { LoansView } from '../../node-core/src/loans/types.js';
import { api, freeUdpPort, TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

const LAG_MS = 600;
const HB_MS = 200;
const LOANS: Partial<NodeConfigInput> = {
  loanPort: 0,
  loanHeartbeatMs: HB_MS,
  loanLagMs: LAG_MS,
  // every node of the test shares one process: its CPU is no farm's own (lag decides here)
  loanCpu: 64,
  loanSustainMs: 1500,
  loanConnectMs: 2500,
  loanLeaseMs: 4000,
  lendable: true,
  monitorConcurrency: 4,
};

let A: TestCluster;
let B: TestCluster;
let target: Server;
let targetUrl = '';
const figures: Record<string, number> = {};

function view(t: TestNode): LoansView {
  return t.node.loans!.view();
}
function masterOf(c: TestCluster): TestNode | undefined {
  const m = c.master();
  return m && m.node.raft.masterReady() && m.node.raft.hasQuorum() ? m : undefined;
}
function inLoans(c: TestCluster) {
  const m = masterOf(c);
  return m ? view(m).active.filter((l) => l.direction === 'in') : [];
}
function outLoans(c: TestCluster) {
  const m = masterOf(c);
  return m ? view(m).active.filter((l) => l.direction === 'out') : [];
}
const lagOf = (c: TestCluster): number | undefined => {
  const m = masterOf(c);
  return m ? view(m).load?.lagP99Ms : undefined;
};

/** a farm's master's loans view, for failure messages */
function describeFarm(c: TestCluster): string {
  const m = masterOf(c);
  if (!m) return 'no master';
  const v = view(m);
  return JSON.stringify({ master: m.name, load: v.load, neighbours: v.neighbours, active: v.active.map((l) => ({ id: l.id, d: l.direction, c: l.connected, n: l.checks })), recent: v.recent.map((l) => `${l.id} ${l.endReason}`), counters: v.counters });
}

let checkNo = 0;
async function addChecks(n: number): Promise<void> {
  const m = await A.settled();
  for (let i = 0; i < n; i++) {
    const r = await api(m.api, 'POST', '/api/checks', { name: `slow-${checkNo++}`, type: 'http', target: targetUrl, intervalSec: 10, timeoutMs: 2000, retries: 0 });
    expect(r.status).toBe(201);
  }
}

async function removeChecks(): Promise<void> {
  const m = await A.settled();
  const r = await api<{ checks: Array<{ id: number }> }>(m.api, 'GET', '/api/checks');
  for (const c of r.body.checks) expect((await api(m.api, 'DELETE', `/api/checks/${c.id}`)).status).toBeLessThan(300);
}

/** waits for borrowed workers (at least `n`) with their links up on A's master, mirrored as `out` loans on B */
async function borrowed(n = 1, timeoutMs = 30_000) {
  const loans = await waitFor(`${n}+ borrowed workers connected`, () => {
    const ins = inLoans(A);
    return ins.length >= n && ins.every((l) => l.connected) ? ins : undefined;
  }, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}; A: ${describeFarm(A)}; B: ${describeFarm(B)}`);
  });
  await waitFor('B holds the same loans as lent', () => {
    const outs = new Set(outLoans(B).map((l) => l.id));
    return loans.every((l) => outs.has(l.id)) || undefined;
  });
  return loans;
}

beforeAll(async () => {
  target = createServer((_req, res) => {
    setTimeout(() => res.end("slow but ok"), 150);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
  // both farms share the LAN (one discovery port): each hears the other's heartbeats as hints
  const port = await freeUdpPort();
  const deps = { monitorOptions: { timeScale: 0.2 } };
  // A borrows at most 2: B (4 lendable) keeps spares to replace a lost worker after its own failover
  A = new TestCluster(port, { clusterId: 'farm-a', ...LOANS, loanMaxWorkers: 2 }, deps);
  B = new TestCluster(port, { clusterId: 'farm-b', ...LOANS }, deps);
  await A.add('a1');
  await A.add('a2', { monitor: false });
  await A.add('a3', { monitor: false });
  for (const n of ['b1', 'b2', 'b3', 'b4', 'b5']) await B.add(n);
  await Promise.all([A.settled(), B.settled()]);
  await Promise.all([A.voters(3), B.voters(5)]);
  for (const c of [A, B]) {
    const m = await c.settled();
    expect((await api(m.api, 'PUT', '/api/monitoring/settings', { locationsPerCheck: 1 })).status).toBe(200);
  }
}, 90_000);

afterAll(async () => {
  await A?.close();
  await B?.close();
  target?.close();
  // the figures of this run, for the report
  console.info('loans.test figures (ms):', JSON.stringify(figures));
});

describe('two farms lend each other workers', () => {
  it('A finds B on the LAN; saturated, it borrows; the lent workers run its checks and its lag falls', async () => {
    await waitFor('A hears B as a neighbour that answers', () => {
      const m = masterOf(A);
      return m && view(m).neighbours.some((n) => n.clusterId === 'farm-b' && n.up && n.source === 'lan');
    }, 10_000);
    await addChecks(96);
    const start = Date.now();
    await waitFor('A saturated', () => (lagOf(A) ?? 0) > LAG_MS || undefined, 30_000);
    figures.lagBefore = lagOf(A)!;
    const tSat = Date.now();
    figures.checksToSaturation = tSat - start;
    const loans = await borrowed();
    figures.saturationToConnected = Date.now() - tSat;
    expect(loans.every((l) => l.peer.clusterId === 'farm-b' && l.peer.peerboard)).toBe(true);
    expect(loans.length).toBeLessThanOrEqual(2); // loanMaxWorkers
    // the guests run A's checks (K = 1: each check on one location of the pool)
    await waitFor('the guests have checks', () => inLoans(A).every((l) => l.checks > 0) || undefined, 10_000);
    await waitFor('A lag under the threshold', () => ((lagOf(A) ?? Infinity) < LAG_MS ? true : undefined), 40_000);
    figures.saturationToRelief = Date.now() - tSat;
    figures.borrowed = inLoans(A).length;
    // and it stays down: under half the threshold once the 10 s lag window holds only relieved rounds
    await waitFor('A lag under half the threshold', () => ((lagOf(A) ?? Infinity) < LAG_MS / 2 ? true : undefined), 30_000);
    figures.saturationToCalm = Date.now() - tSat;
    figures.lagWith = lagOf(A)!;
    // B lent neither its master nor one node twice
    const bm = masterOf(B)!;
    const outs = outLoans(B);
    expect(outs.map((l) => l.workerId)).not.toContain(bm.name);
    expect(new Set(outs.map((l) => l.workerId)).size).toBe(outs.length);
    expect(view(bm).load?.lent).toBe(outs.length);
    // B gets a check of its own: its master assigns it to home locations only, never to a lent one
    const bCheck = await api<{ id: number }>(bm.api, 'POST', '/api/checks', { name: 'b-own', type: 'http', target: targetUrl, intervalSec: 10, timeoutMs: 2000, retries: 0 });
    expect(bCheck.status).toBe(201);
    for (const l of outs) await waitFor(`lent ${l.workerId} gets an empty assignment at home`, () => B.byName(l.workerId).node.monitor!.assignment()?.ids.length === 0 || undefined, 10_000);
    await waitFor('a home location of B runs it', () => B.nodes.some((t) => !outs.some((l) => l.workerId === t.name) && t.node.monitor!.assignment()?.ids.includes(bCheck.body.id)) || undefined, 10_000);
    expect((await api(bm.api, 'DELETE', `/api/checks/${bCheck.body.id}`)).status).toBeLessThan(300);
    // the loans were never recalled by it
    expect(outLoans(B).length).toBe(outs.length);
  }, 120_000);

  it('A\'s load falls: the workers go home, loan-end returned on both boards, with history lines', async () => {
    const ids = inLoans(A).map((l) => l.id);
    await removeChecks();
    await waitFor('no loans left on A', () => (masterOf(A) && inLoans(A).length === 0) || undefined, 40_000);
    await waitFor('no loans left on B', () => (masterOf(B) && outLoans(B).length === 0) || undefined, 10_000);
    for (const c of [A, B]) {
      const recent = view(masterOf(c)!).recent.filter((l) => ids.includes(l.id));
      expect(recent.map((l) => l.endReason)).toEqual(ids.map(() => 'returned'));
      const node = masterOf(c)!.node;
      const lines = ['loan-start', 'loan-end'].flatMap((operation) => node.history({ operation, limit: 100 }).items.map((h) => h.comment ?? ''));
      expect(lines.filter((l) => /^loan of .* ended: returned$/.test(l)).length).toBeGreaterThanOrEqual(ids.length);
      expect(lines.some((l) => (c === A ? /^borrowed .* from farm farm-b$/ : /^lent .* to farm farm-a until /).test(l))).toBe(true);
    }
    // back home, nothing runs the borrower's work
    for (const t of B.nodes) expect(t.node.loans!.worker.serving()).toBeNull();
  }, 60_000);

  it('A\'s master crashes mid-loan: the new master keeps the loans and the workers reconnect to it', async () => {
    await addChecks(96);
    const before = await borrowed(1, 40_000);
    const old = masterOf(A)!;
    await A.crash(old.name);
    const t0 = Date.now();
    const m = await A.settled();
    expect(m.name).not.toBe(old.name);
    await waitFor('the workers reconnected to the new master', () => {
      const ins = inLoans(A);
      return ins.length === before.length && ins.every((l) => l.connected) ? ins : undefined;
    }, 20_000);
    figures.masterCrashToReconnected = Date.now() - t0;
    expect(inLoans(A).map((l) => l.id).sort()).toEqual(before.map((l) => l.id).sort());
  }, 90_000);

  it('B\'s master crashes mid-loan: the loans survive and their leases are renewed again', async () => {
    const bm = masterOf(B)!;
    const ids = outLoans(B).map((l) => l.id);
    expect(ids.length).toBeGreaterThan(0);
    await B.crash(bm.name);
    const t0 = Date.now();
    const nm = await B.settled();
    const untilAt = new Map(view(nm).active.map((l) => [l.id, l.until]));
    // the lease is 4 s: a renewal moves `until` on both boards within it
    await waitFor('B renews the loans after its failover', () => {
      const outs = outLoans(B);
      return ids.every((id) => (outs.find((l) => l.id === id)?.until ?? 0) > (untilAt.get(id) ?? Infinity)) || undefined;
    }, 15_000);
    figures.lenderCrashToRenewal = Date.now() - t0;
    await waitFor('A renews them too', () => inLoans(A).every((l) => l.until > Date.now() + 1000) || undefined, 10_000);
    // (A may have borrowed more meanwhile: it is still saturated without its only location)
    expect(ids.every((id) => inLoans(A).some((l) => l.id === id))).toBe(true);
    // the loans never ended
    expect(view(nm).recent.filter((l) => ids.includes(l.id))).toEqual([]);
  }, 60_000);

  it('a lent worker crashes: A detaches it, ends its loan lost, and borrows again', async () => {
    // more load: A is saturated even with both workers (it may borrow no more: loanMaxWorkers 2)
    await addChecks(96);
    const bm = await B.settled();
    const victim = await waitFor('a lent worker that is not B\'s master', () => inLoans(A).find((l) => l.workerId !== bm.name && l.connected)).catch((err: Error) => {
      throw new Error(`${err.message}; A: ${describeFarm(A)}; B: ${describeFarm(B)}`);
    });
    const count = inLoans(A).length;
    await B.crash(victim.workerId);
    const t0 = Date.now();
    await waitFor('A ends the loan lost', () => view(masterOf(A)!).recent.find((l) => l.id === victim.id && l.endReason === 'lost'), 20_000);
    figures.workerCrashToLost = Date.now() - t0;
    await waitFor('A borrows a replacement', () => {
      const ins = inLoans(A);
      return ins.length >= count && ins.every((l) => l.connected && l.workerId !== victim.workerId) ? ins : undefined;
    }, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}; A: ${describeFarm(A)}; B: ${describeFarm(B)}`);
    });
    figures.workerCrashToReplaced = Date.now() - t0;
    // B ends its side too (the return A sends, or its own view of the dead node)
    await waitFor('B ends the dead worker\'s loan', () => !outLoans(B).some((l) => l.id === victim.id) || undefined, 20_000);
    expect(view(masterOf(A)!).counters.end_lost).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
