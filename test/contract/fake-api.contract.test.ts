// The PeerApi contract run against the renderer's demo API: it passes because it runs the real board
// state machine (node-core/src/board) behind node-core's board service, not a copy of the rules.
import { FakeApi } from '../../renderer/src/api/fake-api.js';
import { emptyBoard } from '../../renderer/src/api/demo-data.js';
import { peerApiContract } from './peer-api.contract.js';

peerApiContract('FakeApi (renderer demo mode)', async () => {
  const api = new FakeApi({ board: emptyBoard(Date.now()) });
  return { api, close: async () => undefined, commitVerdict: async (id, prev, next) => void api.commitVerdict(id, prev, next) };
});
