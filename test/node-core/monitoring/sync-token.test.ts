// The sync API's credentials and shapes: JWT issue/verify (expiry, forged key, rotation), which secret a
// node takes, the registration refusal of an open cluster (real HTTP over a fake node), and the schemas' limits.
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatPayloadSchema, instanceRegistrationSchema, reportsOf, SyncLimits } from '../../../node-core/src/monitoring/sync-schema.js';
import { issueSyncToken, jwtKeys, registrationRefusal, syncSecretsOf, verifySyncToken } from '../../../node-core/src/monitoring/sync-token.js';
import { call, startHarness, type Harness } from '../http/helpers.js';

const A = 'team-key-aaaaaaaaaaaaaaaa';
const B = 'team-key-bbbbbbbbbbbbbbbb';
const keysOf = (clusterKey: string | undefined, previous: string[] = [], adminToken?: string) => jwtKeys(syncSecretsOf({ clusterKey, previousClusterKeys: previous, adminToken }, null));

describe('sync tokens', () => {
  it('verify their own, refuse expired and other teams, and survive a key rotation', async () => {
    const a = keysOf(A)!;
    const now = Date.now();
    const { token, expiresAt } = await issueSyncToken(a.sign, 'r1', now);
    expect(expiresAt - now).toBeGreaterThan(23 * 3600_000);
    expect(await verifySyncToken(a.verify, token, now)).toEqual({ ok: true, instanceId: 'r1' });
    expect(await verifySyncToken(a.verify, token, expiresAt + 1000)).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect(await verifySyncToken(keysOf(B)!.verify, token, now)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by this team/) });
    // B is the new key, A the previous one: old tokens still verify, new ones are signed with B
    const rotated = keysOf(B, [A])!;
    expect(await verifySyncToken(rotated.verify, token, now)).toMatchObject({ ok: true });
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expect((await verifySyncToken(a.verify, tampered, now)).ok).toBe(false);
    expect((await verifySyncToken(a.verify, 'a.b.c', now)).ok).toBe(false);
  });

  it('take the team key from the invite when the config has none, and refuse a node with no secret at all', () => {
    const invite = `pb1:team:${'k'.repeat(32)}@127.0.0.1:8780`;
    expect(syncSecretsOf({ clusterKey: undefined, previousClusterKeys: [], adminToken: undefined }, invite).clusterKey).toBe('k'.repeat(32));
    const none = syncSecretsOf({ clusterKey: undefined, previousClusterKeys: [], adminToken: undefined }, null);
    expect(registrationRefusal(none)).toMatch(/no team key and no admin token/);
    expect(jwtKeys(none)).toBeNull();
    expect(keysOf(undefined, [], 'admin-token-123')).not.toBeNull();
  });
});

describe('registration access over HTTP', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  const reg = { instanceId: 'r1', instanceName: 'r1', version: '1', capabilities: [], failoverOrder: 1, systemInfo: { platform: 'linux', arch: 'x64', nodeVersion: 'v20', memory: 1, cpu: 1 } };

  it('an open cluster without an admin token refuses every registration, and says why', async () => {
    h = await startHarness({ openCluster: true });
    const r = await call(`${h.api}/sync/api/register`, { json: reg, token: 'anything-at-all' });
    expect(r.status).toBe(403);
    expect(r.body.message).toMatch(/no team key and no admin token/);
    expect(h.node.submits).toHaveLength(0);
  });

  it('the user token is refused (403), the admin token passes the secret check', async () => {
    h = await startHarness({ adminToken: 'admin-token-123456', userToken: 'user-token-abcdef', openCluster: true });
    expect((await call(`${h.api}/sync/api/register`, { json: reg, token: 'user-token-abcdef' })).status).toBe(403);
    expect((await call(`${h.api}/sync/api/register`, { json: reg, token: 'user-token-abcdefX' })).status).toBe(401);
    const admin = await call(`${h.api}/sync/api/register`, { json: { ...reg, instanceId: 'bad id!' }, token: 'admin-token-123456' });
    expect(admin.status).toBe(400);
  });
});

describe('sync schemas', () => {
  const result = { endpointId: 1, instanceId: 'r1', timestamp: new Date(1000).toISOString(), isOk: false, responseTime: 5, status: 'DOWN', location: 'x', checkType: 'http' };
  const hb = { instanceId: 'r1', timestamp: new Date().toISOString(), status: 'healthy', uptime: 1, monitoringResults: [result], systemMetrics: { cpuUsage: 0, memoryUsage: 0, diskUsage: 0, activeEndpoints: 1 }, connectionStatus: { primaryReachable: true, lastSyncSuccess: '', syncErrors: 0 } };

  it('bound every field', () => {
    expect(heartbeatPayloadSchema.safeParse(hb).success).toBe(true);
    expect(heartbeatPayloadSchema.safeParse({ ...hb, monitoringResults: Array(SyncLimits.results + 1).fill(result) }).success).toBe(false);
    expect(heartbeatPayloadSchema.safeParse({ ...hb, timestamp: 'yesterday' }).success).toBe(false);
    expect(heartbeatPayloadSchema.safeParse({ ...hb, monitoringResults: [{ ...result, responseTime: -1 }] }).success).toBe(false);
    expect(heartbeatPayloadSchema.safeParse({ ...hb, monitoringResults: [{ ...result, endpointId: 1.5 }] }).success).toBe(false);
    expect(heartbeatPayloadSchema.safeParse({ ...hb, monitoringResults: [{ ...result, metadata: { certificateInfo: { s: 'x'.repeat(5000) } } }] }).success).toBe(false);
    expect(instanceRegistrationSchema.safeParse({ instanceId: 'r', instanceName: 'a\u0007b', version: '1', capabilities: [], failoverOrder: 1, systemInfo: { platform: '', arch: '', nodeVersion: '', memory: 0, cpu: 0 } }).success).toBe(false);
  });

  it('map results to the newest report per check, with the registered location and a cut error', () => {
    const inst = { instanceId: 'r1', instanceName: 'R', location: 'EU', failoverOrder: 1, version: '1', capabilities: [], registeredAt: 0, registeredBy: 'x' };
    const reports = reportsOf(inst, [
      { ...result, failureReason: 'e'.repeat(900) } as never,
      { ...result, timestamp: new Date(500).toISOString(), status: 'UP' } as never,
    ]);
    expect(reports).toEqual([{ checkId: 1, nodeId: 'r1', location: 'EU', status: 'DOWN', responseTime: 5, at: 1000, error: 'e'.repeat(300) }]);
  });
});
