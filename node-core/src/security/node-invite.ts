// The invite of a running node: NodeHandle.invite() when the node implements it, else built here from
// its configuration, its advertised address and the key it resolves (config, invite or cluster.key).
import type { NodeHandle } from '../api/node-handle.js';
import type { InviteInfo } from '../api/peer-api.js';
import { resolveClusterKey } from './cluster-key.js';
import { inviteInfoOf } from './invite.js';

export function nodeInviteInfo(node: NodeHandle): InviteInfo {
  if (node.invite) return node.invite();
  const ip = node.status().self.nodeIP;
  return inviteInfoOf({ config: node.config, ip, peerPort: 0 }, resolveClusterKey(node.config, node.config.dataDir).key);
}
