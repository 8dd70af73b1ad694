// Node names across a real loopback cluster: each node's configured name (else user@host) shows in
// every node's cluster view, as the leader's name, and on the history rows the node wrote.
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardView, HistoryPage } from '../../node-core/src/api/peer-api.js';
import { TestCluster, api, waitFor } from './cluster-helpers.js';

describe('node names', () => {
  let c: TestCluster;
  afterEach(async () => c?.close());

  it('travel to every node: cluster view, leader and history rows', async () => {
    c = await TestCluster.create({ selfRegister: true });
    const names: Record<string, string> = { n1: 'Lab rack A', n2: 'Zoë’s laptop', n3: `n3@${hostname().split('.')[0]}` };
    await Promise.all([c.add('n1', { name: names.n1 }), c.add('n2', { name: names.n2 }), c.add('n3')]);
    const m = await c.settled();
    for (const n of c.nodes) {
      await waitFor(`${n.name} knows every name`, async () => {
        const s = await api<BoardView>(n.api, 'GET', '/api/state');
        const seen = Object.fromEntries(s.body.clusterView.map((e) => [e.nodeId, e.name]));
        return seen.n1 === names.n1 && seen.n2 === names.n2 && seen.n3 === names.n3 && s.body.leader?.name === names[m.name] && s.body.self.name === names[n.name];
      }, 15_000);
    }
    const writer = c.nodes.find((n) => n !== m)!;
    expect((await api(writer.api, 'POST', '/api/servers', { host: 'named-01' })).status).toBe(201);
    for (const n of c.nodes) {
      await waitFor(`${n.name} names the writer on the history row`, async () => {
        const h = await api<HistoryPage>(n.api, 'GET', '/api/history?operation=server-add');
        const row = h.body.items.find((r) => r.serverHost === 'named-01');
        return row && row.nodeId === writer.name && row.nodeName === names[writer.name];
      });
    }
  });
});
