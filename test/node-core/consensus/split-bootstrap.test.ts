// The merge rule for split bootstraps: groups that could not hear each other while starting each
// found a cluster; when they meet, a young one (no board data) dissolves into the other.
import { afterEach, describe, expect, it } from 'vitest';
import { Sim } from './sim.js';

describe('split bootstrap', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    if (sim) expect(sim.electionSafetyViolations()).toEqual([]);
    await sim?.stopAll();
    sim = undefined;
  });

  async function twoClusters(seed: number): Promise<Sim> {
    const s = new Sim(seed);
    s.net.partition(['10.0.0.1', '10.0.0.3'], ['10.0.0.5', '10.0.0.7']);
    // node ips are assigned in order of add: a=10.0.0.1, b=10.0.0.3, c=10.0.0.5, d=10.0.0.7
    for (const n of ['a', 'b', 'c', 'd']) await s.add(n);
    await s.until('two masters', () => s.masters().length === 2 && s.masters().every((m) => m.raft.config?.voters.length === 1 && m.raft.hasQuorum()));
    expect(new Set(s.running().map((n) => n.raft.config?.incarnation)).size).toBe(2);
    return s;
  }

  it('two young clusters merge into the one with the smaller incarnation id when they meet', async () => {
    sim = await twoClusters(51);
    const target = [...sim.masters()].sort((x, y) => x.raft.config!.incarnation.localeCompare(y.raft.config!.incarnation))[0]!;
    const incarnation = target.raft.config!.incarnation;
    sim.heal();
    await sim.until('one cluster', () => sim!.running().every((n) => n.raft.config?.incarnation === incarnation && n.raft.leaderId === target.nodeId), 20_000);
    expect(sim.masters()).toEqual([target]);
    expect((await sim.submit(target.submit({ type: 'server-add', server: { host: 'after-merge' } }, { user: 'admin' }))).ok).toBe(true);
    await sim.until('replicated everywhere', () => sim!.running().every((n) => n.server('after-merge')));
  });

  it('a young cluster gives way to one holding data, and no data is lost', async () => {
    sim = await twoClusters(53);
    const [m1, m2] = sim.masters() as [ReturnType<Sim['node']>, ReturnType<Sim['node']>];
    // the cluster with the larger incarnation id gets data, so the smaller (young) one must give way
    const withData = m1.raft.config!.incarnation > m2.raft.config!.incarnation ? m1 : m2;
    expect((await sim.submit(withData.submit({ type: 'server-add', server: { host: 'precious' } }, { user: 'admin' }))).ok).toBe(true);
    sim.heal();
    const inc = withData.raft.config!.incarnation;
    await sim.until('one cluster', () => sim!.running().every((n) => n.raft.config?.incarnation === inc), 20_000);
    await sim.until('data everywhere', () => sim!.running().every((n) => n.server('precious')));
  });

  it('two clusters that both hold data stay apart and report each other', async () => {
    sim = await twoClusters(57);
    for (const [i, m] of sim.masters().entries()) expect((await sim.submit(m.submit({ type: 'server-add', server: { host: `own-${i}` } }, { user: 'admin' }))).ok).toBe(true);
    sim.heal();
    await sim.until('each sees the other incarnation', () => sim!.masters().every((m) => m.health().foreignIncarnations.length === 1), 10_000);
    expect(new Set(sim.running().map((n) => n.raft.config?.incarnation)).size).toBe(2);
    expect(sim.masters()).toHaveLength(2);
  });
});
