// Bad input for every seed 001 and seed 002 endpoint on a real leader: bad JSON, missing fields,
// wrong types, unknown fields, bad addresses, oversized bodies. Each gets a clear 4xx; nothing changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestCluster, type TestNode, api, startCluster } from './helpers.js';

interface ErrBody {
  success: boolean;
  error: string;
  message: string;
  code: string;
  details: Record<string, unknown>;
}

async function raw(base: string, path: string, body: string, type = 'application/json'): Promise<{ status: number; body: ErrBody }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  return { status: res.status, body: (await res.json()) as ErrBody };
}

describe('bad input on the registry and cluster endpoints', () => {
  let c: TestCluster;
  let leader: TestNode;
  beforeAll(async () => {
    ({ c, leader } = await startCluster(['b1', 'b2', 'b3']));
    const r = await api(leader.api, 'POST', '/register', { username: 'alice', addr: '192.168.1.10:9000' });
    expect(r.status).toBe(200);
    const n = await api(leader.api, 'POST', '/api/cluster/register', { id: 'w1', url: 'http://127.0.0.1:9', clusterId: 'default-cluster', role: 'worker' });
    expect(n.status).toBe(200);
  });
  afterAll(async () => c?.close());

  const jsonPosts = ['/register', '/heartbeat', '/api/cluster/register', '/api/cluster/heartbeat/w1'];

  it.each(jsonPosts)('%s: malformed JSON, an empty body, an array and a text body are refused', async (path) => {
    const bad = await raw(leader.api, path, '{"username": "al');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 'BAD_REQUEST', message: 'request body is not valid JSON' });
    expect((await raw(leader.api, path, '')).status).toBe(400);
    const arr = await raw(leader.api, path, '[1,2]');
    expect(arr.status).toBe(400);
    expect(arr.body.message).toBe('request body must be a JSON object');
    expect((await raw(leader.api, path, 'username=alice', 'text/plain')).status).toBe(415);
    const big = await raw(leader.api, path, JSON.stringify({ username: 'x'.repeat(1024 * 1024 + 10) }));
    expect(big.status).toBe(413);
  });

  it.each([
    [{ addr: '192.168.1.10:9000' }, 'missing field "username"'],
    [{ username: 'carol' }, 'missing field "addr"'],
    [{ username: 42, addr: '1.2.3.4:5' }, 'field "username"'],
    [{ username: 'carol', addr: '1.2.3.4:5', admin: true }, 'unknown field "admin"'],
    [{ username: 'carol', addr: '1.2.3.4' }, 'field "addr": must be host:port'],
    [{ username: 'carol', addr: '1.2.3.4:70000' }, 'field "addr": port must be 1-65535'],
    [{ username: 'carol', addr: 'http://1.2.3.4:80' }, 'field "addr"'],
    [{ username: ' carol', addr: '1.2.3.4:80' }, 'field "username"'],
    [{ username: '', addr: '1.2.3.4:80' }, 'field "username"'],
  ])('POST /register %j is a 400 naming the field', async (body, msg) => {
    const r = await api<ErrBody>(leader.api, 'POST', '/register', body);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, error: 'Bad Request', code: 'BAD_REQUEST' });
    expect(r.body.message).toContain(msg);
    expect(leader.node.users().map((u) => u.username)).toEqual(['alice']);
  });

  it('POST /register of a taken username is 409 and keeps the first address', async () => {
    const r = await api<ErrBody>(leader.api, 'POST', '/register', { username: 'alice', addr: '10.0.0.9:1' });
    expect(r.status).toBe(409);
    expect(r.body.details).toEqual({ username: 'alice' });
    expect(leader.node.users()[0]?.addr).toBe('192.168.1.10:9000');
  });

  it('POST /heartbeat: unknown user is 404 without addr, registered when addr is given; bad fields 400', async () => {
    const unknown = await api<ErrBody>(leader.api, 'POST', '/heartbeat', { username: 'dave' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain("User 'dave' is not registered");
    const auto = await api<{ success: boolean; message: string; registered: boolean }>(leader.api, 'POST', '/heartbeat', { username: 'dave', addr: '10.0.0.4:9000' });
    expect(auto.status).toBe(200);
    expect(auto.body).toEqual({ success: true, message: "Heartbeat accepted for 'dave' at 10.0.0.4:9000", registered: true });
    expect(leader.node.users().some((u) => u.username === 'dave')).toBe(true);
    for (const [body, msg] of [
      [{}, 'missing field "username"'],
      [{ username: 'alice', addr: 'nope' }, 'field "addr"'],
      [{ username: 'alice', status: 'on' }, 'unknown field "status"'],
      [{ username: ['alice'] }, 'field "username"'],
    ] as const) {
      const r = await api<ErrBody>(leader.api, 'POST', '/heartbeat', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.message).toContain(msg);
    }
  });

  it.each([
    [{ url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker' }, 'missing field "id"'],
    [{ id: 'x', url: 'ftp://127.0.0.1/', clusterId: 'c', role: 'worker' }, 'field "url": must be an http:// or https:// URL'],
    [{ id: 'x', url: 'not a url', clusterId: 'c', role: 'worker' }, 'field "url"'],
    [{ id: 'x', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'boss' }, 'field "role": must be one of "coordinator", "worker"'],
    [{ id: 'x y', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker' }, 'field "id"'],
    [{ id: 'x', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker', tags: 'a' }, 'field "tags"'],
    [{ id: 'x', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker', owner: 'me' }, 'unknown field "owner"'],
  ])('POST /api/cluster/register %j is a 400', async (body, msg) => {
    const r = await api<ErrBody>(leader.api, 'POST', '/api/cluster/register', body);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain(msg);
    expect(leader.node.clusterNodes().some((n) => n.id === 'x')).toBe(false);
  });

  it('POST /api/cluster/register with oversized metadata is refused by the board with 400', async () => {
    const r = await api<ErrBody>(leader.api, 'POST', '/api/cluster/register', { id: 'fat', url: 'http://127.0.0.1:1', clusterId: 'c', role: 'worker', metadata: { blob: 'x'.repeat(20_000) } });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('metadata');
    expect(leader.node.clusterNodes().some((n) => n.id === 'fat')).toBe(false);
  });

  it.each([
    [{}, 'field "status": is required: send one of "active", "inactive", "maintenance"'],
    [{ status: 'sleepy' }, 'field "status": must be one of "active", "inactive", "maintenance"'],
    [{ status: 'active', metadata: { load: -1 } }, 'field "metadata.load"'],
    [{ status: 'active', metadata: { connections: 1.5 } }, 'field "metadata.connections"'],
    [{ status: 'active', metadata: { load: 'high' } }, 'field "metadata.load"'],
    [{ status: 'active', metadata: { cpu: 1 } }, 'unknown field "metadata.cpu"'],
  ])('POST /api/cluster/heartbeat/w1 %j is a 400', async (body, msg) => {
    const r = await api<ErrBody>(leader.api, 'POST', '/api/cluster/heartbeat/w1', body);
    expect(r.status).toBe(400);
    expect(r.body.message).toContain(msg);
  });

  it('a bad node id in the path is a 400, an unknown one 404; unknown routes are 404 in the seed shape', async () => {
    const bad = await api<ErrBody>(leader.api, 'POST', '/api/cluster/heartbeat/a%20b', { status: 'active' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('field "nodeId"');
    const none = await api<ErrBody>(leader.api, 'POST', '/api/cluster/heartbeat/ghost', { status: 'active' });
    expect(none.status).toBe(404);
    const route = await api<ErrBody>(leader.api, 'GET', '/api/cluster/nope');
    expect(route.status).toBe(404);
    expect(route.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it('the node keeps serving after all of it', async () => {
    const h = await api<{ status: string; is_leader: boolean }>(leader.api, 'GET', '/');
    expect(h.body).toMatchObject({ status: 'ok', is_leader: true });
    const d = await api<{ count: number }>(leader.api, 'GET', '/discover');
    expect(d.body.count).toBe(1); // dave's heartbeat
  });
});
