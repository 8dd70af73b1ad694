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

  it('a full voter set of laptops gives one seat to a headless node that joins, in two single-member steps, and does not flap', async () => {
    sim = new Sim(53, { maxVoters: 3 });
    for (const n of ['a', 'b', 'c']) await sim.add(n, { headless: false });
    let m = await sim.settled();
    await sim.until('three desktop voters', () => m.raft.config?.voters.length === 3 && !m.raft.configChangePending(), 20_000);
    const h = await sim.add('h', { headless: true });
    await sim.until('the headless node votes in a set of 3', () => {
      const master = sim!.masters()[0];
      return !!master && !master.raft.configChangePending() && master.raft.config?.voters.length === 3 && master.raft.config.voters.some((v) => v.nodeId === 'h');
    }, 30_000);
    m = await sim.settled();
    const voters = m.raft.config!.voters;
    expect(voters).toHaveLength(3);
    expect(voters.map((v) => v.nodeId)).toContain(m.nodeId);
    expect(h.raft.isVoter()).toBe(true);
    // every config entry changed one member: 3 voters -> 4 (the headless node added first) -> 3
    const store = m.deps.store;
    const configs = store.entries(store.firstIndex(), store.lastIndex()).flatMap((e) => (e.kind === 'config' ? [e.config.voters.map((v) => v.nodeId)] : []));
    for (let i = 1; i < configs.length; i++) {
      const [prev, next] = [new Set(configs[i - 1]), new Set(configs[i])];
      const changed = [...prev].filter((x) => !next.has(x)).length + [...next].filter((x) => !prev.has(x)).length;
      expect(changed, `config ${i}: ${[...prev].join()} -> ${[...next].join()}`).toBeLessThanOrEqual(1);
    }
    expect(configs.at(-2)).toHaveLength(4);
    expect(configs.at(-2)).toContain('h');
    // stable afterwards: 30 simulated seconds bring no further voter change, and writes go through
    const before = configs.length;
    await sim.clock.runUntil(() => false, 30_000, 5);
    const after = store.entries(store.firstIndex(), store.lastIndex()).filter((e) => e.kind === 'config').length;
    expect(after).toBe(before);
    expect((await sim.submit(m.submit({ type: 'server-add', server: { host: 'after-swap' } }, { user: 'admin' }))).ok).toBe(true);
  });

  it('the laptop voter that is gone is the one that gives its seat up', async () => {
    sim = new Sim(59, { maxVoters: 3 });
    for (const n of ['a', 'b', 'c']) await sim.add(n, { headless: false });
    const m = await sim.settled();
    await sim.until('three desktop voters', () => m.raft.config?.voters.length === 3 && !m.raft.configChangePending(), 20_000);
    const gone = sim.running().find((n) => n !== m)!.nodeId;
    const stays = sim.running().find((n) => n !== m && n.nodeId !== gone)!.nodeId;
    sim.crash(gone);
    await sim.add('h', { headless: true });
    await sim.until('h votes instead of the gone laptop', () => {
      const master = sim!.masters()[0];
      const ids = master?.raft.config?.voters.map((v) => v.nodeId) ?? [];
      return !master?.raft.configChangePending() && ids.length === 3 && ids.includes('h') && !ids.includes(gone);
    }, 30_000);
    const ids = (await sim.settled()).raft.config!.voters.map((v) => v.nodeId).sort();
    expect(ids).toEqual([m.nodeId, stays, 'h'].sort());
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
