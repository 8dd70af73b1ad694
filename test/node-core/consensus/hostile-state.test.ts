// Issue 9 on the in-memory network: a poison record never reaches the log, a disk that refuses
// writes neither crashes a node nor lets it vote or lead (and it recovers when space returns), and a
// failing snapshot is contained. An unhandled rejection anywhere fails these tests (vitest).
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerNode } from '../../../node-core/src/node.js';
import type { MemStore } from '../../../node-core/src/storage/mem-store.js';
import { Sim } from './sim.js';

function deep(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < levels; i++) v = { n: v };
  return v;
}

function diskFull(): Error {
  return Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

/** makes a store refuse every write until the returned function is called */
function fillDisk(store: MemStore): () => void {
  const saved = { append: store.append, setHardState: store.setHardState, saveSnapshot: store.saveSnapshot, truncateFrom: store.truncateFrom };
  store.append = () => {
    throw diskFull();
  };
  store.setHardState = () => {
    throw diskFull();
  };
  store.saveSnapshot = () => {
    throw diskFull();
  };
  store.truncateFrom = () => {
    throw diskFull();
  };
  return () => Object.assign(store, saved);
}

async function three(sim: Sim, extra = {}): Promise<PeerNode> {
  await Promise.all(['a', 'b', 'c'].map((n) => sim.add(n, extra)));
  const m = await sim.settled();
  await sim.until('3 voters', () => m.raft.config?.voters.length === 3 && !m.raft.configChangePending(), 20_000);
  return m;
}

describe('hostile state (issue 9)', () => {
  let sim: Sim;
  afterEach(async () => {
    await sim.stopAll();
  });

  it('a command nested 3,000 or 5,000 levels deep is refused before the log, from the master and through a follower; snapshots keep working', async () => {
    sim = new Sim(91, { snapshotEvery: 20 });
    const m = await three(sim);
    const f = sim.running().find((n) => n !== m)!;
    const before = m.deps.store.lastIndex();
    for (const [origin, levels] of [
      [m, 3000],
      [f, 5000],
    ] as const) {
      const rec = { id: `poison-${levels}`, url: 'http://x', clusterId: 'c', role: 'worker', capabilities: {}, tags: [], metadata: deep(levels) };
      const r = await sim.submit(origin.submit({ type: 'cluster-register', node: rec }, { user: 'mallory' }));
      expect(r.ok).toBe(false);
      expect((r as unknown as { error: { code: string; message: string } }).error).toMatchObject({ code: 'BAD_REQUEST' });
      expect((r as { error: Error }).error.message).toMatch(/nest at most 8 levels/);
    }
    expect(m.deps.store.lastIndex()).toBe(before);
    // enough writes for several snapshots on every node
    for (let i = 0; i < 60; i++) {
      const r = await sim.submit(m.submit({ type: 'server-add', server: { host: `s${i}` } }, { user: 'admin' }));
      expect(r.ok).toBe(true);
    }
    await sim.until('every node applied everything', () => sim.running().every((n) => n.raft.appliedIndex === m.raft.commitIndex));
    for (const n of sim.running()) expect(n.raft.snapshotIndex).toBeGreaterThan(0);
  });

  it('a follower whose disk is full neither crashes nor votes, and catches up when space returns', async () => {
    sim = new Sim(92);
    const m = await three(sim);
    const f = sim.running().find((n) => n !== m)!;
    const store = [...sim.members.values()].find((x) => x.node === f)!.store;
    const free = fillDisk(store);
    for (let i = 0; i < 5; i++) {
      const r = await sim.submit(m.submit({ type: 'server-add', server: { host: `full-${i}` } }, { user: 'admin' }));
      expect(r.ok).toBe(true); // the other two voters are a majority
    }
    await sim.until('the follower noticed', () => f.raft.storageFailed !== null);
    expect(f.raft.role).not.toBe('candidate');
    expect(f.raft.role).not.toBe('master');
    // it refuses to vote while it cannot record the vote
    const vote = f.raft.handleVoteRequest({ v: 1, clusterId: 'sim', nodeId: m.nodeId, term: f.raft.term + 1, ts: 0, type: 'VoteRequest', preVote: false, lastIndex: 1e6, lastTerm: f.raft.term + 1, transfer: true });
    expect(vote).toMatchObject({ granted: false, reason: expect.stringMatching(/disk/) });
    free();
    await sim.until('the follower recovered and caught up', () => f.raft.storageFailed === null && f.deps.store.lastIndex() === m.deps.store.lastIndex() && f.server('full-4') !== undefined, 10_000);
  });

  it('a master whose disk is full refuses writes with STORAGE_ERROR, steps down, and another master takes over', async () => {
    sim = new Sim(93);
    const m = await three(sim);
    const store = [...sim.members.values()].find((x) => x.node === m)!.store;
    const free = fillDisk(store);
    const r = await sim.submit(m.submit({ type: 'server-add', server: { host: 'lost-or-not' } }, { user: 'admin' }));
    expect(r.ok).toBe(false);
    expect((r as unknown as { error: { code: string } }).error.code).toBe('STORAGE_ERROR');
    await sim.until('a new master', () => sim.masters().length === 1 && sim.masters()[0] !== m && sim.masters()[0]!.raft.masterReady(), 10_000);
    const m2 = sim.masters()[0]!;
    const ok = await sim.submit(m2.submit({ type: 'server-add', server: { host: 'after' } }, { user: 'admin' }));
    expect(ok.ok).toBe(true);
    expect(m.raft.role).not.toBe('master');
    free();
    await sim.until('the old master recovered as a follower', () => m.raft.storageFailed === null && m.server('after') !== undefined, 10_000);
    expect(sim.electionSafetyViolations()).toEqual([]);
  });

  it('a snapshot that fails is logged and retried; the node keeps applying and snapshots later', async () => {
    sim = new Sim(94, { snapshotEvery: 10 });
    const m = await three(sim);
    const f = sim.running().find((n) => n !== m)!;
    const store = [...sim.members.values()].find((x) => x.node === f)!.store;
    const save = store.saveSnapshot;
    let failures = 0;
    store.saveSnapshot = () => {
      failures++;
      throw new RangeError('Maximum call stack size exceeded');
    };
    for (let i = 0; i < 30; i++) expect((await sim.submit(m.submit({ type: 'server-add', server: { host: `x${i}` } }, { user: 'admin' }))).ok).toBe(true);
    await sim.until('the follower applied everything', () => f.raft.appliedIndex === m.raft.commitIndex);
    expect(failures).toBeGreaterThan(0);
    expect(f.raft.snapshotIndex).toBe(0);
    expect(f.raft.storageFailed).toBeNull(); // an encoding error is not a disk failure
    store.saveSnapshot = save;
    // the retry comes with the next applied entry after the back-off
    for (let i = 0; i < 20 && f.raft.snapshotIndex === 0; i++) {
      await sim.clock.advance(1000);
      expect((await sim.submit(m.submit({ type: 'server-add', server: { host: `later-${i}` } }, { user: 'admin' }))).ok).toBe(true);
      await sim.until('applied', () => f.raft.appliedIndex === m.raft.commitIndex);
    }
    expect(f.raft.snapshotIndex).toBeGreaterThan(0);
  });
});
