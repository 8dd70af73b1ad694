// Shared setup for the issue 5 tests: a real 3-node loopback cluster with short presence timings,
// and a bounded heartbeat pump that plays seed 001's "while true; curl /heartbeat; sleep" loops.
import type { PresenceOptions } from '../../node-core/src/presence.js';
import { configurePresence } from '../../node-core/src/presence.js';
import { TestCluster, api, waitFor, type TestNode } from '../cluster/cluster-helpers.js';

export { TestCluster, api, waitFor, type TestNode };

/** client heartbeat interval of the tests (seed 001: 8-12 s) */
export const HB_MS = 250;
/** presence timings of the tests: the seed's 30 s timeout shortened, refresh well under it */
export const FAST_PRESENCE: Partial<PresenceOptions> = { clientTimeoutMs: 2500, nodeTimeoutMs: 2500, refreshMs: 200, urgentMs: 10, probeTimeoutMs: 500 };

export async function startCluster(names: string[], presence: Partial<PresenceOptions> = FAST_PRESENCE): Promise<{ c: TestCluster; leader: TestNode }> {
  const c = await TestCluster.create();
  await Promise.all(names.map((n) => c.add(n)));
  for (const t of c.nodes) {
    t.node.setHttpPorts(t.http.apiPort, null);
    configurePresence(t.node, presence);
  }
  await c.settled();
  // committed on every node (odd sizes only: the master grows the voter set to 3 or 5)
  const leader = await c.voters(names.length);
  return { c, leader };
}

/**
 * Sends {username} heartbeats every HB_MS to whichever node leads now, until stopped or after at
 * most maxBeats. `lastOk` is the time of the last accepted one.
 */
export class HeartbeatPump {
  lastOk = 0;
  accepted = 0;
  private stopped = false;
  private paused = false;
  private readonly done: Promise<void>;
  constructor(
    private readonly c: TestCluster,
    readonly username: string,
    maxBeats = 400,
  ) {
    this.done = this.run(maxBeats);
  }
  private async run(maxBeats: number): Promise<void> {
    for (let i = 0; i < maxBeats && !this.stopped; i++) {
      const m = this.c.master();
      if (m && !this.paused) {
        const r = await api(m.api, 'POST', '/heartbeat', { username: this.username }).catch(() => null);
        if (r?.status === 200) {
          this.lastOk = Date.now();
          this.accepted++;
        }
      }
      await new Promise((r) => setTimeout(r, HB_MS));
    }
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

export interface DiscoverBody {
  online_clients: Array<{ username: string; addr: string; lastSeen: string }>;
  count: number;
  is_leader: boolean;
}

export function onlineNames(b: DiscoverBody): string[] {
  return b.online_clients.map((u) => u.username).sort();
}
