// A cluster whose view does not fit one datagram (100 nodes with long ids and user names):
// the master trims the view it broadcasts instead of dropping its heartbeats and JoinResponses,
// so a newcomer still joins the existing cluster rather than founding a second one.
import { afterEach, describe, expect, it } from 'vitest';
import { Limits } from '../../../node-core/src/transport/transport.js';
import { Sim } from './sim.js';

const longUser = (i: number) => `${i}`.padEnd(128, '€'); // 3 bytes a character in UTF-8
const longId = (i: number) => `node-${i}-`.padEnd(64, 'x');

describe('a cluster view larger than a datagram', () => {
  let sim: Sim | undefined;
  afterEach(async () => {
    await sim?.stopAll();
    sim = undefined;
  });

  it('still sends heartbeats and join answers; a newcomer joins the same cluster', async () => {
    sim = new Sim(5, { maxVoters: 3 });
    for (let i = 0; i < 100; i++) await sim.add(longId(i), { user: longUser(i) });
    const m = await sim.settled(60_000);
    await sim.until('every node is a replica, 3 of them voters', () => m.raft.progress()!.size >= 99 && m.raft.config?.voters.length === 3 && !m.raft.configChangePending(), 60_000);
    const full = m.clusterView();
    expect(Buffer.byteLength(JSON.stringify(full))).toBeGreaterThan(Limits.maxPacketBytes);

    const late = await sim.add(longId(100), { user: longUser(100) });
    await sim.until('the newcomer follows the master', () => late.raft.leaderId === m.nodeId && late.raft.config?.incarnation === m.raft.config?.incarnation, 30_000);
    // it learnt the cluster from a trimmed view, voters first
    expect(late.clusterView().filter((e) => e.voter)).toHaveLength(3);
    expect(late.clusterView().length).toBeLessThan(full.length);
    expect(sim.running().every((n) => n.raft.config?.incarnation === m.raft.config?.incarnation)).toBe(true);
  }, 120_000);
});
