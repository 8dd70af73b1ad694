// Seed 002's GET /api/cluster/health: liveness comes from the cluster's own view (consensus
// heartbeats and reachability) and, for registered non-members, their own heartbeats; an HTTP probe
// only times cluster members at their advertised API address, never a URL someone registered.
import type { NodeConfig } from '../config.js';
import type { ClusterViewEntry } from '../protocol/messages.js';
import { nodeUrl } from '../self-register.js';
import { bindAddressOf, isLoopbackAddress } from './auth.js';

/** members probed by one /api/cluster/health request */
export const MAX_PROBES = 64;

export interface HealthNode {
  id: string;
  status: 'active' | 'inactive' | 'maintenance';
  role: string;
}

export interface HealthRow extends HealthNode {
  /** ms of the probe, or null when the node was not probed or did not answer in time */
  responseTime: number | null;
}

/**
 * The URL each probed member answers on, keyed by node id. Only members of the cluster view are
 * probed (a registered URL could point anywhere: SSRF), at the address the cluster itself knows
 * (an IP literal from the view), and only where the probe can reach: this node through its own
 * bound address; another member when it is on this machine (loopback) or when this node's HTTP
 * listens beyond loopback (its peers are then configured alike, e.g. with tokens). A member whose
 * HTTP listens on loopback only stays unprobed; its liveness comes from the view all the same.
 */
export function probeTargets(view: readonly ClusterViewEntry[], selfId: string, config: NodeConfig, ownApiPort: number): Map<string, string> {
  const bind = bindAddressOf(config);
  const beyondLoopback = !isLoopbackAddress(bind);
  const out = new Map<string, string>();
  for (const e of view) {
    if (out.size >= MAX_PROBES) break;
    if (e.nodeId === selfId) {
      const local = bind === '0.0.0.0' ? '127.0.0.1' : bind === '::' ? '::1' : bind;
      if (ownApiPort > 0) out.set(e.nodeId, nodeUrl(local, ownApiPort));
      continue;
    }
    if (!e.apiPort || !isIpLiteral(e.nodeIP)) continue;
    if (isLoopbackAddress(e.nodeIP) || beyondLoopback) out.set(e.nodeId, nodeUrl(e.nodeIP, e.apiPort));
  }
  return out;
}

function isIpLiteral(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+$/.test(s));
}

/**
 * Rows of the health answer: each node's status as listed (a probe never turns a live member
 * inactive: its HTTP port may listen on loopback only), plus the probe time where one was made.
 */
export async function healthRows(nodes: readonly HealthNode[], targets: ReadonlyMap<string, string>, timeoutMs: number): Promise<HealthRow[]> {
  const times = await Promise.all(nodes.map((n) => (targets.has(n.id) && n.status !== 'inactive' ? probe(targets.get(n.id)!, timeoutMs) : null)));
  return nodes.map((n, i) => ({ id: n.id, status: n.status, role: n.role, responseTime: times[i] ?? null }));
}

/** ms (one decimal) until GET url/api/health answers with any HTTP status; null on no answer in time. Redirects are not followed. */
export async function probe(url: string, timeoutMs: number): Promise<number | null> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/api/health`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.body?.cancel();
    return Math.round((performance.now() - t0) * 10) / 10;
  } catch {
    return null;
  }
}
