// Real headless Peerboard processes on loopback for the benchmarks: start N nodes sharing one UDP
// discovery port (broadcast 127.255.255.255), kill -9 and restart them, and read their health.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, sleep, track, waitFor } from './report.js';
import { getJson } from './http-client.js';
import { TEST_CLUSTER_KEY } from '../../test/test-key.js';

export interface Health {
  nodeId: string;
  role: string;
  term: number;
  leader: { nodeId: string; nodeIP: string; apiPort: number } | null;
  commitIndex: number;
  appliedIndex: number;
  quorum: boolean;
  voters: string[];
}

export interface PbNode {
  id: string;
  peerPort: number;
  apiPort: number;
  dataDir: string;
  child: ChildProcess | null;
}

export interface PbClusterOptions {
  size: number;
  /** first of a block of 2*size+1 free ports on 127.0.0.1 */
  basePort: number;
  /** extra flags for every node, e.g. ['--election-timeout-ms', '300'] */
  extraArgs?: string[];
  /** node flags before the script, e.g. ['--expose-gc'] */
  nodeFlags?: string[];
  /** extra environment, e.g. a memory probe's output directory */
  env?: Record<string, string>;
}

/**
 * Port blocks stay below the kernel's ephemeral range (Linux: 32768-60999), where the benchmark's
 * own outgoing connections take local ports (an etcd member that was not running for a whole SIGSTOP
 * series had its client port there; this was the likely cause).
 */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}
const PORT_CEIL = ephemeralLow() - 1;
const PORT_FLOOR = 10_000;
let nextPort = PORT_FLOOR + Math.floor(Math.random() * ((PORT_CEIL - PORT_FLOOR) / 2));

/** A block of `width` ports that avoids the defaults (8777-8780) and the ephemeral range, differs between runs and never overlaps another block of this process. */
export function portBlock(width: number): number {
  if (nextPort + width > PORT_CEIL) nextPort = PORT_FLOOR;
  const base = nextPort;
  nextPort += width + 1;
  return base;
}

export class PbCluster {
  readonly nodes: PbNode[] = [];
  readonly dir: string;
  readonly clusterId: string;
  private readonly discoveryPort: number;

  constructor(readonly opts: PbClusterOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'peerboard-bench-'));
    this.clusterId = `bench-${process.pid}-${opts.basePort}`;
    this.discoveryPort = opts.basePort;
    for (let i = 1; i <= opts.size; i++) {
      this.nodes.push({ id: `n${i}`, peerPort: opts.basePort + 2 * i - 1, apiPort: opts.basePort + 2 * i, dataDir: join(this.dir, `n${i}`), child: null });
    }
  }

  url(n: PbNode, path: string): string {
    return `http://127.0.0.1:${n.apiPort}${path}`;
  }

  node(id: string): PbNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  start(n: PbNode): void {
    if (n.child) throw new Error(`${n.id} already runs`);
    const args = [
      ...(this.opts.nodeFlags ?? []),
      // diagnosis: BENCH_NODE_FLAGS="--trace-gc" reaches every node (its log is kept with BENCH_KEEP=1)
      ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
      join(ROOT, 'bin/peerboard.mjs'),
      '--headless', '--cluster-id', this.clusterId, '--node-id', n.id, '--data-dir', n.dataDir,
      '--broadcast-address', '127.255.255.255', '--advertise-ip', '127.0.0.1',
      '--discovery-port', String(this.discoveryPort), '--peer-port', String(n.peerPort), '--api-port', String(n.apiPort),
      // diagnosis: BENCH_LOG_LEVEL=info shows elections and role changes in the kept logs
      '--ui-port', '-1', '--frontend-url', '', '--log-level', process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...(this.opts.extraArgs ?? []),
    ];
    const out = createWriteStream(join(this.dir, `${n.id}.log`), { flags: 'a' });
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PEERBOARD_CLUSTER_KEY: TEST_CLUSTER_KEY, ...(this.opts.env ?? {}) } });
    track(child);
    child.stdout!.pipe(out, { end: false });
    child.stderr!.pipe(out, { end: false });
    child.once('exit', () => {
      if (n.child === child) n.child = null;
      out.end();
    });
    n.child = child;
  }

  startAll(): void {
    for (const n of this.nodes) this.start(n);
  }

  /** kill -9; resolves when the process is gone */
  async kill(n: PbNode): Promise<void> {
    const child = n.child;
    if (!child) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await Promise.race([gone, sleep(5000)]);
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const child = n.child;
        if (!child) return;
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        if (!(await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]))) {
          child.kill('SIGKILL');
          await Promise.race([gone, sleep(3000)]);
        }
      }),
    );
  }

  cleanup(): void {
    if (process.env.BENCH_KEEP === '1') {
      process.stderr.write(`BENCH_KEEP=1: node data and logs kept in ${this.dir}\n`);
      return;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  health(n: PbNode, timeoutMs = 1000): Promise<Health | null> {
    return n.child ? getJson<Health>(this.url(n, '/api/health'), timeoutMs) : Promise.resolve(null);
  }

  /** The single master with quorum and `voters` voters, once every running node names it and has applied its commit index. */
  async waitSettled(voters: number, timeoutMs: number, everyMs = 100): Promise<PbNode> {
    return waitFor(
      `a master with ${voters} voters that every node follows`,
      async () => {
        const running = this.nodes.filter((n) => n.child);
        const hs = await Promise.all(running.map((n) => this.health(n)));
        const masters = hs.filter((h) => h?.role === 'master' && h.quorum);
        if (masters.length !== 1) return null;
        const m = masters[0]!;
        if (m.voters.length < voters) return null;
        const caughtUp = hs.every((h) => h !== null && h.leader?.nodeId === m.nodeId && h.appliedIndex >= m.commitIndex);
        return caughtUp ? this.node(m.nodeId) : null;
      },
      timeoutMs,
      everyMs,
    );
  }
}
