// Issue 9, "a poison record": POST /api/cluster/register with metadata nested 3,000 levels deep
// (a 6 KB body) answered 500 yet was committed, then broke every node. On a real cluster with a
// cluster key and tokens, it is now a 400 naming the field, nothing is committed, and the API answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster, type TestNode, api } from './helpers.js';

const USER = 'user-token-0123456789';
const ADMIN = 'admin-token-0123456789';
const auth = { authorization: `Bearer ${USER}` };

/** {"a":{"a":...{}}} nested `levels` deep, as a JSON string (built as text: no recursion) */
function nested(levels: number): string {
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

function body(id: string, metadataJson: string): string {
  return `{"id":"${id}","url":"http://127.0.0.1:9","clusterId":"default-cluster","role":"worker","metadata":${metadataJson}}`;
}

async function post(base: string, json: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}/api/cluster/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: json });
  return { status: res.status, body: await res.json() };
}

describe('a deeply nested registration on a keyed, token-protected cluster', () => {
  let c: TestCluster;
  let leader: TestNode;
  beforeAll(async () => {
    c = await TestCluster.create({ clusterKey: 'k'.repeat(32), userToken: USER, adminToken: ADMIN, httpBindAddress: '127.0.0.1' });
    await Promise.all(['p1', 'p2', 'p3'].map((n) => c.add(n)));
    for (const t of c.nodes) t.node.setHttpPorts(t.http.apiPort, null);
    await c.settled();
    leader = await c.voters(3);
  });
  afterAll(async () => c?.close());

  it('answers 400 naming "metadata" at 3,000 and 5,000 levels, commits nothing, and /api/cluster/nodes stays 200', async () => {
    const follower = c.nodes.find((t) => t !== leader)!;
    for (const [levels, at] of [
      [3000, leader],
      [5000, follower],
    ] as const) {
      const json = body(`deep-${levels}`, nested(levels));
      const r = await post(at.api, json);
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'BAD_REQUEST' });
      expect(r.body.message).toMatch(/field "metadata": nested deeper than 8 levels/);
    }
    // a shallow one still registers, so the log is moving and the deep ones would have shown by now
    const ok = await post(leader.api, body('shallow', '{"a":{"b":[1,{"c":2}]}}'));
    expect(ok.status).toBe(200);
    for (const t of c.nodes) {
      const nodes = await api<{ nodes: Array<{ id: string }> }>(t.api, 'GET', '/api/cluster/nodes', undefined, auth);
      expect(nodes.status, t.name).toBe(200);
      const ids = nodes.body.nodes.map((n) => n.id);
      expect(ids.filter((id) => id.startsWith('deep-')), t.name).toEqual([]);
      for (const path of ['/api/cluster/status', '/api/cluster/health', '/api/cluster/service-status']) {
        expect((await api(t.api, 'GET', path, undefined, auth)).status, `${t.name} ${path}`).toBe(200);
      }
    }
  });

  it('takes 8 levels (the board\'s limit, the same at every edge) and refuses 9, and bounds the size of metadata and capabilities', async () => {
    expect((await post(leader.api, body('edge-8', nested(8)))).status).toBe(200);
    const r9 = await post(leader.api, body('edge-9', nested(9)));
    expect(r9.status).toBe(400);
    const wide = JSON.stringify({ blob: 'x'.repeat(20_000) });
    const big = await post(leader.api, body('wide', wide));
    expect(big.status).toBe(400);
    expect(big.body.message).toMatch(/field "metadata": \d+ bytes of JSON, more than 16384/);
    const caps = await post(leader.api, `{"id":"caps","url":"http://127.0.0.1:9","clusterId":"x","role":"worker","capabilities":${nested(40)}}`);
    expect(caps.status).toBe(400);
    expect(caps.body.message).toMatch(/field "capabilities"/);
  });
});
