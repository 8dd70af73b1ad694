// Issue 14's API items on a real node: maintenance with a reason (stored with who and since,
// bounded, in the history) and the history's system filter (registrations hidden on request).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPage } from '../../node-core/src/api/peer-api.js';
import type { Server } from '../../node-core/src/board/types.js';
import { TestCluster, api, waitFor, type TestNode } from './cluster-helpers.js';

describe('maintenance reason and system rows over HTTP', () => {
  let c: TestCluster;
  let n: TestNode;
  beforeAll(async () => {
    c = await TestCluster.create({ selfRegister: true });
    await c.add('solo', { name: 'Solo box' });
    n = await c.settled();
    expect((await api(n.api, 'POST', '/api/servers', { host: 'server-01' })).status).toBe(201);
  });
  afterAll(async () => c?.close());

  it('stores the reason with who and since, and refuses a bad one', async () => {
    const r = await api<{ server: Server }>(n.api, 'POST', '/api/servers/server-01/maintenance', { on: true, reason: 'kernel upgrade' }, { 'X-Peerboard-User': 'carol' });
    expect(r.status).toBe(200);
    expect(r.body.server).toMatchObject({ maintenance: true, maintenanceReason: 'kernel upgrade', maintenanceBy: 'carol' });
    expect(Math.abs(r.body.server.maintenanceSince! - Date.now() / 1000)).toBeLessThan(60);
    for (const bad of [{ on: true, reason: 'r'.repeat(201) }, { on: true, reason: 7 }, { on: true, why: 'x' }]) {
      const b = await api<{ code: string; message: string }>(n.api, 'POST', '/api/servers/server-01/maintenance', bad);
      expect(b.status, JSON.stringify(bad).slice(0, 40)).toBe(400);
      expect(b.body.code).toBe('BAD_REQUEST');
    }
    const h = await api<HistoryPage>(n.api, 'GET', '/api/history?operation=maintenance');
    expect(h.body.items[0]).toMatchObject({ user: 'carol', comment: 'kernel upgrade', nodeName: 'Solo box' });
    const off = await api<{ server: Server }>(n.api, 'POST', '/api/servers/server-01/maintenance', { on: false });
    expect(off.body.server.maintenanceReason).toBeUndefined();
  });

  it('system=false leaves out registrations, system=true keeps only them, a bad value is a 400', async () => {
    await waitFor('the node registered itself', async () => (await api<HistoryPage>(n.api, 'GET', '/api/history?system=true')).body.total > 0, 10_000);
    const people = await api<HistoryPage>(n.api, 'GET', '/api/history?system=false&limit=500');
    expect(people.body.items.length).toBeGreaterThan(0);
    expect(people.body.items.filter((r) => ['user-register', 'cluster-register', 'serving'].includes(r.operation))).toEqual([]);
    const sys = await api<HistoryPage>(n.api, 'GET', '/api/history?system=true&limit=500');
    expect(sys.body.items.every((r) => ['user-register', 'cluster-register', 'serving'].includes(r.operation))).toBe(true);
    const all = await api<HistoryPage>(n.api, 'GET', '/api/history?limit=500');
    expect(all.body.total).toBe(people.body.total + sys.body.total);
    expect((await api(n.api, 'GET', '/api/history?system=maybe')).status).toBe(400);
  });
});
