// GET /api/cluster/invite on real loopback HTTP: the answer's shape, admin-only access (it carries the
// key), loopback Host only without tokens, an open cluster, and a node without invite() (key from cluster.key).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateClusterKey, saveClusterKey } from '../../../node-core/src/security/cluster-key.js';
import { formatInvite, parseInvite } from '../../../node-core/src/security/invite.js';
import { type Harness, call, expectError, startHarness, getWithHost } from './helpers.js';

const KEY = generateClusterKey();
const ADMIN = 'admin-token-123456';
const USER = 'user-token-abcdef';


describe('GET /api/cluster/invite', () => {
  const open: Harness[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function harness(config: Parameters<typeof startHarness>[0]): Promise<Harness> {
    const h = await startHarness({ uiPort: -1, ...config });
    open.push(h);
    return h;
  }

  it('answers {clusterId, open, invite, peers} with the team key, never cached', async () => {
    const h = await harness({ clusterId: 'team-a', clusterKey: KEY });
    const r = await call(`${h.api}/api/cluster/invite`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.body).sort()).toEqual(['clusterId', 'invite', 'open', 'peers']);
    expect(r.body).toMatchObject({ clusterId: 'team-a', open: false, peers: ['127.0.0.1:8779'] });
    expect(parseInvite(r.body.invite)).toEqual({ clusterId: 'team-a', key: KEY, peers: ['127.0.0.1:8779'] });
  });

  it('in an open cluster: open, no invite', async () => {
    const h = await harness({ openCluster: true });
    const r = await call(`${h.api}/api/cluster/invite`);
    expect(r.body).toEqual({ clusterId: 'peerboard', open: true, invite: null, peers: ['127.0.0.1:8779'] });
  });

  it('without tokens, only requests addressed to loopback are answered', async () => {
    const h = await harness({ clusterKey: KEY });
    const r = await getWithHost(h.http.apiPort, '/api/cluster/invite', 'evil.example:80');
    expect(r.status).toBe(403);
    expect(JSON.stringify(r.body)).not.toContain(KEY);
  });

  it('with tokens, only the admin token gets it (a user token holder must not learn the key)', async () => {
    const h = await harness({ clusterKey: KEY, adminToken: ADMIN, userToken: USER });
    const url = `${h.api}/api/cluster/invite`;
    expectError(await call(url), 401, 'UNAUTHORIZED');
    expectError(await call(url, { token: 'wrong-token-000' }), 401, 'UNAUTHORIZED');
    const user = await call(url, { token: USER });
    expectError(user, 403, 'FORBIDDEN');
    expect(JSON.stringify(user.body)).not.toContain(KEY);
    const admin = await call(url, { token: ADMIN });
    expect(admin.status).toBe(200);
    expect(admin.body.invite).toBe(formatInvite({ clusterId: 'peerboard', key: KEY, peers: ['127.0.0.1:8779'] }));
  });

  it('a node without invite() answers from its key file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-invite-'));
    dirs.push(dir);
    saveClusterKey(dir, KEY);
    const h = await harness({ dataDir: dir, clusterId: 'filed' });
    (h.node as { invite?: unknown }).invite = undefined;
    const r = await call(`${h.api}/api/cluster/invite`);
    expect(r.status).toBe(200);
    expect(parseInvite(r.body.invite)).toMatchObject({ clusterId: 'filed', key: KEY });
  });

  it('refuses other methods', async () => {
    const h = await harness({ clusterKey: KEY });
    const r = await call(`${h.api}/api/cluster/invite`, { method: 'POST', json: {} });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });
});
