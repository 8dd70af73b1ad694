// Election and commit rules on the in-memory network under a fake clock: bootstrap, majority
// commit, stepping down without quorum, the election restriction, pre-vote, faults.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../../node-core/src/node.js';
import { Sim } from './sim.js';

const reserve = (n: PeerNode, host: string, user: string, reqId?: string) =>
  n.submit({ type: 'reserve', host, user, until: Math.floor(n.raft.clock.now() / 1000) + 3600 }, { user, ...(reqId ? { reqId } : {}) });
const addServer = (n: PeerNode, host: string) => n.submit({ type: 'server-add', server: { host } }, { user: 'admin' });

async function threeVoters(seed = 1): Promise<{ sim: Sim; master: PeerNode }> {
  const sim = new Sim(seed);
  for (const n of ['a', 'b', 'c']) await sim.add(n);
  const master = await sim.settled();
  await sim.until('three voters', () => master.raft.config?.voters.length === 3 && !master.raft.configChangePending());
  return { sim, master: await sim.settled() };
}

describe('consensus on the in-memory network', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    if (sim) expect(sim.electionSafetyViolations()).toEqual([]);
    await sim?.stopAll();
    sim = undefined;
  });

  it('fresh nodes started at the same instant form exactly one cluster (bootstrap rule)', async () => {
    ({ sim } = await threeVoters(7));
    const incarnations = new Set(sim.running().map((n) => n.raft.config?.incarnation));
    expect(incarnations.size).toBe(1);
    expect(sim.masters()).toHaveLength(1);
    // the founder is the smallest node id among the fresh nodes that heard each other
    expect(sim.mastersByTerm.get(`${sim.masters()[0]!.raft.config!.incarnation}:1`)).toEqual(new Set(['a']));
  });

  it('commits a write on every replica only after a majority stored it', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters());
    expect((await sim.submit(addServer(master, 's1'))).ok).toBe(true);
    const r = await sim.submit(reserve(master, 's1', 'alice'));
    expect(r.ok).toBe(true);
    await sim.until('replicated', () => sim!.running().every((n) => n.server('s1')?.holder === 'alice'));
  });

  it('an isolated master refuses writes, steps down, and its unacknowledged write is never applied', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(3));
    await sim.submit(addServer(master, 's1'));
    const others = sim.running().filter((n) => n !== master).map((n) => n.nodeId);
    const oldTerm = master.raft.term;
    sim.partition([master.nodeId], others);
    const lost = await sim.submit(reserve(master, 's1', 'mallory'), 20_000);
    expect(lost.ok).toBe(false);
    await sim.until('old master steps down', () => master.raft.role !== 'master');
    const majority = sim.running().filter((n) => n !== master);
    await sim.until('majority elects a new master', () => majority.some((n) => n.raft.role === 'master' && n.raft.hasQuorum()));
    const newMaster = majority.find((n) => n.raft.role === 'master')!;
    expect(newMaster.raft.term).toBeGreaterThan(oldTerm);
    expect((await sim.submit(reserve(newMaster, 's1', 'bob'))).ok).toBe(true);
    sim.heal();
    await sim.until('old master follows the new one', () => master.raft.leaderId === newMaster.nodeId && master.server('s1')?.holder === 'bob');
    for (const n of sim.running()) {
      expect(n.server('s1')?.holder).toBe('bob');
      expect(n.history({ user: 'mallory' }).total).toBe(0);
    }
  });

  it('a minority never commits and a majority keeps working (majority vs minority partition)', async () => {
    ({ sim } = await threeVoters(5));
    const nodes = sim.running();
    const [x, y, z] = nodes as [PeerNode, PeerNode, PeerNode];
    await sim.submit(addServer(x, 's1'));
    await sim.submit(addServer(x, 's2'));
    sim.partition([x.nodeId, y.nodeId], [z.nodeId]);
    const minority = await sim.submit(reserve(z, 's2', 'zed'), 20_000);
    expect(minority.ok).toBe(false);
    const maj = await sim.submit(reserve(x, 's1', 'xena'), 20_000);
    expect(maj.ok).toBe(true);
    expect(z.view().stale || z.raft.role !== 'master').toBe(true);
    sim.heal();
    await sim.until('converged', () => nodes.every((n) => n.raft.commitIndex === x.raft.commitIndex && n.server('s1')?.holder === 'xena'));
    expect(nodes.every((n) => n.server('s2')?.holder === null)).toBe(true);
  });

  it('a lagging voter cannot become master (election restriction) and no acknowledged write is lost', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(11));
    const [s1, s2] = sim.running().filter((n) => n !== master) as [PeerNode, PeerNode];
    await sim.submit(addServer(master, 'h'));
    sim.partition([master.nodeId, s1.nodeId], [s2.nodeId]);
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      await sim.submit(addServer(master, `x${i}`));
      acked.push(`x${i}`);
    }
    // the master dies; the lagging node comes back: only s1 (complete log) may win
    sim.crash(master.nodeId);
    sim.heal();
    await sim.until('a new master', () => sim!.masters().length === 1 && sim!.masters()[0]!.raft.hasQuorum(), 20_000);
    expect(sim.masters()[0]!.nodeId).toBe(s1.nodeId);
    await sim.until('s2 catches up', () => acked.every((h) => s2.server(h)));
  });

  it('pre-vote: a node cut off for a while does not bump the term or disrupt the master when it returns', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(13));
    const victim = sim.running().find((n) => n !== master)!;
    const term = master.raft.term;
    sim.partition([victim.nodeId], sim.running().filter((n) => n !== victim).map((n) => n.nodeId));
    await sim.clock.advance(3000);
    expect(victim.raft.term).toBe(term);
    sim.heal();
    await sim.until('victim follows again', () => victim.raft.leaderId === master.nodeId && victim.raft.lastLeaderContact > 0);
    expect(master.raft.role).toBe('master');
    expect(master.raft.term).toBe(term);
  });

  it('kill -9 of the master: a new master within the election timeout scale, acknowledged writes kept, restart catches up from its disk', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(17));
    await sim.submit(addServer(master, 's1'));
    expect((await sim.submit(reserve(master, 's1', 'alice'))).ok).toBe(true);
    const dead = master.nodeId;
    const t0 = sim.clock.now();
    sim.crash(dead);
    await sim.until('failover', () => sim!.masters().length === 1 && sim!.masters()[0]!.raft.hasQuorum());
    const elapsed = sim.clock.now() - t0;
    expect(elapsed).toBeLessThan(1000);
    const m2 = sim.masters()[0]!;
    expect(m2.server('s1')?.holder).toBe('alice');
    await sim.submit(addServer(m2, 's2'));
    const back = await sim.restart(dead);
    expect(back.server('s1')?.holder).toBe('alice');
    await sim.until('restarted node catches up', () => back.server('s2') !== undefined && back.raft.leaderId === m2.nodeId);
  });

  it('keeps committing under 20% message loss and random delay, and replicas converge', async () => {
    ({ sim } = await threeVoters(19));
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    sim.net.setDrop(() => rnd() < 0.2);
    sim.net.setDelay(() => Math.floor(rnd() * 20));
    let ok = 0;
    for (let i = 0; i < 20; i++) {
      // outcome unknown (timeout, no master yet): retry with the same idempotency key, bounded
      for (let attempt = 0; attempt < 10; attempt++) {
        await sim.until('a master', () => sim!.masters().length === 1, 30_000);
        const r = await sim.submit(sim.masters()[0]!.submit({ type: 'server-add', server: { host: `h${i}` } }, { user: 'admin', reqId: `add-${i}` }), 30_000);
        if (r.ok) {
          ok++;
          break;
        }
      }
    }
    expect(ok).toBe(20);
    sim.net.setDrop(undefined);
    sim.net.setDelay(0);
    await sim.until('converged', () => {
      const ms = sim!.masters();
      return ms.length === 1 && sim!.running().every((n) => n.raft.appliedIndex === ms[0]!.raft.commitIndex && n.view().serversData.serversList.length === 20);
    }, 30_000);
  });

  it('leadership transfer (promote) hands over without losing committed writes', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(23));
    await sim.submit(addServer(master, 's1'));
    const target = sim.running().find((n) => n !== master)!;
    const r = await sim.submit(master.promote({ nodeId: target.nodeId }));
    expect(r.ok).toBe(true);
    expect(target.raft.role).toBe('master');
    expect(master.raft.role).toBe('slave');
    expect(target.server('s1')).toBeDefined();
    // a slave can ask for a promotion too: it is forwarded to the master
    const third = sim.running().find((n) => n !== master && n !== target)!;
    const r2 = await sim.submit(master.promote({ nodeId: third.nodeId }));
    expect(r2.ok).toBe(true);
    await sim.until('third leads', () => third.raft.role === 'master' && sim!.running().every((n) => n.raft.leaderId === third.nodeId));
  });

  it('a fourth and fifth node join; voters grow 3 -> 5; a sixth stays a non-voting replica', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(29));
    await sim.submit(addServer(master, 's1'));
    await sim.add('d');
    await sim.add('e');
    await sim.until('five voters', () => master.raft.config?.voters.length === 5 && !master.raft.configChangePending(), 20_000);
    const f = await sim.add('f');
    await sim.until('sixth node replicates', () => f.server('s1') !== undefined);
    await sim.clock.advance(2000);
    expect(master.raft.config?.voters.length).toBe(5);
    expect(f.raft.role).toBe('observer');
    expect(f.view().self.voter).toBe(false);
  });

  it('an idempotency key applies once even when retried on another node', async () => {
    let master: PeerNode;
    ({ sim, master } = await threeVoters(31));
    await sim.submit(addServer(master, 's1'));
    const slave = sim.running().find((n) => n !== master)!;
    const a = await sim.submit(reserve(master, 's1', 'alice', 'key-1'));
    const b = await sim.submit(reserve(slave, 's1', 'alice', 'key-1'));
    expect(a.ok && b.ok).toBe(true);
    expect(master.history({ user: 'alice', operation: 'reserve' }).total).toBe(1);
  });
});

describe('a hung master (silent, no connection reset)', () => {
  // The defaults' proportions at a tenth of their size (election timeout 1000, long poll 300, request
  // timeout 2000). A voter's last answer from the master is at most one long-poll cycle old when the
  // master freezes; the first survivor campaigns at most T + 3 steps (T/8 each: its rank, and jitter over
  // two) later, and the other grants because it stays quiet for T - (fetch + 100). A follower whose fetch
  // still waits on the frozen master drops that wait when it votes, so the new master's first entry
  // commits at once. Before: Raft's [T, 2T] timer, grants only after a full T, and a fetch that waited out
  // its own timeout (4 x long poll + request timeout).
  const T = 100;
  const timing = { electionTimeoutMs: T, fetchMaxWaitMs: 30, requestTimeoutMs: 200, heartbeatIntervalMs: 200 };
  const bound = T + 3 * (T / 8) + 30 + 20; // timeout, ladder, one fetch cycle, vote round trips

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('is replaced within one election timeout plus the ladder (seed %i)', async (seed) => {
    const sim = new Sim(seed);
    try {
      for (const n of ['a', 'b', 'c']) await sim.add(n, timing);
      let master = await sim.settled();
      await sim.until('three voters', () => master.raft.config?.voters.length === 3 && !master.raft.configChangePending());
      master = await sim.settled();
      const survivors = sim.running().filter((n) => n !== master);
      const t0 = sim.clock.now();
      sim.partition([master.nodeId], survivors.map((n) => n.nodeId)); // packets dropped, nothing closed
      await sim.until('a survivor becomes a ready master', () => survivors.some((n) => n.raft.role === 'master' && n.raft.masterReady()), 5_000);
      const took = sim.clock.now() - t0;
      expect(took, `new master after ${took} simulated ms`).toBeLessThanOrEqual(bound);
      expect(sim.electionSafetyViolations()).toEqual([]);
    } finally {
      await sim.stopAll();
    }
  });
});
