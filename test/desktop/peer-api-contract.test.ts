// The shared PeerApi contract (test/contract/peer-api.contract.ts) run against the desktop app's whole
// path short of the Electron binary: the BUILT preload's functions -> the real ipc-main handlers (with
// their sender check) -> a real node. Only Electron's IPC transport is stood in for.
import { TestCluster } from '../cluster/cluster-helpers.js';
import { peerApiContract, verdictCommand } from '../contract/peer-api.contract.js';
import { createDesktopPeerApi } from './desktop-peer-api.js';

peerApiContract('desktop preload -> ipc-main -> real node', async () => {
  const c = await TestCluster.create();
  const t = await c.add('n1');
  await c.settled();
  const made = createDesktopPeerApi(t.node, { user: 'admin' });
  return {
    api: made.api,
    commitVerdict: async (id, prev, next) => void (await t.node.submit(verdictCommand(id, prev, next), { user: 'system' })),
    startLoan: async (cmd) => void (await t.node.submit(cmd, { user: 'system' })),
    close: async () => {
      made.close();
      await c.close();
    },
  };
});
