// The cluster events a UI lives on: after a master crash, every survivor's last 'cluster' event
// must name the new master as live (not stale, with a quorum), without any further board change.
// A stale flag frozen at "no master" left the pages' header on "No master" after a failover.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import { TestCluster, waitFor } from './cluster-helpers.js';

type ClusterEvent = Extract<PeerEvent, { type: 'cluster' }>;

describe('cluster events across a failover', () => {
  let c: TestCluster;
  afterEach(async () => c?.close());

  it("each survivor's last cluster event shows the new master live, matching its status", async () => {
    c = await TestCluster.create();
    await Promise.all(['e1', 'e2', 'e3'].map((n) => c.add(n)));
    await c.settled();
    const m = await c.voters(3);
    const last = new Map<string, ClusterEvent>();
    for (const t of c.nodes) t.node.events.on('event', (e: PeerEvent) => e.type === 'cluster' && last.set(t.name, e));

    await c.crash(m.name);
    const m2 = await c.settled();
    for (const t of c.nodes) {
      // no write happens after the crash: only cluster events can carry the news
      const e = await waitFor(`${t.name}'s event names ${m2.name} live`, () => {
        const ev = last.get(t.name);
        return ev && ev.leader?.nodeId === m2.name && !ev.stale && ev.quorum ? ev : undefined;
      }, 5000);
      expect(e.leader?.nodeId).toBe(m2.name);
      const s = t.node.status();
      expect({ stale: s.stale, quorum: s.quorum, leader: s.leader?.nodeId }).toEqual({ stale: false, quorum: true, leader: m2.name });
    }
  });

  it('a master that loses its quorum by time alone emits quorum=false', async () => {
    c = await TestCluster.create();
    await Promise.all(['q1', 'q2', 'q3'].map((n) => c.add(n)));
    await c.settled();
    const m = await c.voters(3);
    let lastEv: ClusterEvent | undefined;
    m.node.events.on('event', (e: PeerEvent) => {
      if (e.type === 'cluster') lastEv = e;
    });
    // both followers freeze (no socket closes, no goodbye): only the lease running out tells
    for (const t of c.nodes.filter((n) => n !== m)) t.node.halt();
    await waitFor('the master emits quorum=false', () => lastEv && !lastEv.quorum, 5000);
    expect(m.node.status().quorum).toBe(false);
  });
});
