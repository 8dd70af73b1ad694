// Seed 003's sync API on a real 3-node cluster over real HTTP on 127.0.0.1: registration with the team key,
// JWTs refused when missing/expired/forged/for another audience, a remote instance's heartbeat voting in a
// verdict (1 cluster location UP + the remote DOWN → PARTIAL), followers naming the primary, hostile bodies.
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSyncToken, jwtKeys, syncSecretsOf, SYNC_AUDIENCE, SYNC_ISSUER } from '../../node-core/src/monitoring/sync-token.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';
import { TestCluster, waitFor, type TestNode } from './cluster-helpers.js';

const KEY = jwtKeys(syncSecretsOf({ clusterKey: TEST_CLUSTER_KEY, previousClusterKeys: [], adminToken: undefined }, null))!.sign;

async function req(base: string, method: string, path: string, opts: { json?: unknown; raw?: string; token?: string } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const body = opts.raw ?? (opts.json !== undefined ? JSON.stringify(opts.json) : undefined);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

function registration(instanceId: string, location = 'far-away') {
  return { instanceId, instanceName: `Remote ${instanceId}`, location, version: '1.0.0', capabilities: ['http', 'tcp'], failoverOrder: 5, systemInfo: { platform: 'linux', arch: 'x64', nodeVersion: 'v20', memory: 1, cpu: 1 } };
}

function result(instanceId: string, endpointId: number, status: 'UP' | 'DOWN', extra: Record<string, unknown> = {}) {
  return { endpointId, instanceId, timestamp: new Date().toISOString(), isOk: status === 'UP', responseTime: 12, status, location: 'ignored', checkType: 'tcp', ...(status === 'DOWN' ? { failureReason: 'connect ECONNREFUSED' } : {}), ...extra };
}

function heartbeat(instanceId: string, results: unknown[], status = 'healthy') {
  return {
    instanceId,
    timestamp: new Date().toISOString(),
    status,
    uptime: 10,
    monitoringResults: results,
    systemMetrics: { cpuUsage: 1, memoryUsage: 2, diskUsage: 0, activeEndpoints: results.length },
    connectionStatus: { primaryReachable: true, lastSyncSuccess: new Date().toISOString(), syncErrors: 0 },
  };
}

describe('seed 003 sync API on a 3-node cluster', () => {
  let cluster: TestCluster;
  let master: TestNode;
  let follower: TestNode;
  let checkId: number;

  beforeAll(async () => {
    // the nodes run no checks themselves: the results here are the test's (ingested) and the remote's
    cluster = await TestCluster.create({ monitor: false });
    for (const n of ['s1', 's2', 's3']) await cluster.add(n);
    master = await cluster.voters(3, 20_000);
    follower = cluster.nodes.find((n) => n !== master)!;
    const res = await master.node.submit({ type: 'check-add', check: { name: 'db', type: 'tcp', target: '127.0.0.1:9', intervalSec: 30, timeoutMs: 500, retries: 0 } }, { user: 'admin', caller: 'admin' });
    checkId = (res.value as { check: { id: number } }).check.id;
  }, 40_000);
  afterAll(async () => {
    await cluster?.close();
  });

  it('registers with the team key and refuses a wrong or missing secret', async () => {
    expect((await req(master.api, 'POST', '/sync/api/register', { json: registration('r-wrong'), token: 'not-the-team-key-at-all' })).status).toBe(401);
    expect((await req(master.api, 'POST', '/sync/api/register', { json: registration('r-wrong') })).status).toBe(401);
    expect(master.node.monitorReader().monitoring().instances.has('r-wrong')).toBe(false);
    const ok = await req(master.api, 'POST', '/sync/api/register', { json: registration('r1'), token: TEST_CLUSTER_KEY });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body).toMatchObject({ success: true, instanceId: 'r1', created: true, primary: master.api });
    expect(ok.body.token.split('.')).toHaveLength(3);
    // replicated: every node's board has it
    await waitFor('the instance on every node', () => cluster.nodes.every((n) => n.node.monitorReader().monitoring().instances.get('r1')?.location === 'far-away'));
    const again = await req(master.api, 'POST', '/sync/api/register', { json: registration('r1'), token: TEST_CLUSTER_KEY });
    expect(again.body).toMatchObject({ success: true, created: false });
    // a cluster node's id is not an instance id
    expect((await req(master.api, 'POST', '/sync/api/register', { json: registration('s2'), token: TEST_CLUSTER_KEY })).status).toBe(409);
  });

  it('refuses heartbeats without a JWT, with an expired, forged or wrong-audience one, and one for another instance', async () => {
    const hb = heartbeat('r1', []);
    const expired = (await issueSyncToken(KEY, 'r1', Date.now() - 25 * 3600_000)).token;
    const forged = (await issueSyncToken(new Uint8Array(32).fill(7), 'r1', Date.now())).token;
    const wrongAud = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('r1').setAudience('someone-else').setIssuer(SYNC_ISSUER).setIssuedAt().setExpirationTime('1h').sign(KEY);
    const noneAlg = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'r1', aud: SYNC_AUDIENCE, iss: SYNC_ISSUER, exp: 9e9 })).toString('base64url')}.`;
    for (const [what, token, message] of [
      ['none', undefined, /register/],
      ['expired', expired, /expired/],
      ['forged', forged, /not signed by this team/],
      ['wrong audience', wrongAud, /aud/],
      ['alg none', noneAlg, /JWT/],
      ['team key itself', TEST_CLUSTER_KEY, /not a JWT/],
    ] as const) {
      const r = await req(master.api, 'PUT', '/sync/api/heartbeat', { json: hb, ...(token !== undefined ? { token } : {}) });
      expect(r.status, what).toBe(401);
      expect(r.body.message, what).toMatch(message);
    }
    const other = (await issueSyncToken(KEY, 'r-other', Date.now())).token;
    expect((await req(master.api, 'PUT', '/sync/api/heartbeat', { json: hb, token: other })).status).toBe(403);
    const good = (await issueSyncToken(KEY, 'r1', Date.now())).token;
    expect((await req(master.api, 'PUT', '/sync/api/heartbeat', { json: hb, token: good })).body).toMatchObject({ success: true, accepted: 0 });
  });

  it("a remote instance's result votes: one cluster location UP, then the remote DOWN → PARTIAL", async () => {
    const verdict = () => master.node.monitorReader().monitoring().verdicts.get(checkId)?.verdict;
    const at = Date.now();
    master.node.monitorIngest(follower.name, 'lan', true, [{ checkId, nodeId: follower.name, location: 'lan', status: 'UP', responseTime: 3, at, error: null }]);
    await waitFor('verdict UP from the one cluster location', () => verdict() === 'UP', 15_000);
    const token = (await req(master.api, 'POST', '/sync/api/register', { json: registration('r1'), token: TEST_CLUSTER_KEY })).body.token as string;
    const r = await req(master.api, 'PUT', '/sync/api/heartbeat', { json: heartbeat('r1', [result('r1', checkId, 'DOWN'), result('r1', 99_999, 'DOWN')]), token });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ success: true, accepted: 1, ignored: 1 });
    expect(typeof r.body.configVersion).toBe('number');
    // PARTIAL is committed once it held 2.5 s (monitor-node.ts PARTIAL_SETTLE_MS)
    await waitFor('verdict PARTIAL with the remote voting DOWN', () => verdict() === 'PARTIAL', 15_000);
    const committed = master.node.monitorReader().monitoring().verdicts.get(checkId)!;
    expect(committed.locations.map((l) => [l.nodeId, l.location, l.status])).toEqual([
      ['r1', 'far-away', 'DOWN'],
      [follower.name, 'lan', 'UP'],
    ]);
    // a failing instance (its own reference check failed) does not vote: back to UP
    await req(master.api, 'PUT', '/sync/api/heartbeat', { json: heartbeat('r1', [result('r1', checkId, 'DOWN')], 'failing'), token });
    await waitFor('verdict UP once the remote says it is failing', () => verdict() === 'UP', 15_000);
    const list = await req(master.api, 'GET', '/sync/api/instances', { token });
    expect(list.body.instances.find((i: { instanceId: string }) => i.instanceId === 'r1')).toMatchObject({ kind: 'remote', status: 'failed' });
    expect(list.body.nodes).toHaveLength(3);
  });

  it('followers answer writes with the primary and reads from their replica', async () => {
    const token = (await issueSyncToken(KEY, 'r1', Date.now())).token;
    for (const [method, path, json] of [
      ['PUT', '/sync/api/heartbeat', heartbeat('r1', [])],
      ['POST', '/sync/api/register', registration('r1')],
    ] as const) {
      const r = await req(follower.api, method, path, { json, token: method === 'PUT' ? token : TEST_CLUSTER_KEY });
      expect(r.status, path).toBe(403);
      expect(r.body).toMatchObject({ success: false, code: 'NOT_LEADER', primary: master.api, leader: { nodeId: master.name } });
    }
    const cfg = await req(follower.api, 'GET', '/sync/api/endpoints', { token });
    expect(cfg.status).toBe(200);
    expect(cfg.body.endpoints.map((e: { id: number }) => e.id)).toContain(checkId);
    expect(cfg.body.configVersion).toBe((await req(master.api, 'GET', '/sync/api/endpoints', { token })).body.configVersion);
    const order = await req(follower.api, 'GET', '/sync/api/failover-order', { token });
    expect(order.body.failoverOrder.map((e: { nodeId: string }) => e.nodeId).sort()).toEqual(['s1', 's2', 's3']);
    expect(order.body.primary).toBe(master.api);
  });

  it('refuses hostile heartbeats and keeps answering', async () => {
    const token = (await issueSyncToken(KEY, 'r1', Date.now())).token;
    const put = (json: unknown, raw?: string) => req(master.api, 'PUT', '/sync/api/heartbeat', { token, ...(raw !== undefined ? { raw } : { json }) });
    const many = Array.from({ length: 2001 }, () => result('r1', checkId, 'UP'));
    const cases: Array<[string, Promise<{ status: number; body: any }>, number]> = [
      ['2001 results', put(heartbeat('r1', many)), 400],
      ['over 1 MiB', put(undefined, JSON.stringify({ ...heartbeat('r1', []), pad: 'x'.repeat(1_100_000) })), 413],
      ['wrong types', put({ ...heartbeat('r1', []), uptime: 'long', monitoringResults: 'none' }), 400],
      ['bad status', put(heartbeat('r1', [result('r1', checkId, 'SIDEWAYS' as 'UP')])), 400],
      ['long failure reason', put(heartbeat('r1', [result('r1', checkId, 'DOWN', { failureReason: 'x'.repeat(1001) })])), 400],
      ['deep metadata', put(undefined, JSON.stringify(heartbeat('r1', [result('r1', checkId, 'UP', { metadata: { certificateInfo: '__D__' } })])).replace('"__D__"', '['.repeat(3000) + ']'.repeat(3000))), 400],
      ['deep body', put(undefined, '['.repeat(5000) + ']'.repeat(5000)), 400],
      ['result for another instance', put(heartbeat('r1', [result('r2', checkId, 'UP')])), 400],
      ['not JSON', put(undefined, '{"instanceId":'), 400],
    ];
    for (const [what, p, status] of cases) {
      const r = await p;
      expect(r.status, `${what}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(status);
      expect(r.body.success, what).toBe(false);
    }
    // the refusals above count against the instance's 10/s: retry until its window lets one through
    const ok = await waitFor('an accepted heartbeat', async () => {
      const r = await req(master.api, 'PUT', '/sync/api/heartbeat', { json: heartbeat('r1', many.slice(0, 2000)), token });
      return r.status === 429 ? undefined : r;
    }, 5000, 100);
    expect(ok.body).toMatchObject({ success: true, accepted: 1 });
  });

  it('rate-limits one instance to 10 heartbeats a second', async () => {
    const token = (await issueSyncToken(KEY, 'r1', Date.now())).token;
    const answers = await Promise.all(Array.from({ length: 25 }, () => req(master.api, 'PUT', '/sync/api/heartbeat', { json: heartbeat('r1', []), token })));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(20);
    expect(limited[0]!.body).toMatchObject({ success: false, error: 'Too Many Requests' });
  });

  it('promote refuses a remote instance, demote refuses a non-primary, DELETE removes an instance', async () => {
    const p = await req(master.api, 'POST', '/sync/api/promote', { json: { instanceId: 'r1' } });
    expect(p.status).toBe(409);
    expect(p.body.message).toMatch(/not a voter/);
    expect((await req(master.api, 'POST', '/sync/api/promote', { json: { nodeId: 'nobody' } })).status).toBe(404);
    expect((await req(master.api, 'POST', `/sync/api/demote/${follower.name}`)).status).toBe(409);
    const del = await req(master.api, 'DELETE', '/sync/api/instances/r1');
    expect(del.body).toMatchObject({ success: true, removed: 'r1' });
    const token = (await issueSyncToken(KEY, 'r1', Date.now())).token;
    // (retried while the previous test's rate window lasts)
    const after = await waitFor('an answer that is not 429', async () => {
      const r = await req(master.api, 'PUT', '/sync/api/heartbeat', { json: heartbeat('r1', []), token });
      return r.status === 429 ? undefined : r;
    });
    expect(after.status).toBe(404);
  });
});
