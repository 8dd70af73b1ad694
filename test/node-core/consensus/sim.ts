// An in-process cluster for consensus tests: real PeerNodes on the in-memory network, driven by a
// fake clock, with MemStores that survive a simulated crash (like a disk). Faults: partition, drop,
// delay, crash (kill -9), restart.
import type { NodeConfigInput } from '../../../node-core/src/config.js';
import { createLogger, silentLogger } from '../../../node-core/src/log.js';
import { createNode, type PeerNode } from '../../../node-core/src/node.js';
import { withTestKey } from '../../test-key.js';
import { MemStore } from '../../../node-core/src/storage/mem-store.js';
import { MemNetwork } from '../../../node-core/src/transport/mem-transport.js';
import { seededRandom } from '../../../node-core/src/util/clock.js';
import { FakeClock } from '../../../node-core/src/util/fake-clock.js';

export const SIM_TIMING: Partial<NodeConfigInput> = {
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 300,
  fetchMaxWaitMs: 50,
  discoveryWindowMs: 300,
  requestTimeoutMs: 200,
  commitTimeoutMs: 2000,
};

interface SimNode {
  name: string;
  ip: string;
  store: MemStore;
  node: PeerNode | null;
}

export class Sim {
  readonly clock = new FakeClock();
  readonly net: MemNetwork;
  readonly members = new Map<string, SimNode>();
  /** every (cluster incarnation, term) -> masters elected: Raft's Election Safety says one per term */
  readonly mastersByTerm = new Map<string, Set<string>>();
  private seq = 0;

  readonly seed: number;
  constructor(
    seed = 1,
    readonly extra: Partial<NodeConfigInput> = {},
  ) {
    // SIM_SEED_OFFSET shifts every seed, to explore other schedules (e.g. in a loop)
    this.seed = seed + Number(process.env.SIM_SEED_OFFSET ?? 0);
    this.net = new MemNetwork({ clock: this.clock, random: seededRandom(this.seed) });
  }

  async add(name: string, extra: Partial<NodeConfigInput> = {}): Promise<PeerNode> {
    const ip = `10.0.0.${++this.seq}`;
    const m: SimNode = { name, ip, store: new MemStore(), node: null };
    this.members.set(name, m);
    await this.boot(m, extra);
    return m.node!;
  }

  private async boot(m: SimNode, extra: Partial<NodeConfigInput> = {}): Promise<void> {
    m.node = await createNode(
      withTestKey({ clusterId: 'sim', nodeId: m.name, user: m.name, dataDir: '/nonexistent', advertiseIP: m.ip, discoveryPort: 7000, peerPort: 7001, apiPort: 8777, uiPort: -1, frontendUrl: '', selfRegister: false, logLevel: 'silent', ...SIM_TIMING, ...this.extra, ...extra }),
      { clock: this.clock, random: seededRandom(this.seed * 1000 + this.seq++), store: m.store, transport: this.net.transport(m.ip, { packetPort: 7000, streamPort: 7001 }), logger: process.env.SIM_LOG ? createLogger({ level: process.env.SIM_LOG, base: { t: () => this.clock.now() } }) : silentLogger() },
    );
    const node = m.node;
    node.events.on('event', (ev) => {
      if (ev.type !== 'role' || ev.role !== 'master') return;
      const key = `${node.raft.config?.incarnation ?? '?'}:${ev.term}`;
      const set = this.mastersByTerm.get(key) ?? new Set<string>();
      set.add(ev.nodeId);
      this.mastersByTerm.set(key, set);
    });
  }

  describe(): unknown[] {
    return this.running().map((n) => ({ id: n.nodeId, role: n.raft.role, term: n.raft.term, leader: n.raft.leaderId, last: n.deps.store.lastIndex(), commit: n.raft.commitIndex, applied: n.raft.appliedIndex, voters: n.raft.config?.voters.map((v) => v.nodeId) }));
  }

  /** terms in which more than one node became master (must stay empty) */
  electionSafetyViolations(): Array<[string, string[]]> {
    return [...this.mastersByTerm].filter(([, s]) => s.size > 1).map(([t, s]) => [t, [...s]]);
  }

  node(name: string): PeerNode {
    const n = this.members.get(name)?.node;
    if (!n) throw new Error(`${name} is not running`);
    return n;
  }
  ip(name: string): string {
    return this.members.get(name)!.ip;
  }
  running(): PeerNode[] {
    return [...this.members.values()].flatMap((m) => (m.node ? [m.node] : []));
  }

  /** kill -9: sockets die at once, nothing graceful is sent; the store (disk) survives */
  crash(name: string): void {
    const m = this.members.get(name)!;
    const n = m.node!;
    this.net.kill(m.ip);
    n.halt();
    m.node = null;
  }

  async restart(name: string): Promise<PeerNode> {
    const m = this.members.get(name)!;
    await this.boot(m);
    return m.node!;
  }

  partition(...groups: string[][]): void {
    this.net.partition(...groups.map((g) => g.map((n) => this.ip(n))));
  }
  heal(): void {
    this.net.heal();
  }

  masters(): PeerNode[] {
    return this.running().filter((n) => n.raft.role === 'master');
  }

  async until(what: string, cond: () => boolean, maxMs = 10_000): Promise<void> {
    if (!(await this.clock.runUntil(cond, maxMs, 5))) throw new Error(`sim: ${what} did not happen within ${maxMs} simulated ms; nodes: ${JSON.stringify(this.describe())}`);
  }

  /** one master, followed by every running node, with a quorum */
  async settled(maxMs = 10_000): Promise<PeerNode> {
    let m: PeerNode | undefined;
    await this.until(
      'a settled master',
      () => {
        const ms = this.masters();
        m = ms.length === 1 ? ms[0] : undefined;
        return !!m && m.raft.hasQuorum() && m.raft.masterReady() && this.running().every((n) => n.raft.leaderId === m!.nodeId);
      },
      maxMs,
    );
    return m!;
  }

  /** submits while advancing the fake clock until the promise settles */
  async submit<T>(p: Promise<T>, maxMs = 10_000): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
    let done: { ok: true; value: T } | { ok: false; error: Error } | undefined;
    p.then(
      (value) => (done = { ok: true, value }),
      (error: Error) => (done = { ok: false, error }),
    );
    await this.until('the request to settle', () => done !== undefined, maxMs);
    return done!;
  }

  async stopAll(): Promise<void> {
    for (const m of this.members.values()) {
      if (!m.node) continue;
      const n = m.node;
      n.halt();
      await n.deps.transport.close();
      m.node = null;
    }
  }
}
