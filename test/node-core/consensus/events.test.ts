// The 'cluster' events the UIs live on, under the fake clock: whatever a failover looks like, the
// last event each node sent must end up agreeing with its status (leader, quorum, staleness).
// Before the fix a follower that learnt the new master from a hint reported it stale, and nothing
// corrected it until an unrelated change: pages stayed on "No master" with a read-only banner.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerEvent } from '../../../node-core/src/api/peer-api.js';
import type { PeerNode } from '../../../node-core/src/node.js';
import { Sim } from './sim.js';

type ClusterEvent = Extract<PeerEvent, { type: 'cluster' }>;
const summary = (e: { leader: { nodeId: string } | null; quorum: boolean; stale: boolean }) => ({ leader: e.leader?.nodeId ?? null, quorum: e.quorum, stale: e.stale });

function record(nodes: PeerNode[]): Map<string, ClusterEvent> {
  const last = new Map<string, ClusterEvent>();
  for (const n of nodes) n.events.on('event', (e: PeerEvent) => e.type === 'cluster' && last.set(n.nodeId, e));
  return last;
}

describe('cluster events follow the status', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    if (sim) expect(sim.electionSafetyViolations()).toEqual([]);
    await sim?.stopAll();
    sim = undefined;
  });

  // several schedules: which survivor wins, and whether the other learns it by vote, hint or heartbeat
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('after the master crashes (seed %i), every survivor ends on the new master, live', async (seed) => {
    // at most 3 voters: the fourth node is a non-voting replica, which never stands for election
    sim = new Sim(seed, { maxVoters: 3 });
    for (const n of ['a', 'b', 'c', 'd']) await sim.add(n);
    const m = await sim.settled();
    await sim.until('three voters', () => m.raft.config?.voters.length === 3 && !m.raft.configChangePending());
    const last = record(sim.running());
    sim.crash(m.nodeId);
    const m2 = await sim.settled();
    // one heartbeat later every node has said so, with no board change to carry it
    await sim.clock.runUntil(() => false, 150, 5);
    for (const n of sim.running()) {
      expect(summary(n.status()), `${n.nodeId}'s status`).toEqual({ leader: m2.nodeId, quorum: true, stale: false });
      const e = last.get(n.nodeId);
      expect(e && summary(e), `${n.nodeId}'s last cluster event`).toEqual({ leader: m2.nodeId, quorum: true, stale: false });
    }
  });

  it('a partitioned follower reports no master by time alone, then the master again after healing', async () => {
    sim = new Sim(11);
    for (const n of ['a', 'b', 'c']) await sim.add(n);
    const m = await sim.settled();
    await sim.until('three voters', () => m.raft.config?.voters.length === 3 && !m.raft.configChangePending());
    const f = sim.running().find((n) => n !== m)!;
    const last = record([f]);
    sim.partition([f.nodeId], sim.running().filter((n) => n !== f).map((n) => n.nodeId));
    await sim.until('the cut-off follower says it has no live master', () => last.get(f.nodeId)?.stale === true);
    expect(f.status().stale).toBe(true);
    sim.heal();
    const m2 = await sim.settled(20_000);
    await sim.until('its event names the master live again', () => {
      const e = last.get(f.nodeId);
      return !!e && !e.stale && e.quorum && e.leader?.nodeId === m2.nodeId;
    });
  });

  it('the cluster view marks crashed nodes unreachable and keeps when they were last heard', async () => {
    sim = new Sim(21);
    for (const n of ['a', 'b', 'c', 'd', 'e']) await sim.add(n);
    const m = await sim.settled();
    await sim.until('five voters', () => m.raft.config?.voters.length === 5 && !m.raft.configChangePending(), 20_000);
    const entry = (n: PeerNode, id: string) => n.clusterView().find((e) => e.nodeId === id)!;
    for (const n of sim.running()) for (const o of sim.running()) expect(entry(n, o.nodeId).reachable, `${n.nodeId} sees ${o.nodeId}`).toBe(true);

    // a slave crashes: the master stops hearing its FetchState
    const slave = sim.running().find((n) => n !== m)!;
    sim.crash(slave.nodeId);
    const crashedAt = sim.clock.now();
    await sim.until('the master marks the slave unreachable', () => entry(m, slave.nodeId).reachable === false);
    expect(entry(m, slave.nodeId).lastHeartbeat).toBeGreaterThan(crashedAt - 1000);
    expect(entry(m, slave.nodeId).lastHeartbeat).toBeLessThanOrEqual(crashedAt);

    // the master crashes: the new master never got a FetchState from it, but heard its heartbeats
    sim.crash(m.nodeId);
    const masterCrashedAt = sim.clock.now();
    const m2 = await sim.settled();
    await sim.clock.runUntil(() => false, 150, 5);
    for (const n of sim.running()) {
      const old = entry(n, m.nodeId);
      expect(old.reachable, `${n.nodeId} sees the old master`).toBe(false);
      expect(old.lastHeartbeat, `${n.nodeId}: when the old master was last heard`).toBeGreaterThan(masterCrashedAt - 1000);
      expect(entry(n, m2.nodeId).reachable).toBe(true);
    }
  });
});
