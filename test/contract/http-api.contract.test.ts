// The PeerApi contract run against the renderer's HTTP client and a real node (real UDP discovery on
// loopback, TCP, SQLite, fastify): web mode end to end, minus the browser.
import { HttpApi } from '../../renderer/src/api/http-api.js';
import { TestCluster } from '../cluster/cluster-helpers.js';
import { peerApiContract, verdictCommand } from './peer-api.contract.js';

peerApiContract('HttpApi -> real node', async () => {
  const c = await TestCluster.create();
  const t = await c.add('n1');
  await c.settled();
  const api = new HttpApi({ baseUrl: t.api, getUser: () => 'contract', backoffInitialMs: 50, backoffMaxMs: 200 });
  // verdicts are the master's own writes: committed on the node as its monitoring would
  return {
    api,
    close: () => c.close(),
    commitVerdict: async (id, prev, next) => void (await t.node.submit(verdictCommand(id, prev, next), { user: 'system' })),
    startLoan: async (cmd) => void (await t.node.submit(cmd, { user: 'system' })),
  };
});
