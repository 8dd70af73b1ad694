// The NodeHandle contract run against the real node and the two in-test NodeHandles.
import { TestCluster } from '../cluster/cluster-helpers.js';
import { FakeNode as ElectronFakeNode } from '../electron/fake-node.js';
import { FakeNode as HttpFakeNode } from '../node-core/http/fake-node.js';
import { nodeHandleContract } from './node-handle.contract.js';

nodeHandleContract('PeerNode (real, one node)', async () => {
  const c = await TestCluster.create();
  const t = await c.add('n1');
  await c.settled();
  return { node: t.node, close: () => c.close() };
});

nodeHandleContract('test/node-core/http FakeNode', async () => ({ node: new HttpFakeNode(), close: async () => undefined }));

nodeHandleContract('test/electron FakeNode', async () => ({ node: new ElectronFakeNode().asHandle(), close: async () => undefined }));
