// The other nodes a page knew (from the last cluster view it got), with the address of their board:
// where a page whose node died can send its user.
import type { ClusterViewEntry } from '../api/api-types.js';

export interface OtherNode {
  nodeId: string;
  /** the node's name as people read it: its user, else its id */
  name: string;
  /** the node's board (UI port), same scheme and tab as this page */
  url: string;
  /** the node answered its peers when the view was taken */
  reachable: boolean;
  role: ClusterViewEntry['role'];
}

/** Nodes other than `selfId` that serve a UI, reachable ones first, the master first among them. */
export function otherNodes(view: readonly ClusterViewEntry[], selfId: string, loc: { protocol: string; hash: string }): OtherNode[] {
  const scheme = loc.protocol === 'https:' ? 'https:' : 'http:';
  const out: OtherNode[] = [];
  for (const n of view) {
    if (n.nodeId === selfId || !n.uiPort || !n.nodeIP) continue;
    const host = n.nodeIP.includes(':') ? `[${n.nodeIP}]` : n.nodeIP;
    out.push({
      nodeId: n.nodeId,
      name: n.user || n.nodeId,
      url: `${scheme}//${host}:${n.uiPort}/${loc.hash || '#board'}`,
      reachable: n.reachable !== false,
      role: n.role,
    });
  }
  const rank = (o: OtherNode): number => (o.reachable ? 0 : 2) + (o.role === 'master' ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}
