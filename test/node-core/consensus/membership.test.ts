// Voter set management and log compaction on the in-memory network: removing a voter, the explicit
// admin take-over when a majority is gone for good, and a new node catching up from a snapshot.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../../node-core/src/node.js';
import { Sim } from './sim.js';

async function cluster(sim: Sim, names: string[]): Promise<PeerNode> {
  for (const n of names) await sim.add(n);
  const m = await sim.settled();
  await sim.until('all voters', () => m.raft.config?.voters.length === names.length && !m.raft.configChangePending(), 20_000);
  return sim.settled();
}

describe('membership and compaction', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    if (sim) expect(sim.electionSafetyViolations()).toEqual([]);
    await sim?.stopAll();
    sim = undefined;
  });

  it('an admin removes a voter that is gone for good; the rest keep a quorum of the new set', async () => {
    sim = new Sim(41);
    const m = await cluster(sim, ['a', 'b', 'c']);
    const gone = sim.running().find((n) => n !== m)!.nodeId;
    sim.crash(gone);
    const r = await sim.submit(m.removeVoter(gone, 'admin'));
    expect(r.ok).toBe(true);
    expect(m.raft.config?.voters.map((v) => v.nodeId)).not.toContain(gone);
    expect(m.raft.config?.voters).toHaveLength(2);
    expect((await sim.submit(m.submit({ type: 'server-add', server: { host: 's' } }, { user: 'admin' }))).ok).toBe(true);
    // removing the master itself is refused with advice
    const self = await sim.submit(m.removeVoter(m.nodeId, 'admin'));
    expect(self.ok).toBe(false);
  });

  it('force-shrink: with two of three voters gone for good, an admin makes the survivor the only voter and writes resume', async () => {
    sim = new Sim(43);
    const m = await cluster(sim, ['a', 'b', 'c']);
    await sim.submit(m.submit({ type: 'server-add', server: { host: 'kept' } }, { user: 'admin' }));
    const survivor = sim.running().find((n) => n !== m)!;
    await sim.until('survivor has the server', () => survivor.server('kept') !== undefined);
    for (const n of sim.running().filter((x) => x !== survivor)) sim.crash(n.nodeId);
    await sim.until('no quorum', () => !survivor.raft.hasQuorum());
    const refused = await sim.submit(survivor.submit({ type: 'server-add', server: { host: 'x' } }, { user: 'admin' }), 20_000);
    expect(refused.ok).toBe(false);
    expect((refused as { error: { code?: string } }).error.code).toBe('NO_QUORUM');
    await survivor.forceShrink([survivor.nodeId], 'admin:test');
    await sim.until('survivor leads alone', () => survivor.raft.role === 'master' && survivor.raft.masterReady());
    expect((await sim.submit(survivor.submit({ type: 'server-add', server: { host: 'after' } }, { user: 'admin' }))).ok).toBe(true);
    expect(survivor.server('kept')).toBeDefined();
    // audited in the log: the config entry says who did it and why
    const entries = survivor.deps.store.entries(survivor.deps.store.firstIndex(), survivor.deps.store.lastIndex());
    const forced = entries.find((e) => e.kind === 'config' && e.reason.startsWith('force-shrink'));
    expect(forced && forced.kind === 'config' && forced.by).toBe('admin:test');
  });

  it('a node that joins after compaction installs a snapshot and ends with the same board', async () => {
    sim = new Sim(47, { snapshotEvery: 10 });
    const m = await cluster(sim, ['a', 'b', 'c']);
    for (let i = 0; i < 40; i++) await sim.submit(m.submit({ type: 'server-add', server: { host: `h${i}` } }, { user: 'admin' }));
    await sim.until('compacted', () => m.deps.store.firstIndex() > 1 || m.raft.snapshotIndex > 0);
    const late = await sim.add('late');
    await sim.until('late node has the whole board', () => late.view().serversData.serversList.length === 40, 20_000);
    expect(late.raft.snapshotIndex).toBeGreaterThan(0);
    expect(late.view().serversData.serversList.map((s) => s.host).sort()).toEqual(m.view().serversData.serversList.map((s) => s.host).sort());
  });
});
