// Issues 9 and 10: seed 002's GET /api/cluster/health takes liveness from the cluster's own view and
// probes only cluster members at their own address: a URL registered with a user token (SSRF) is
// never fetched, and a live member whose HTTP port cannot be reached still counts as active.
import { createServer, type Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_PRESENCE, type TestCluster, type TestNode, api, startCluster, waitFor } from './helpers.js';

interface Health {
  totalNodes: number;
  activeNodes: number;
  inactiveNodes: number;
  coordinatorHealthy: boolean;
  nodes: Array<{ id: string; status: string; role: string; responseTime: number | null }>;
}

async function health(base: string): Promise<Health> {
  const r = await api<{ success: boolean; health: Health }>(base, 'GET', '/api/cluster/health');
  expect(r.status).toBe(200);
  return r.body.health;
}

describe('GET /api/cluster/health on 3 real nodes', () => {
  let c: TestCluster;
  let leader: TestNode;
  let followers: TestNode[];
  let target: HttpServer;
  let targetUrl: string;
  const hits: string[] = [];

  beforeAll(async () => {
    ({ c, leader } = await startCluster(['n1', 'n2', 'n3']));
    followers = c.nodes.filter((t) => t !== leader);
    // what an attacker would aim the node at: it counts every request it gets
    target = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('{"status":"ok"}');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    target?.closeAllConnections();
    await new Promise((r) => target?.close(r));
    await c?.close();
  });

  it('never fetches a registered URL: neither for a non-member, nor for a record that takes a member id', async () => {
    const outsider = { id: 'outsider', url: `${targetUrl}/internal`, clusterId: 'x', role: 'worker' };
    expect((await api(followers[0]!.api, 'POST', '/api/cluster/register', outsider)).status).toBe(200);
    const impostor = { id: followers[1]!.name, url: targetUrl, clusterId: 'x', role: 'worker' };
    expect((await api(leader.api, 'POST', '/api/cluster/register', impostor)).status).toBe(200);
    for (const t of c.nodes) await waitFor(`${t.name} holds both records`, () => t.node.clusterNodes().length >= 2);
    for (const t of c.nodes) {
      const h = await health(t.api);
      expect(h.nodes.map((n) => n.id).sort()).toEqual(['n1', 'n2', 'n3', 'outsider']);
      expect(h.nodes.find((n) => n.id === 'outsider')).toMatchObject({ status: 'active', responseTime: null });
    }
    expect(hits).toEqual([]);
  });

  it("counts the cluster's live members active, from the cluster view, and times those it can reach", async () => {
    const h = await health(leader.api);
    expect(h).toMatchObject({ activeNodes: 4, inactiveNodes: 0, coordinatorHealthy: true });
    for (const t of c.nodes) {
      const row = h.nodes.find((n) => n.id === t.name)!;
      expect(row).toMatchObject({ status: 'active', role: t === leader ? 'coordinator' : 'worker' });
      expect(row.responseTime, t.name).toBeGreaterThan(0);
    }
  });

  it('a live member whose HTTP port cannot be reached stays active (issue 10: loopback-only ports)', async () => {
    const quiet = followers[0]!;
    await quiet.http.close();
    for (const from of [leader, followers[1]!]) {
      const h = await health(from.api);
      expect(h.nodes.find((n) => n.id === quiet.name), from.name).toMatchObject({ status: 'active', responseTime: null });
      expect(h.coordinatorHealthy).toBe(true);
    }
    expect(hits).toEqual([]);
  });

  it('a registered non-member counts from its own heartbeats only; a crashed member turns inactive', async () => {
    await waitFor('the outsider times out', async () => (await health(leader.api)).nodes.find((n) => n.id === 'outsider')?.status === 'inactive', FAST_PRESENCE.nodeTimeoutMs! + 3000, 100);
    expect((await api(leader.api, 'POST', '/api/cluster/heartbeat/outsider', { status: 'active' })).status).toBe(200);
    expect((await health(leader.api)).nodes.find((n) => n.id === 'outsider')?.status).toBe('active');
    const gone = followers[1]!;
    await c.crash(gone.name);
    await waitFor(`${gone.name} inactive`, async () => (await health(leader.api)).nodes.find((n) => n.id === gone.name)?.status === 'inactive', 5000, 100);
    expect(hits).toEqual([]);
  });
});
