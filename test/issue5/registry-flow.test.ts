// Seed 001's "Complete Test Flow" steps 1-7 against a real 3-node loopback cluster, plus what
// Peerboard does better: the registry is replicated and the new leader's online list survives failover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_PRESENCE, HB_MS, HeartbeatPump, type DiscoverBody, type TestCluster, type TestNode, api, onlineNames, startCluster, waitFor } from './helpers.js';

const TIMEOUT = FAST_PRESENCE.clientTimeoutMs!;
const leaderAddr = (t: TestNode): string => `127.0.0.1:${t.http.apiPort}`;

describe('seed 001 complete test flow on 3 real nodes', () => {
  let c: TestCluster;
  let leader: TestNode;
  const pumps: HeartbeatPump[] = [];
  let alice: HeartbeatPump;
  let bob: HeartbeatPump;

  beforeAll(async () => {
    ({ c, leader } = await startCluster(['n1', 'n2', 'n3']));
  });
  afterAll(async () => {
    await Promise.all(pumps.map((p) => p.stop()));
    await c?.close();
  });

  it('step 1: health on any node says who leads and where', async () => {
    for (const t of c.nodes) {
      const r = await waitFor(`${t.name} knows the leader`, async () => {
        const res = await api<{ status: string; is_leader: boolean; online_clients_count: number; current_leader: string | null }>(t.api, 'GET', '/');
        return res.body.current_leader === leaderAddr(leader) ? res : undefined;
      });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ status: 'ok', is_leader: t === leader, online_clients_count: 0, current_leader: leaderAddr(leader) });
    }
  });

  it('step 2: register clients on the leader; the registry is replicated to every node', async () => {
    const a = await api<{ success: boolean; message: string; user_id: string }>(leader.api, 'POST', '/register', { username: 'alice', addr: '192.168.1.10:9000' });
    expect(a.status).toBe(200);
    expect(a.body.success).toBe(true);
    expect(a.body.message).toBe("User 'alice' registered successfully at 192.168.1.10:9000");
    expect(a.body.user_id).toMatch(/^[0-9a-f-]{36}$/);
    const b = await api<{ success: boolean; message: string }>(leader.api, 'POST', '/register', { username: 'bob', addr: '192.168.1.11:9001' });
    expect(b.body.message).toBe("User 'bob' registered successfully at 192.168.1.11:9001");
    for (const t of c.nodes) {
      await waitFor(`${t.name} holds alice and bob`, () => t.node.users().length === 2);
      expect(t.node.users().find((u) => u.username === 'alice')?.user_id).toBe(a.body.user_id);
    }
    const dup = await api<{ success: boolean; code: string; message: string }>(leader.api, 'POST', '/register', { username: 'alice', addr: '10.0.0.1:1' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ success: false, code: 'CONFLICT', error: 'Conflict' });
    expect(dup.body.message).toContain("'alice' is already registered");
    expect(leader.node.users()).toHaveLength(2);
  });

  it('steps 3 and 4: heartbeats make clients online; /discover and /users on the leader', async () => {
    const one = await api<{ success: boolean; message: string }>(leader.api, 'POST', '/heartbeat', { username: 'alice' });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ success: true, message: "Heartbeat accepted for 'alice' at 192.168.1.10:9000" });
    alice = new HeartbeatPump(c, 'alice');
    bob = new HeartbeatPump(c, 'bob');
    pumps.push(alice, bob);
    const d = await waitFor('both online', async () => {
      const r = await api<DiscoverBody>(leader.api, 'GET', '/discover');
      return r.body.count === 2 ? r : undefined;
    });
    expect(d.status).toBe(200);
    expect(d.body.is_leader).toBe(true);
    expect(onlineNames(d.body)).toEqual(['alice', 'bob']);
    expect(d.body.online_clients.find((u) => u.username === 'bob')?.addr).toBe('192.168.1.11:9001');
    const u = await api<{ users: Array<{ id: string; username: string; addr: string; online: boolean }>; count: number }>(leader.api, 'GET', '/users');
    expect(u.body.count).toBe(2);
    expect(u.body.users.map((x) => [x.username, x.addr, x.online]).sort()).toEqual([
      ['alice', '192.168.1.10:9000', true],
      ['bob', '192.168.1.11:9001', true],
    ]);
    const h = await api<{ online_clients_count: number }>(leader.api, 'GET', '/');
    expect(h.body.online_clients_count).toBe(2);
  });

  it('step 5: kill the leader; the new leader knows who is online before any client heartbeat reaches it', async () => {
    // wait for a presence refresh to be committed after the latest beats (what a running cluster always has)
    await waitFor('presence replicated to the followers', () =>
      c.nodes.filter((t) => t !== leader).every((t) => t.node.users().every((u) => (u.lastSeen ?? 0) > Date.now() - 3 * HB_MS)),
    );
    alice.pause();
    bob.pause();
    const old = leader;
    await c.crash(old.name);
    await expect(fetch(`${old.api}/discover`)).rejects.toThrow();
    leader = await c.settled();
    expect(leader.name).not.toBe(old.name);
    const t0 = Date.now();
    const d = await api<DiscoverBody>(leader.api, 'GET', '/discover');
    expect(d.status).toBe(200);
    expect(d.body.is_leader).toBe(true);
    expect(onlineNames(d.body)).toEqual(['alice', 'bob']); // the seed's new leader says [] here
    expect(Date.now() - t0).toBeLessThan(HB_MS * 4);
    const users = await api<{ count: number }>(leader.api, 'GET', '/users');
    expect(users.body.count).toBe(2);
    alice.resume();
    bob.resume();
    const before = alice.accepted;
    await waitFor('alice heartbeats the new leader', () => alice.accepted > before + 1);
  });

  it('step 6: a client that stops heartbeating times out; the others stay online', async () => {
    await alice.stop();
    const last = alice.lastOk;
    const gone = await waitFor(
      'alice timed out',
      async () => {
        const r = await api<DiscoverBody>(leader.api, 'GET', '/discover');
        return onlineNames(r.body).join() === 'bob' ? { at: Date.now(), body: r.body } : undefined;
      },
      TIMEOUT + 3000,
    );
    expect(gone.at - last).toBeGreaterThanOrEqual(TIMEOUT - 50);
    expect(gone.body.count).toBe(1);
    // registered users stay in the persistent list
    const u = await api<{ users: Array<{ username: string; online: boolean }> }>(leader.api, 'GET', '/users');
    expect(u.body.users.find((x) => x.username === 'alice')?.online).toBe(false);
  });

  it('step 7: leader-only endpoints on a follower answer 403 with the leader address', async () => {
    const follower = c.nodes.find((t) => t !== leader)!;
    await waitFor('follower knows the new leader', async () => (await api<{ current_leader: string }>(follower.api, 'GET', '/')).body.current_leader === leaderAddr(leader));
    const want = `This node is not the leader. Current leader: ${leaderAddr(leader)}`;
    for (const [method, path, body] of [
      ['POST', '/heartbeat', { username: 'charlie' }],
      ['POST', '/register', { username: 'charlie', addr: '10.0.0.3:9000' }],
      ['GET', '/users', undefined],
      ['GET', '/discover', undefined],
    ] as const) {
      const r = await api<Record<string, unknown>>(follower.api, method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body).toEqual({ success: false, message: want, error: 'Not Leader', code: 'NOT_LEADER', details: { leader: leaderAddr(leader), leaderId: leader.name } });
    }
    expect(follower.node.users().some((u) => u.username === 'charlie')).toBe(false);
    // a follower still answers health, with the replicated online count
    const h = await api<{ is_leader: boolean; online_clients_count: number }>(follower.api, 'GET', '/');
    expect(h.body.is_leader).toBe(false);
    await waitFor('follower sees bob online', async () => (await api<{ online_clients_count: number }>(follower.api, 'GET', '/')).body.online_clients_count === 1);
  });
});
