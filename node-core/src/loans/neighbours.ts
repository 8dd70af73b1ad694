// The neighbour table: other farms' masters, from LAN heartbeat hints (unauthenticated, at most 64)
// and from `loanNeighbours` (host:port). The master heartbeats each one; a neighbour that misses
// LOAN_MISSED_HEARTBEATS answers in a row is down. Every node keeps hints so a lent worker can find
// its borrower's current master by cluster id.
import type { ForeignHeartbeat, NeighbourView } from './types.js';
import { DEFAULT_LOAN_PORT } from './types.js';

/** a neighbour that misses this many heartbeats in a row is down */
export const LOAN_MISSED_HEARTBEATS = 3;
/** at most this many neighbours learnt from LAN hints (the oldest-heard one makes room) */
export const MAX_LAN_NEIGHBOURS = 64;
/** at most this many configured neighbours */
export const MAX_CONFIG_NEIGHBOURS = 32;

export interface Neighbour {
  /** config: "host:port" as configured; lan: "lan:<clusterId>" */
  key: string;
  source: 'config' | 'lan';
  configIndex: number;
  clusterId: string | null;
  masterId: string | null;
  address: string;
  loanPort: number;
  /** last answer to a heartbeat (ms), or null */
  lastSeen: number | null;
  /** last LAN hint (ms) */
  lastHint: number | null;
  /** heartbeats missed in a row */
  missed: number;
  /** spoke Peerboard's extensions (authenticated when a key is set) */
  trusted: boolean;
  peerboard: boolean;
  /** loan ids it named in its last answers, with when */
  loansHeard: Map<string, number>;
  /** not asked before the others until then (a NACK, or workers that never came) */
  penaltyUntil: number;
}

export interface HeartbeatAnswer {
  clusterId?: string | undefined;
  masterId?: string | undefined;
  loanPort?: number | undefined;
  loans?: readonly string[] | undefined;
  authed: boolean;
  peerboard: boolean;
}

/** "host:port" -> parts; null for a malformed entry */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const m = /^([A-Za-z0-9.\-]{1,253}|\[[0-9a-fA-F:]{2,45}\]):(\d{1,5})$/.exec(s.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export class NeighbourTable {
  private readonly byKey = new Map<string, Neighbour>();
  /** hints dropped: not a master, our own cluster, or a configured cluster */
  hintsIgnored = 0;

  constructor(
    private readonly ownClusterId: string,
    configured: readonly string[],
  ) {
    configured.slice(0, MAX_CONFIG_NEIGHBOURS).forEach((s, i) => {
      const hp = parseHostPort(s);
      if (!hp) return;
      const key = `${hp.host}:${hp.port}`;
      if (this.byKey.has(key)) return;
      this.byKey.set(key, blank(key, 'config', i, hp.host, hp.port, null));
    });
  }

  /** another cluster's heartbeat heard on the LAN: a master's address and loan port (a hint only) */
  hint(h: ForeignHeartbeat, now: number): void {
    if (!h.master || h.clusterId === this.ownClusterId || !h.clusterId) {
      this.hintsIgnored++;
      return;
    }
    const port = h.loanPort ?? DEFAULT_LOAN_PORT;
    // a configured neighbour already known to be this cluster is reached as configured
    for (const n of this.byKey.values()) if (n.source === 'config' && n.clusterId === h.clusterId && n.address === h.address && n.loanPort === port) return;
    const key = `lan:${h.clusterId}`;
    const cur = this.byKey.get(key);
    if (cur) {
      if (cur.address !== h.address || cur.loanPort !== port) {
        // its master moved (failover): reach the new one; its answers decide liveness again
        cur.address = h.address;
        cur.loanPort = port;
        cur.masterId = h.nodeId;
        cur.missed = 0;
      }
      cur.lastHint = now;
      return;
    }
    if (this.lanCount() >= MAX_LAN_NEIGHBOURS) this.evictOldestLan();
    const n = blank(key, 'lan', 0, h.address, port, h.clusterId);
    n.masterId = h.nodeId;
    n.lastHint = now;
    this.byKey.set(key, n);
  }

  /**
   * The entry of a loan's other farm, added when missing (a borrower that found us, a foreign master):
   * keyed by its cluster id when it has one, else by its address.
   */
  ensure(p: { clusterId: string | null; masterId: string | null; address: string; loanPort: number }, now: number): Neighbour {
    const key = p.clusterId ? `lan:${p.clusterId}` : `peer:${p.address}:${p.loanPort}`;
    const cur = this.byKey.get(key);
    if (cur) return cur;
    if (this.lanCount() >= MAX_LAN_NEIGHBOURS) this.evictOldestLan();
    const n = blank(key, 'lan', 0, p.address, p.loanPort, p.clusterId);
    n.masterId = p.masterId;
    n.lastHint = now;
    this.byKey.set(key, n);
    return n;
  }

  /** the other farm's master named these loans in its own heartbeat to us */
  heard(loanIds: readonly string[], clusterId: string | null, address: string, now: number): void {
    for (const n of this.byKey.values()) {
      if (!(clusterId !== null && n.clusterId === clusterId) && n.address !== address) continue;
      for (const id of loanIds) if (n.loansHeard.size < 1024 || n.loansHeard.has(id)) n.loansHeard.set(id, now);
    }
  }

  get(key: string): Neighbour | undefined {
    return this.byKey.get(key);
  }

  list(): Neighbour[] {
    return [...this.byKey.values()];
  }

  /** the neighbour of a cluster (the one heard most recently when several claim it) */
  byCluster(clusterId: string): Neighbour | undefined {
    let best: Neighbour | undefined;
    for (const n of this.byKey.values()) {
      if (n.clusterId !== clusterId) continue;
      const t = Math.max(n.lastSeen ?? 0, n.lastHint ?? 0);
      if (!best || t > Math.max(best.lastSeen ?? 0, best.lastHint ?? 0)) best = n;
    }
    return best;
  }

  /** the neighbour reached at address:port, if any */
  byAddress(address: string, port: number): Neighbour | undefined {
    for (const n of this.byKey.values()) if (n.address === address && n.loanPort === port) return n;
    return undefined;
  }

  /** a heartbeat answer arrived */
  answered(key: string, a: HeartbeatAnswer, now: number): void {
    const n = this.byKey.get(key);
    if (!n) return;
    n.lastSeen = now;
    n.missed = 0;
    n.peerboard = a.peerboard;
    n.trusted = a.peerboard && a.authed;
    if (a.clusterId && a.clusterId !== this.ownClusterId) n.clusterId = a.clusterId;
    if (a.masterId) n.masterId = a.masterId;
    if (a.loanPort && n.source === 'lan') n.loanPort = a.loanPort;
    for (const id of a.loans ?? []) if (n.loansHeard.size < 1024 || n.loansHeard.has(id)) n.loansHeard.set(id, now);
  }

  /** a heartbeat went unanswered (timeout, refused connection, ERROR) */
  missedOne(key: string): void {
    const n = this.byKey.get(key);
    if (n) n.missed++;
  }

  /** answers its heartbeats */
  up(n: Neighbour): boolean {
    return n.lastSeen !== null && n.missed < LOAN_MISSED_HEARTBEATS;
  }

  /** when the neighbour last named this loan in an answer (ms), or null */
  heardLoan(loanId: string): number | null {
    let t: number | null = null;
    for (const n of this.byKey.values()) {
      const h = n.loansHeard.get(loanId);
      if (h !== undefined && (t === null || h > t)) t = h;
    }
    return t;
  }

  /** forget loan ids no longer active (bounded memory) */
  pruneLoans(active: ReadonlySet<string>): void {
    for (const n of this.byKey.values()) for (const id of n.loansHeard.keys()) if (!active.has(id)) n.loansHeard.delete(id);
  }

  penalise(key: string, until: number): void {
    const n = this.byKey.get(key);
    if (n) n.penaltyUntil = Math.max(n.penaltyUntil, until);
  }

  views(): NeighbourView[] {
    return this.list().map((n) => ({
      clusterId: n.clusterId,
      masterId: n.masterId,
      address: n.address,
      loanPort: n.loanPort,
      source: n.source,
      up: this.up(n),
      lastSeen: n.lastSeen === null ? null : new Date(n.lastSeen).toISOString(),
      trusted: n.trusted,
    }));
  }

  private lanCount(): number {
    let c = 0;
    for (const n of this.byKey.values()) if (n.source === 'lan') c++;
    return c;
  }

  private evictOldestLan(): void {
    let oldest: Neighbour | undefined;
    for (const n of this.byKey.values()) {
      if (n.source !== 'lan') continue;
      const t = Math.max(n.lastSeen ?? 0, n.lastHint ?? 0);
      if (!oldest || t < Math.max(oldest.lastSeen ?? 0, oldest.lastHint ?? 0)) oldest = n;
    }
    if (oldest) this.byKey.delete(oldest.key);
  }
}

function blank(key: string, source: 'config' | 'lan', configIndex: number, address: string, loanPort: number, clusterId: string | null): Neighbour {
  return { key, source, configIndex, clusterId, masterId: null, address, loanPort, lastSeen: null, lastHint: null, missed: 0, trusted: false, peerboard: false, loansHeard: new Map(), penaltyUntil: 0 };
}
