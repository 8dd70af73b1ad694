// Neighbour hints for worker loans (issue 13) with real sockets on loopback: two farms (clusters)
// sharing a discovery port each hear the other's master, with its loan port, whether their keys are
// the same or differ; a flood of forged heartbeats yields at most 20 hints a second and no crash.
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { ForeignHeartbeat } from '../../node-core/src/loans/types.js';
import { TestCluster, type TestNode, api, waitFor } from './cluster-helpers.js';

function listen(n: TestNode): ForeignHeartbeat[] {
  const hints: ForeignHeartbeat[] = [];
  n.node.discovery.onForeignHeartbeat = (h) => hints.push(h);
  return hints;
}

describe('other farms heard on the LAN', () => {
  const clusters: TestCluster[] = [];
  afterEach(async () => {
    await Promise.all(clusters.splice(0).map((c) => c.close()));
  });

  it.each([
    ['the same cluster key', 'pb-shared-key-0123456789abc', 'pb-shared-key-0123456789abc'],
    ['different cluster keys', 'pb-key-of-farm-a-0123456789', 'pb-key-of-farm-b-0123456789'],
  ])('with %s, each master hears the other farm master as a hint with its loan port', async (_what, keyA, keyB) => {
    const a = await TestCluster.create({ clusterId: 'farm-a', clusterKey: keyA, loanPort: 18781 });
    const b = new TestCluster(a.discoveryPort, { clusterId: 'farm-b', clusterKey: keyB, loanPort: 18782 });
    clusters.push(a, b);
    await Promise.all([a.add('a1'), b.add('b1'), b.add('b2', { lendable: false })]);
    const ma = await a.settled();
    const mb = await b.settled();
    const hintsA = listen(ma);
    const hintsB = listen(mb);
    const heardB = await waitFor('a1 hears farm-b', () => hintsA.find((h) => h.clusterId === 'farm-b'));
    expect(heardB).toEqual({ clusterId: 'farm-b', nodeId: mb.name, master: true, address: '127.0.0.1', loanPort: 18782 });
    const heardA = await waitFor('farm-b master hears farm-a', () => hintsB.find((h) => h.clusterId === 'farm-a'));
    expect(heardA).toEqual({ clusterId: 'farm-a', nodeId: 'a1', master: true, address: '127.0.0.1', loanPort: 18781 });
    // a hint never names our own cluster, and the farms stay apart
    expect(hintsA.every((h) => h.clusterId !== 'farm-a')).toBe(true);
    expect(ma.node.view().clusterView.map((e) => e.nodeId)).toEqual(['a1']);
    // the master knows which of its nodes may be lent (headless by default; b2 said no)
    await waitFor('b-master sees both lendable flags', () => {
      const v = mb.node.view().clusterView;
      return v.find((e) => e.nodeId === 'b1')?.lendable === true && v.find((e) => e.nodeId === 'b2')?.lendable === false;
    });
  });

  it('a heartbeat without loans advertises no loan port', async () => {
    const a = await TestCluster.create({ clusterId: 'farm-a' });
    const b = new TestCluster(a.discoveryPort, { clusterId: 'farm-b', loans: false });
    clusters.push(a, b);
    await Promise.all([a.add('a1'), b.add('b1')]);
    const ma = await a.settled();
    await b.settled();
    const hints = listen(ma);
    expect(await waitFor('farm-b heard', () => hints.find((h) => h.clusterId === 'farm-b'))).toMatchObject({ nodeId: 'b1', loanPort: null });
  });

  it('a flood of forged heartbeats yields at most 20 hints a second, counts the rest and crashes nothing', async () => {
    const a = await TestCluster.create({ clusterId: 'farm-a' });
    clusters.push(a);
    const ma = await a.add('a1');
    await a.settled();
    const hints: Array<{ h: ForeignHeartbeat; at: number }> = [];
    ma.node.discovery.onForeignHeartbeat = (h) => hints.push({ h, at: performance.now() });
    const forged = (i: number): Buffer => {
      const kind = i % 4;
      if (kind === 0) return Buffer.from(JSON.stringify({ v: 1, type: 'Heartbeat', clusterId: 'evil', nodeId: `x${i}`, term: 1, ts: 0, master: { nodeId: `x${i}` }, loanPort: 9 }));
      if (kind === 1) return Buffer.from(`{"type":"Heartbeat","clusterId":"evil","nodeId":"${'n'.repeat(5000)}"}`);
      if (kind === 2) return Buffer.from(`{"type":"Heartbeat","clusterId":123,"nodeId":"y","loanPort":"8781"} not json`);
      return Buffer.from(JSON.stringify({ type: 'Heartbeat', clusterId: 'evil', nodeId: `z${i}`, master: 'yes', loanPort: 70000 }));
    };
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    s.setBroadcast(true);
    const started = performance.now();
    let sent = 0;
    // bounded: 1,500 datagrams over about 1.5 s
    for (let batch = 0; batch < 30 && performance.now() - started < 5000; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, () => new Promise<void>((r) => s.send(forged(sent++), a.discoveryPort, '127.255.255.255', () => r()))),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    s.close();
    const elapsed = performance.now() - started;
    await waitFor('the flood is counted', () => (ma.node.health().dropped.foreign_hint_rate ?? 0) > 0);
    const windows = Math.ceil(elapsed / 1000) + 1;
    expect(hints.length).toBeGreaterThan(0);
    expect(hints.length).toBeLessThanOrEqual(20 * windows);
    // within any one second, at most two budget windows overlap
    for (const x of hints) expect(hints.filter((y) => y.at >= x.at && y.at < x.at + 1000).length).toBeLessThanOrEqual(40);
    // only well-formed hints went through, each with a bounded id and a valid port or none
    for (const { h } of hints) {
      expect(h.clusterId).toBe('evil');
      expect(h.nodeId.length).toBeLessThanOrEqual(128);
      expect(h.loanPort === null || (h.loanPort >= 1 && h.loanPort <= 65535)).toBe(true);
    }
    expect(ma.node.health().dropped.foreign_hint_bad ?? 0).toBeGreaterThan(0);
    // the node still serves
    expect(ma.node.raft.role).toBe('master');
    expect((await api(ma.api, 'GET', '/api/servers')).status).toBe(200);
  });
});
