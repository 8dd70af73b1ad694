// Sleep and wake on the in-memory network: after a system suspend (the fake clock's wall time jumps,
// its monotonic time and timers do not), a node shows its board as old until it has heard from its
// master and applied what it missed, says how long it slept and how old its data was, and nobody
// starts an election.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../../node-core/src/node.js';
import { Sim } from './sim.js';

const reserve = (n: PeerNode, host: string, user: string) => n.submit({ type: 'reserve', host, user, until: Math.floor(n.raft.clock.now() / 1000) + 3600 }, { user });

describe('sleep and wake', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    if (sim) expect(sim.electionSafetyViolations()).toEqual([]);
    await sim?.stopAll();
    sim = undefined;
  });

  it('a suspended follower is stale until caught up, reports the sleep, and no election follows', async () => {
    sim = new Sim(5);
    for (const n of ['a', 'b', 'c']) await sim.add(n);
    let master = await sim.settled();
    await sim.until('three voters', () => master.raft.config?.voters.length === 3 && !master.raft.configChangePending());
    master = await sim.settled();
    expect((await sim.submit(master.submit({ type: 'server-add', server: { host: 's1' } }, { user: 'admin' }))).ok).toBe(true);
    const follower = sim.running().find((n) => n !== master)!;
    const term = master.raft.term;
    expect(follower.status().asleep).toBeNull();

    const before = sim.clock.now();
    sim.clock.suspend(90_000); // the lid closes for 90 s: every node of this simulation sleeps
    await sim.until('the follower notices the pause', () => follower.status().asleep != null, 2_000);
    const first = follower.status();
    expect(first.stale).toBe(true);
    expect(first.asleep).toMatchObject({ kind: 'suspended', caughtUpAt: null });
    expect(first.asleep!.sleptMs).toBeGreaterThanOrEqual(90_000);
    // its board dates from its last answer before the lid closed, not from now (the detector ticks once a
    // second, so where in that second the lid closed is not known)
    expect(first.asleep!.dataAsOf).toBeGreaterThan(before - 1_000);
    expect(first.asleep!.dataAsOf).toBeLessThan(before + 1_000);
    expect(first.asleep!.wokeAt - first.asleep!.dataAsOf!).toBeGreaterThanOrEqual(89_000);

    await sim.until('the follower catches up', () => follower.status().asleep?.caughtUpAt != null && !follower.status().stale, 2_000);
    expect(follower.status().stale).toBe(false);
    expect((await sim.submit(reserve(master, 's1', 'alice'))).ok).toBe(true);
    await sim.until('replicated after the wake', () => follower.server('s1')?.holder === 'alice');
    expect(sim.masters()).toEqual([master]);
    expect(master.raft.term).toBe(term); // no election
    // the report stays a while for a user who looks later, then goes
    await sim.clock.advance(125_000);
    expect(follower.status().asleep).toBeNull();
  });
});
