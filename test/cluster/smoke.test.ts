import { afterEach, describe, expect, it } from 'vitest';
import { TestCluster, api, waitFor } from './cluster-helpers.js';

describe('three nodes on loopback', () => {
  let c: TestCluster;
  afterEach(async () => c?.close());

  it('form one cluster, replicate a reservation, survive a master crash', async () => {
    c = await TestCluster.create();
    await Promise.all(['n1', 'n2', 'n3'].map((n) => c.add(n)));
    await c.settled();
    const m = await c.voters(3);
    const add = await api(m.api, 'POST', '/api/servers', { host: 'server-01', app: 'Mid', ip: '192.168.0.10', env: 'preprod' });
    expect(add.status).toBe(201);
    const slave = c.nodes.find((n) => n !== m)!;
    const r = await api<{ success: boolean }>(slave.api, 'POST', '/api/servers/server-01/reserve', { user: 'alice', durationSec: 3600, comment: 'integration tests' });
    expect(r.status).toBe(200);
    for (const n of c.nodes) await waitFor(`${n.name} sees the hold`, () => n.node.server('server-01')?.holder === 'alice');
    await c.crash(m.name);
    const m2 = await c.settled();
    expect(m2.name).not.toBe(m.name);
    expect(m2.node.server('server-01')?.holder).toBe('alice');
    const again = await api(m2.api, 'POST', '/api/servers/server-01/reserve', { user: 'bob', durationSec: 60 });
    expect(again.status).toBe(409);
  });
});
