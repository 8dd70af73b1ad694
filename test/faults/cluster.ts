// Real headless Peerboard processes inside the lab's namespaces: start, kill -9, restart on the same
// data directory, SIGSTOP/SIGCONT, wall-clock jumps, and HTTP helpers to read their health and state.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROADCAST, nodeIp, nodeNs } from './lab.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const PRELOAD = fileURLToPath(new URL('./clock-skew-preload.mjs', import.meta.url));
export const API_PORT = 8777;
/** a server only the harness reserves, to probe that the cluster commits */
export const PROBE_HOST = 'probe';

export interface ExitRecord {
  node: string;
  pid: number;
  code: number | null;
  signal: string | null;
  /** true when the harness killed or stopped this process on purpose */
  byHarness: boolean;
  at: number;
}

export interface NodeProc {
  index: number;
  id: string;
  ip: string;
  dataDir: string;
  logFile: string;
  clockFile: string;
  /** incremented on every (re)start; reads are compared only within one generation */
  gen: number;
  child: ChildProcess | null;
  paused: boolean;
  clockOffsetMs: number;
  /** set just before the harness kills the process, so its exit is not counted as a crash */
  expectExit: boolean;
}

export class Cluster {
  readonly nodes: NodeProc[] = [];
  readonly exits: ExitRecord[] = [];
  private logs = new Map<string, WriteStream>();

  private probeSeq = 0;

  constructor(
    readonly size: number,
    readonly runDir: string,
    readonly clusterId: string,
    /** extra node flags, e.g. ['--snapshot-every', '100'] */
    readonly extraArgs: string[] = [],
  ) {
    for (let i = 1; i <= size; i++) {
      const id = `n${i}`;
      const dir = join(runDir, id);
      mkdirSync(dir, { recursive: true });
      const clockFile = join(runDir, `${id}.clock`);
      writeFileSync(clockFile, '0\n');
      this.nodes.push({ index: i, id, ip: nodeIp(i), dataDir: join(dir, 'data'), logFile: join(runDir, `${id}.log`), clockFile, gen: 0, child: null, paused: false, clockOffsetMs: 0, expectExit: false });
    }
  }

  node(id: string): NodeProc {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  url(n: NodeProc, path: string): string {
    return `http://${n.ip}:${API_PORT}${path}`;
  }

  running(): NodeProc[] {
    return this.nodes.filter((n) => n.child !== null);
  }

  start(n: NodeProc): void {
    if (n.child) throw new Error(`${n.id} is already running`);
    const args = [
      'netns', 'exec', nodeNs(n.index),
      process.execPath, '--import', PRELOAD, join(ROOT, 'bin/peerboard.mjs'),
      '--headless', '--cluster-id', this.clusterId, '--node-id', n.id, '--data-dir', n.dataDir,
      '--broadcast-address', BROADCAST, '--advertise-ip', n.ip, '--http-bind-address', '0.0.0.0',
      '--api-port', String(API_PORT), '--ui-port', '-1', '--frontend-url', '',
      '--heartbeat-interval-ms', '200', '--election-timeout-ms', '500', '--fetch-max-wait-ms', '100',
      '--discovery-window-ms', '1000', '--request-timeout-ms', '1000', '--commit-timeout-ms', '3000',
      '--history-limit', '1000000', '--log-level', 'warn', ...this.extraArgs,
    ];
    let log = this.logs.get(n.id);
    if (!log) {
      log = createWriteStream(n.logFile, { flags: 'a' });
      this.logs.set(n.id, log);
    }
    log.write(`--- start gen ${n.gen + 1} at ${new Date().toISOString()}\n`);
    const child = spawn('ip', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PEERBOARD_CLUSTER_KEY: TEST_CLUSTER_KEY, PBF_CLOCK_FILE: n.clockFile } });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    n.child = child;
    n.gen++;
    n.paused = false;
    n.expectExit = false;
    const pid = child.pid ?? -1;
    child.on('exit', (code, signal) => {
      this.exits.push({ node: n.id, pid, code, signal, byHarness: n.expectExit, at: Date.now() });
      if (n.child === child) {
        n.child = null;
        n.paused = false;
      }
    });
  }

  /** kill -9 (resumes a paused process first so the kill is delivered at once) */
  async kill(n: NodeProc): Promise<void> {
    const child = n.child;
    if (!child || child.pid === undefined) return;
    n.expectExit = true;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await withDeadline(gone, 5000, `${n.id} did not exit after SIGKILL`);
  }

  /** graceful stop (SIGTERM), then SIGKILL after a deadline */
  async stop(n: NodeProc): Promise<void> {
    const child = n.child;
    if (!child) return;
    n.expectExit = true;
    if (n.paused) this.resume(n);
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const ok = await Promise.race([gone.then(() => true), sleep(8000).then(() => false)]);
    if (!ok) {
      child.kill('SIGKILL');
      await withDeadline(gone, 5000, `${n.id} did not exit`);
    }
  }

  pause(n: NodeProc): void {
    if (!n.child || n.paused) return;
    n.child.kill('SIGSTOP');
    n.paused = true;
  }

  resume(n: NodeProc): void {
    if (!n.child || !n.paused) return;
    n.child.kill('SIGCONT');
    n.paused = false;
  }

  /** shifts node n's wall clock by offsetMs (0 undoes it); takes effect at once, no restart */
  setClock(n: NodeProc, offsetMs: number): void {
    writeFileSync(n.clockFile, `${offsetMs}\n`);
    n.clockOffsetMs = offsetMs;
    n.child?.kill('SIGUSR2');
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.running().map((n) => this.stop(n).catch(() => this.kill(n))));
    for (const s of this.logs.values()) s.end();
    this.logs.clear();
  }

  logTail(n: NodeProc, lines = 20): string {
    try {
      return readFileSync(n.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async getJson<T>(n: NodeProc, path: string, timeoutMs = 2000): Promise<T | null> {
    try {
      const res = await fetch(this.url(n, path), { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return null;
      return (await res.json()) as T;
    } catch {
      return null;
    }
  }

  async postJson(n: NodeProc, path: string, body: unknown, timeoutMs = 5000): Promise<{ status: number; body: unknown } | null> {
    try {
      const res = await fetch(this.url(n, path), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
      return { status: res.status, body: await res.json().catch(() => null) };
    } catch {
      return null;
    }
  }

  health(n: NodeProc): Promise<Health | null> {
    return n.child && !n.paused ? this.getJson<Health>(n, '/api/health', 1500) : Promise.resolve(null);
  }

  /** the node every running node that answers calls master, if they agree and it has quorum */
  async master(): Promise<{ node: NodeProc; health: Health } | null> {
    const hs = await Promise.all(this.running().map(async (n) => ({ n, h: await this.health(n) })));
    const masters = hs.filter((x) => x.h?.role === 'master' && x.h.quorum);
    if (masters.length !== 1) return null;
    return { node: masters[0]!.n, health: masters[0]!.h! };
  }

  /**
   * Liveness probe: a write on PROBE_HOST committed through any running node (200, or the board's
   * 409 refusal, both mean the cluster commits). A master that only holds its election lease does not count.
   */
  async waitForCommit(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 10_000 && Date.now() < deadline; i++) {
      const live = this.running().filter((n) => !n.paused);
      const n = live[i % Math.max(1, live.length)];
      if (n) {
        const body = { user: 'harness', durationSec: 1, idempotencyKey: `probe-${++this.probeSeq}` };
        const r = await this.postJson(n, `/api/servers/${PROBE_HOST}/reserve`, body, 4000);
        if (r && (r.status === 200 || (r.status === 409 && (r.body as { code?: string } | null)?.code === 'CONFLICT'))) return true;
      }
      await sleep(200);
    }
    return false;
  }

  /** waits until a master with quorum reports `voters` voters (and, if given, every node sees it) */
  async waitForMaster(opts: { voters?: number; timeoutMs: number; allAgree?: boolean }): Promise<{ node: NodeProc; health: Health }> {
    const deadline = Date.now() + opts.timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const m = await this.master();
      if (m && (opts.voters === undefined || m.health.voters.length === opts.voters)) {
        if (!opts.allAgree) return m;
        const hs = await Promise.all(this.running().map((n) => this.health(n)));
        if (hs.every((h) => h?.leader?.nodeId === m.node.id)) return m;
      }
      last = m ? `master ${m.node.id} voters ${m.health.voters.join(',')}` : 'no single master with quorum';
      await sleep(200);
    }
    throw new Error(`no master within ${opts.timeoutMs} ms (${last})`);
  }
}

export interface Health {
  nodeId: string;
  role: string;
  term: number;
  leader: { nodeId: string } | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  quorum: boolean;
  voters: string[];
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(t);
  }
}
