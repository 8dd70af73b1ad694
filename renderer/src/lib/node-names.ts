// How a node is named on screen: its display name (config name, else user@host), else the user
// the node runs for, else its id. UUIDs and addresses stay behind the Cluster view's details.
import type { BoardView, ClusterViewEntry } from '../api/api-types.js';

export function nodeLabel(n: Pick<ClusterViewEntry, 'nodeId'> & { name?: string; user?: string }): string {
  return n.name || n.user || n.nodeId;
}

/** The master's name as this view knows it, or null when there is none. */
export function masterLabel(view: BoardView | null): string | null {
  const l = view?.leader;
  if (!l) return null;
  const entry = view.clusterView.find((e) => e.nodeId === l.nodeId);
  return l.name || (entry ? nodeLabel(entry) : null) || l.nodeId;
}

/** nodeId → name for every node in the view (history rows from older nodes carry no nodeName). */
export function namesById(view: BoardView | null): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of view?.clusterView ?? []) m.set(e.nodeId, nodeLabel(e));
  if (view?.self.name) m.set(view.self.nodeId, view.self.name);
  return m;
}
