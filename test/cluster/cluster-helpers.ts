// Helpers for cluster tests on loopback: real nodes (real UDP broadcast to 127.255.255.255, real
// TCP, real SQLite in temp dirs, real HTTP) with millisecond timings, and a waitFor that polls a
// condition with a deadline instead of sleeping.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConfigInput } from '../../node-core/src/config.js';
import { startHttp, type HttpHandle } from '../../node-core/src/http/index.js';
import { silentLogger } from '../../node-core/src/log.js';
import { createNode, type NodeDeps, type PeerNode } from '../../node-core/src/node.js';
import { withTestKey } from '../test-key.js';

export interface TestNode {
  node: PeerNode;
  http: HttpHandle;
  dataDir: string;
  name: string;
  api: string;
}

/** fast timings for tests (production defaults are in config.ts) */
export const FAST: Partial<NodeConfigInput> = {
  heartbeatIntervalMs: 100,
  // short enough for fast tests, long enough not to churn when two test files share two loaded cores
  electionTimeoutMs: 500,
  fetchMaxWaitMs: 100,
  discoveryWindowMs: 300,
  requestTimeoutMs: 500,
  commitTimeoutMs: 3000,
};

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 5000, everyMs = 10): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export class TestCluster {
  readonly nodes: TestNode[] = [];
  private readonly dirs: string[] = [];
  constructor(
    readonly discoveryPort: number,
    readonly base: Partial<NodeConfigInput> = {},
    /** extra injected parts for every node (e.g. monitorOptions) */
    readonly deps: Partial<NodeDeps> = {},
  ) {}

  static async create(base: Partial<NodeConfigInput> = {}, deps: Partial<NodeDeps> = {}): Promise<TestCluster> {
    return new TestCluster(await freeUdpPort(), base, deps);
  }

  async add(name: string, extra: Partial<NodeConfigInput> = {}, dataDir?: string): Promise<TestNode> {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), `pb-${name}-`));
    if (!dataDir) this.dirs.push(dir);
    // every node shares TEST_CLUSTER_KEY unless the test chose a key, an invite or openCluster
    const node = await createNode(
      withTestKey({
        clusterId: 'test',
        nodeId: name,
        user: name,
        dataDir: dir,
        broadcastAddress: '127.255.255.255',
        peerBindAddress: '0.0.0.0',
        advertiseIP: '127.0.0.1',
        discoveryPort: this.discoveryPort,
        peerPort: 0,
        apiPort: 0,
        uiPort: -1,
        frontendUrl: '',
        selfRegister: false,
        logLevel: 'silent',
        // each in-process node its own loan port (8781 is one per host)
        loanPort: 0,
        ...FAST,
        ...this.base,
        ...extra,
      }),
      { logger: silentLogger(), ...this.deps },
    );
    const http = await startHttp(node, { logger: silentLogger() });
    const t: TestNode = { node, http, dataDir: dir, name, api: http.apiUrl };
    this.nodes.push(t);
    return t;
  }

  byName(name: string): TestNode {
    const t = this.nodes.find((n) => n.name === name);
    if (!t) throw new Error(`no node ${name}`);
    return t;
  }

  master(): TestNode | undefined {
    const m = this.nodes.filter((n) => n.node.raft.role === 'master');
    return m.length === 1 ? m[0] : undefined;
  }

  /** waits for exactly one master that every live node follows and that has a quorum */
  async settled(timeoutMs = 15_000): Promise<TestNode> {
    return waitFor(
      'one master followed by every node',
      () => {
        const m = this.master();
        if (!m || !m.node.raft.hasQuorum() || !m.node.raft.masterReady()) return undefined;
        return this.nodes.every((n) => n.node.raft.leaderId === m.name) ? m : undefined;
      },
      timeoutMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; nodes: ${this.describe()}`);
    });
  }

  /** each node's role, term, leader and log positions (for failure messages) */
  describe(): string {
    return this.nodes
      .map((n) => {
        const r = n.node.raft;
        return `${n.name} ${r.role} t${r.term} leader=${r.leaderId ?? '-'} quorum=${r.hasQuorum()} ready=${r.masterReady()} commit=${r.commitIndex} last=${n.node.deps.store.lastIndex()} voters=${r.config?.voters.map((v) => v.nodeId).join(',') ?? '-'}`;
      })
      .join('; ');
  }

  /**
   * Waits until the master's voter set has n members, committed and stored by every node: a crash
   * before that may leave the survivors with the older, smaller set (correctly without a quorum).
   */
  async voters(n: number, timeoutMs = 15_000): Promise<TestNode> {
    return waitFor(
      `${n} voters, committed on every node`,
      () => {
        const m = this.master();
        if (!m || m.node.raft.config?.voters.length !== n || m.node.raft.configChangePending()) return undefined;
        return this.nodes.every((t) => t.node.raft.config?.voters.length === n) ? m : undefined;
      },
      timeoutMs,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; nodes: ${this.describe()}`);
    });
  }

  /** closes a node gracefully (hand-over, LeaveNotification) */
  async stop(name: string): Promise<void> {
    const t = this.byName(name);
    this.nodes.splice(this.nodes.indexOf(t), 1);
    await t.http.close();
    await t.node.stop();
  }

  /**
   * In-process "kill -9": the node stops answering at once, its sockets close (peers see the
   * connection break) and nothing graceful is sent. Storage is closed as the OS would on exit.
   */
  async crash(name: string): Promise<TestNode> {
    const t = this.byName(name);
    this.nodes.splice(this.nodes.indexOf(t), 1);
    const n = t.node;
    n.halt();
    await n.deps.transport.close();
    await t.http.close();
    n.deps.store.close();
    return t;
  }

  async close(): Promise<void> {
    for (const t of [...this.nodes]) {
      await t.http.close().catch(() => undefined);
      await t.node.stop().catch(() => undefined);
    }
    this.nodes.length = 0;
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export async function api<T = unknown>(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T };
}

/** three nodes n1..n3 settled with a committed voter set of three */
export async function threeNodes(base: Partial<NodeConfigInput> = {}): Promise<TestCluster> {
  const c = await TestCluster.create(base);
  await Promise.all(['n1', 'n2', 'n3'].map((n) => c.add(n)));
  await c.settled();
  await c.voters(3);
  return c;
}
