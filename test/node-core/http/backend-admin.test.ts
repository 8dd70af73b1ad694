// The backend's admin routes over real loopback HTTP: seed 000's /promote, the server inventory
// (add, patch, delete, import, maintenance) and the voter set, including force-shrink's confirm.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, PeerboardError } from '../../../node-core/src/errors.js';
import { type Harness, call, expectError, startHarness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ uiPort: -1 });
});
afterEach(async () => {
  await h.close();
});

describe('POST /promote (seed 000)', () => {
  it('role master promotes this node', async () => {
    const r = await call(`${h.api}/promote`, { json: { role: 'master', ip: '192.168.0.12' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, leaderId: 'node-a' });
    expect(h.node.promotes).toEqual([{ nodeId: 'node-a' }]);
  });

  it('role master with nodeId promotes the named node', async () => {
    const r = await call(`${h.api}/promote`, { json: { role: 'master', ip: '192.168.0.13', nodeId: 'node-c' } });
    expect(r.body).toEqual({ success: true, leaderId: 'node-c' });
    expect(h.node.promotes).toEqual([{ nodeId: 'node-c' }]);
  });

  it('role slave hands mastership to another node', async () => {
    const r = await call(`${h.api}/promote`, { json: { role: 'slave', ip: '192.168.0.12' } });
    expect(r.body).toEqual({ success: true, leaderId: 'node-b' });
    expect(h.node.promotes).toEqual([{}]);
  });

  it('refuses other roles, a bad ip and a failed transfer', async () => {
    expect(expectError(await call(`${h.api}/promote`, { json: { role: 'observer', ip: 'x' } }), 400, 'BAD_REQUEST').message).toContain('field "role"');
    expect(expectError(await call(`${h.api}/promote`, { json: { role: 'master', ip: 7 } }), 400, 'BAD_REQUEST').message).toContain('field "ip"');
    h.node.failNext = new PeerboardError(ErrorCode.Timeout, 'the transfer did not finish');
    expectError(await call(`${h.api}/promote`, { json: { role: 'master', ip: 'x' } }), 504, 'TIMEOUT');
  });
});

describe('inventory', () => {
  it('adds a server: 201 with the server; a duplicate is 409', async () => {
    const r = await call(`${h.api}/api/servers`, { json: { host: 'server-03', app: 'Front', ip: '10.0.0.3', env: 'prod' } });
    expect(r.status).toBe(201);
    expect(r.body.success).toBe(true);
    expect(r.body.server).toMatchObject({ host: 'server-03', app: 'Front', ip: '10.0.0.3', env: 'prod', holder: null });
    expect(h.node.submits.at(-1)!.opts.user).toBe('operator');
    expectError(await call(`${h.api}/api/servers`, { json: { host: 'server-03' } }), 409, 'CONFLICT');
  });

  it('records the acting user from X-Peerboard-User', async () => {
    await call(`${h.api}/api/servers`, { json: { host: 'server-04' }, headers: { 'x-peerboard-user': 'carol' } });
    expect(h.node.submits.at(-1)!.opts.user).toBe('carol');
    // a name beyond ISO-8859-1 comes percent-encoded (what the web UI sends)
    await call(`${h.api}/api/servers`, { json: { host: 'server-05' }, headers: { 'x-peerboard-user': `utf-8''${encodeURIComponent('Zoë Łukasz')}` } });
    expect(h.node.submits.at(-1)!.opts.user).toBe('Zoë Łukasz');
    const before = h.node.submits.length;
    expectError(await call(`${h.api}/api/servers`, { json: { host: 'server-06' }, headers: { 'x-peerboard-user': "utf-8''%E0%A4%A" } }), 400, 'BAD_REQUEST');
    expect(h.node.submits.length).toBe(before);
  });

  it('patches and deletes a server; a missing one is 404', async () => {
    const p = await call(`${h.api}/api/servers/server-01`, { method: 'PATCH', json: { comment: 'rack 4', env: 'prod' } });
    expect(p.status).toBe(200);
    expect(p.body.server).toMatchObject({ host: 'server-01', comment: 'rack 4', env: 'prod' });
    const bad = await call(`${h.api}/api/servers/server-01`, { method: 'PATCH', json: { host: 'renamed' } });
    expect(expectError(bad, 400, 'BAD_REQUEST').message).toContain('unknown field "host"');
    const d = await call(`${h.api}/api/servers/server-01`, { method: 'DELETE' });
    expect(d.body).toEqual({ success: true, host: 'server-01' });
    expect(h.node.servers.has('server-01')).toBe(false);
    expectError(await call(`${h.api}/api/servers/server-01`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    expectError(await call(`${h.api}/api/servers/server-01`, { method: 'PATCH', json: { app: 'x' } }), 404, 'NOT_FOUND');
  });

  it('imports a whole seed ServersData, keeping only inventory fields', async () => {
    const seed = {
      lastUpdate: 1706515614,
      serversList: [
        { host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod', available: true, action: 'Available', since: 0, comment: '' },
        { host: 'server-09', app: 'Back', ip: '192.168.0.19', env: 'prod', available: false, action: 'Reserved', since: 5, comment: 'x', holder: 'zed', until: 99 },
      ],
      replace: true,
    };
    const r = await call(`${h.api}/api/servers/import`, { json: seed });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, count: 2 });
    const { cmd } = h.node.submits.at(-1)!;
    expect(cmd).toEqual({
      type: 'servers-import',
      replace: true,
      servers: [
        { host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod', comment: '' },
        { host: 'server-09', app: 'Back', ip: '192.168.0.19', env: 'prod', comment: 'x' },
      ],
    });
    expect([...h.node.servers.keys()]).toEqual(['server-01', 'server-09']);
    expect(h.node.servers.get('server-09')!.holder).toBeNull();
  });

  it('sets maintenance', async () => {
    const r = await call(`${h.api}/api/servers/server-02/maintenance`, { json: { on: true } });
    expect(r.body.server.maintenance).toBe(true);
    expectError(await call(`${h.api}/api/servers/server-02/maintenance`, { json: { on: 'yes' } }), 400, 'BAD_REQUEST');
    expectError(await call(`${h.api}/api/servers/ghost/maintenance`, { json: { on: true } }), 404, 'NOT_FOUND');
  });
});

describe('voters', () => {
  it('lists, adds and removes voters', async () => {
    expect((await call(`${h.api}/api/cluster/voters`)).body).toEqual({ success: true, voters: ['node-a', 'node-b', 'node-c'] });
    const add = await call(`${h.api}/api/cluster/voters`, { json: { nodeId: 'node-d' } });
    expect(add.body.voters).toContain('node-d');
    const del = await call(`${h.api}/api/cluster/voters/node-b`, { method: 'DELETE' });
    expect(del.body.voters).toEqual(['node-a', 'node-c', 'node-d']);
    expect(h.node.voterCalls.map((c) => [c.op, c.ids, c.by])).toEqual([
      ['add', ['node-d'], 'operator'],
      ['remove', ['node-b'], 'operator'],
    ]);
  });

  it('maps NO_QUORUM from a voter change', async () => {
    h.node.failNext = new PeerboardError(ErrorCode.NoQuorum, 'no quorum');
    expectError(await call(`${h.api}/api/cluster/voters`, { json: { nodeId: 'node-d' } }), 503, 'NO_QUORUM');
    expectError(await call(`${h.api}/api/cluster/voters`, { json: { nodeId: 'bad id!' } }), 400, 'BAD_REQUEST');
  });

  it('force-shrink needs confirm: true and says why', async () => {
    for (const json of [{ voters: ['node-a'] }, { voters: ['node-a'], confirm: false }, { voters: ['node-a'], confirm: 'true' }]) {
      const body = expectError(await call(`${h.api}/api/cluster/force-shrink`, { json }), 400, 'BAD_REQUEST');
      expect(body.message).toContain('destructive');
    }
    expect(expectError(await call(`${h.api}/api/cluster/force-shrink`, { json: { voters: [], confirm: true } }), 400, 'BAD_REQUEST').message).toContain(
      'field "voters"',
    );
    expect(h.node.voterCalls).toHaveLength(0);
    const r = await call(`${h.api}/api/cluster/force-shrink`, { json: { voters: ['node-a'], confirm: true } });
    expect(r.body).toEqual({ success: true, voters: ['node-a'] });
    expect(h.node.voterCalls).toEqual([{ op: 'force-shrink', ids: ['node-a'], by: 'operator' }]);
  });
});
