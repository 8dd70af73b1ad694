// Worker loans between two real farms in network namespaces (issue 13 "Tests"): farm A (3 nodes) is
// saturated by its checks against a slow target and borrows workers from farm B (3 nodes), found by
// B's heartbeats on the LAN; B's workers run A's checks (the target counts their requests), A's lag
// falls under the threshold, the loans survive kill -9 of either master, a killed worker's loan ends
// and its work goes back to the pool, and the workers go home when A's load drops. Default ports and
// discovery; each farm has its own cluster id and team key, both the same loan key; only timings are
// shortened. Skipped with the reason without root, `ip netns` or nft.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoansView, LoanView } from '../../node-core/src/loans/types.js';
import { api, waitFor } from './cluster-helpers.js';
import { type Farm, LoansLab, nodeIp, nodeUrl, TARGET_IP, TARGET_PORT, unavailableReason } from './loans-netns-lab.js';

const skip = unavailableReason();
const SIZE = { a: 3, b: 3 } as const;
/** farm A's checks: with 2 probe slots per node and a 300 ms target, 36 checks at 5 s need 2.2 s of a 5 s round per slot pair: 108 % of a node */
const CHECKS = 36;
const TIMINGS = ['--monitor-concurrency', '2', '--loan-sustain-ms', '3000', '--loan-heartbeat-ms', '500', '--loan-lease-ms', '8000', '--loan-connect-ms', '5000'];
const l = new LoansLab(SIZE, () => TIMINGS);

type Health = { role: string; nodeId: string; quorum: boolean; voters: string[] };
const health = async (f: Farm, i: number) => (await api<Health>(nodeUrl(f, i), 'GET', '/api/health')).body;
const alive = (f: Farm) => [...Array(SIZE[f]).keys()].map((k) => k + 1).filter((i) => l.procs.has(`${f}${i}`));
async function master(f: Farm): Promise<number> {
  return waitFor(`farm ${f}'s master`, async () => {
    const among = alive(f);
    const hs = await Promise.all(among.map((i) => health(f, i).catch(() => null)));
    const k = hs.findIndex((h) => h?.role === 'master' && h.quorum);
    return k >= 0 ? among[k]! : 0;
  }, 30_000, 100);
}
const loans = async (f: Farm, i: number) => (await api<{ loans: LoansView }>(nodeUrl(f, i), 'GET', '/api/loans')).body.loans;
const connected = (v: LoansView, dir: 'in' | 'out') => v.active.filter((x: LoanView) => x.direction === dir && (dir === 'out' || x.connected));
const targetStats = async () => (await api<{ counts: Record<string, number>; total: number }>(`http://${TARGET_IP}:${TARGET_PORT}`, 'GET', '/stats')).body;
const fromFarmB = (counts: Record<string, number>) => [1, 2, 3].reduce((n, i) => n + (counts[nodeIp('b', i)] ?? 0), 0);

describe.skipIf(skip !== null)(`worker loans between two farms in network namespaces${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(async () => {
    l.setup();
    await l.startTarget(300);
    for (const f of ['a', 'b'] as const) for (let i = 1; i <= SIZE[f]; i++) l.startNode(f, i);
    for (const f of ['a', 'b'] as const) {
      await waitFor(`farm ${f}: 3 voters and one master`, async () => {
        const hs = await Promise.all([1, 2, 3].map((i) => health(f, i).catch(() => null)));
        return hs.filter((h) => h?.role === 'master').length === 1 && hs.every((h) => h?.quorum && h.voters.length === 3);
      }, 60_000, 200);
    }
  }, 90_000);

  afterAll(() => l.teardown(Boolean(process.env.PBL_KEEP)));

  it('each master hears the other farm as a neighbour on the LAN, by default', async () => {
    const [ma, mb] = [await master('a'), await master('b')];
    await waitFor('A knows B and B knows A', async () => {
      const [va, vb] = [await loans('a', ma), await loans('b', mb)];
      return va.neighbours.some((n) => n.clusterId === 'farm-b' && n.up && n.trusted) && vb.neighbours.some((n) => n.clusterId === 'farm-a' && n.up && n.trusted);
    }, 20_000, 200);
  }, 30_000);

  it('farm A saturated by its checks borrows from farm B, whose workers run A\'s checks, and A\'s lag falls under the threshold', async () => {
    const ma = await master('a');
    for (let k = 0; k < CHECKS; k++) {
      const r = await api(nodeUrl('a', ma), 'POST', '/api/checks', { name: `slow-${k}`, type: 'http', target: `http://${TARGET_IP}:${TARGET_PORT}/c${k}`, intervalSec: 5, timeoutMs: 3000, retries: 0 });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const saturated = await waitFor('A saturated', async () => (await loans('a', await master('a'))).load?.saturatedSince ?? null, 60_000, 250);
    expect(saturated).toBeTruthy();
    const va = await waitFor('A borrowed workers that connected', async () => {
      const v = await loans('a', await master('a'));
      return connected(v, 'in').length >= 1 ? v : null;
    }, 60_000, 250);
    const vb = await loans('b', await master('b'));
    const inIds = new Set(connected(va, 'in').map((x) => x.id));
    expect(vb.active.filter((x) => x.direction === 'out' && inIds.has(x.id)).length).toBe(inIds.size); // one loan, one id, on both boards
    // B's workers probe A's targets
    const before = fromFarmB((await targetStats()).counts);
    await waitFor('requests from farm B at the target', async () => fromFarmB((await targetStats()).counts) > before + 5, 30_000, 250);
    // and A's worst location lag falls under loanLagMs (default 1000 ms)
    await waitFor('A relieved', async () => {
      const v = await loans('a', await master('a'));
      return v.load !== null && v.load.lagP99Ms < 1000 && v.load.saturatedSince === null;
    }, 90_000, 500);
  }, 200_000);

  it('the loans survive kill -9 of farm A\'s master: the new master keeps them and the workers reconnect', async () => {
    const ma = await master('a');
    const ids = connected(await loans('a', ma), 'in').map((x) => x.id).sort();
    expect(ids.length).toBeGreaterThan(0);
    await l.kill('a', ma);
    const na = await master('a');
    expect(na).not.toBe(ma);
    await waitFor('the same loans, connected to the new master', async () => {
      const v = await loans('a', na);
      return ids.every((id) => connected(v, 'in').some((x) => x.id === id));
    }, 30_000, 250);
    l.startNode('a', ma);
  }, 60_000);

  it('the loans survive kill -9 of farm B\'s master, and their leases are renewed by the new one', async () => {
    const mb = await master('b');
    const before = (await loans('b', mb)).active.filter((x) => x.direction === 'out');
    expect(before.length).toBeGreaterThan(0);
    await l.kill('b', mb);
    const nb = await master('b');
    await waitFor('every lease renewed past its old end', async () => {
      const v = await loans('b', nb);
      return before.every((o) => v.active.some((x) => x.id === o.id && x.until > o.until));
    }, 30_000, 250);
    l.startNode('b', mb);
    await waitFor('B whole again', async () => (await Promise.all([1, 2, 3].map((i) => health('b', i).catch(() => null)))).every((h) => h?.quorum), 30_000, 200);
  }, 60_000);

  it('kill -9 of a lent worker: A detaches it, its loan ends lost, and no check is left without locations', async () => {
    const ma = await master('a');
    const lent = await waitFor('a connected borrowed worker', async () => connected(await loans('a', ma), 'in')[0], 20_000, 250);
    const wi = [1, 2, 3].find((i) => lent.workerName === `b${i}`)!;
    expect(wi).toBeDefined();
    await l.kill('b', wi);
    await waitFor('the loan ended lost on A', async () => (await loans('a', await master('a'))).recent.some((x) => x.id === lent.id && x.endReason === 'lost'), 30_000, 250);
    const checks = (await api<{ checks: Array<{ verdict: string }> }>(nodeUrl('a', await master('a')), 'GET', '/api/checks')).body.checks;
    await waitFor('every check still has a verdict', async () => {
      const cs = (await api<{ checks: Array<{ verdict: string }> }>(nodeUrl('a', await master('a')), 'GET', '/api/checks')).body.checks;
      return cs.length === CHECKS && cs.every((c) => c.verdict === 'UP');
    }, 30_000, 500);
    expect(checks.length).toBe(CHECKS);
    l.startNode('b', wi);
  }, 60_000);

  it('when A\'s load drops the workers go home: loan-end "returned" on both boards, and B\'s nodes stop probing A\'s targets', async () => {
    const ma = await master('a');
    const cs = (await api<{ checks: Array<{ id: number }> }>(nodeUrl('a', ma), 'GET', '/api/checks')).body.checks;
    for (const c of cs.slice(4)) expect((await api(nodeUrl('a', ma), 'DELETE', `/api/checks/${c.id}`)).status).toBe(200);
    await waitFor('no active loans on either side', async () => {
      const [va, vb] = [await loans('a', await master('a')), await loans('b', await master('b'))];
      return va.active.length === 0 && vb.active.length === 0 && va.recent.some((x) => x.endReason === 'returned') && vb.recent.some((x) => x.endReason === 'returned');
    }, 90_000, 500);
    // a whole round of A's remaining checks later (A's own nodes probed again), B's nodes probed nothing more
    const at = (await targetStats()).counts;
    const fromA = (c: Record<string, number>) => [1, 2, 3].reduce((n, i) => n + (c[nodeIp('a', i)] ?? 0), 0);
    await waitFor('a round of A\'s checks', async () => fromA((await targetStats()).counts) >= fromA(at) + 3 * 4, 20_000, 250);
    expect(fromFarmB((await targetStats()).counts)).toBe(fromFarmB(at));
    const history = (await api<{ entries?: Array<{ text?: string }> } | Array<{ text?: string }>>(nodeUrl('a', await master('a')), 'GET', '/api/history?limit=500')).body;
    expect(JSON.stringify(history)).toMatch(/borrowed/);
  }, 120_000);
});
