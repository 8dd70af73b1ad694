// Three real headless Peerboard nodes for the security campaign: cluster key and tokens set, each data
// directory on its own small tmpfs (the disk-full attack fills one), HTTP helpers that carry a token,
// RSS from /proc, and a reset that starts a fresh cluster after an attack wedged the old one.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, withDeadline, type Health } from '../faults/cluster.js';
import { SEC_BROADCAST, secNodeIp, secNodeNs } from './sec-lab.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const PORTS = { api: 8777, ui: 8778, discovery: 8779, peer: 8780 } as const;
/** size of each node's data tmpfs */
const TMPFS_SIZE = '48m';

export interface SecSecrets {
  clusterId: string;
  clusterKey: string;
  adminToken: string;
  userToken: string;
}

export interface SecNode {
  index: number;
  id: string;
  ip: string;
  mount: string;
  dataDir: string;
  logFile: string;
  child: ChildProcess | null;
  pid: number;
  expectExit: boolean;
}

export interface Exit {
  node: string;
  code: number | null;
  signal: string | null;
  byHarness: boolean;
  at: number;
}

export interface HttpResult {
  status: number;
  body: unknown;
}

export class SecCluster {
  readonly nodes: SecNode[] = [];
  readonly exits: Exit[] = [];
  private logs = new Map<string, WriteStream>();
  private mounted = new Set<string>();
  /** bumped on every reset: a fresh cluster has fresh data */
  generation = 0;

  constructor(
    readonly runDir: string,
    readonly secrets: SecSecrets,
    readonly opts: { snapshotEvery: number; uiDir: string },
  ) {
    for (let i = 1; i <= 3; i++) {
      const id = `n${i}`;
      const mount = join(runDir, id);
      this.nodes.push({ index: i, id, ip: secNodeIp(i), mount, dataDir: join(mount, 'data'), logFile: join(runDir, `${id}.log`), child: null, pid: -1, expectExit: false });
    }
  }

  node(id: string): SecNode {
    const n = this.nodes.find((x) => x.id === id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  /** a fresh tmpfs for node n's data (its filler file fills exactly this) */
  private mountFresh(n: SecNode): void {
    this.unmount(n);
    mkdirSync(n.mount, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0755`, `pbs-${n.id}`, n.mount], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`cannot mount a tmpfs on ${n.mount}: ${r.stderr}`);
    this.mounted.add(n.mount);
  }

  private unmount(n: SecNode): void {
    if (this.mounted.has(n.mount)) spawnSync('umount', ['-l', n.mount], { stdio: 'ignore', timeout: 10_000 });
    this.mounted.delete(n.mount);
  }

  start(n: SecNode): void {
    if (n.child) throw new Error(`${n.id} is already running`);
    const s = this.secrets;
    const args = [
      'netns', 'exec', secNodeNs(n.index), process.execPath, join(ROOT, 'bin/peerboard.mjs'),
      '--headless', '--cluster-id', s.clusterId, '--cluster-key', s.clusterKey, '--admin-token', s.adminToken, '--user-token', s.userToken,
      '--node-id', n.id, '--data-dir', n.dataDir, '--broadcast-address', SEC_BROADCAST, '--advertise-ip', n.ip,
      '--api-port', String(PORTS.api), '--ui-port', String(PORTS.ui), '--ui-dir', this.opts.uiDir, '--frontend-url', '',
      '--discovery-port', String(PORTS.discovery), '--peer-port', String(PORTS.peer),
      '--heartbeat-interval-ms', '200', '--election-timeout-ms', '700', '--fetch-max-wait-ms', '150',
      '--discovery-window-ms', '800', '--request-timeout-ms', '1500', '--commit-timeout-ms', '3000',
      '--snapshot-every', String(this.opts.snapshotEvery), '--self-register', 'false', '--log-level', 'warn',
    ];
    let log = this.logs.get(n.id);
    if (!log) {
      log = createWriteStream(n.logFile, { flags: 'a' });
      this.logs.set(n.id, log);
    }
    log.write(`--- start (cluster generation ${this.generation}) at ${new Date().toISOString()}\n`);
    // `ip netns exec` execs the node in place, so the child's pid is the node's pid (RSS is read from it)
    const child = spawn('ip', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    n.child = child;
    n.pid = child.pid ?? -1;
    n.expectExit = false;
    child.on('exit', (code, signal) => {
      this.exits.push({ node: n.id, code, signal, byHarness: n.expectExit, at: Date.now() });
      if (n.child === child) n.child = null;
    });
  }

  async kill(n: SecNode): Promise<void> {
    const child = n.child;
    if (!child) return;
    n.expectExit = true;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await withDeadline(gone, 5000, `${n.id} did not exit after SIGKILL`);
  }

  /** SIGTERM, then SIGKILL after a few seconds */
  async stop(n: SecNode): Promise<void> {
    const child = n.child;
    if (!child) return;
    n.expectExit = true;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    if (!(await Promise.race([gone.then(() => true), sleep(5000).then(() => false)]))) {
      child.kill('SIGKILL');
      await withDeadline(gone, 5000, `${n.id} did not exit`);
    }
  }

  /** Restarts every node on its own data (kill -9 and start, as after a power cut); waits until each answers HTTP. */
  async restartAll(answerWithinMs: number): Promise<string[]> {
    await Promise.all(this.nodes.map((n) => this.kill(n)));
    for (const n of this.nodes) this.start(n);
    const deadline = Date.now() + answerWithinMs;
    let silent = this.nodes.map((n) => n.id);
    while (silent.length && Date.now() < deadline) {
      const answers = await Promise.all(this.nodes.map(async (n) => ((await this.http(n, 'GET', '/api/health', undefined, { timeoutMs: 1000 })) ? null : n.id)));
      silent = answers.filter((x): x is string => x !== null);
      if (silent.length) await sleep(250);
    }
    return silent;
  }

  /** A brand-new cluster: kill everything, fresh tmpfs data, start all three. */
  async reset(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n)));
    this.generation++;
    for (const n of this.nodes) this.mountFresh(n);
    for (const n of this.nodes) this.start(n);
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.kill(n).catch(() => undefined)));
    for (const s of this.logs.values()) s.end();
    this.logs.clear();
    for (const n of this.nodes) this.unmount(n);
  }

  /** synchronous last-resort cleanup (exit and signal handlers) */
  unmountAllSync(): void {
    for (const n of this.nodes) this.unmount(n);
  }

  /** fills node n's tmpfs with a filler file until ENOSPC; returns the bytes written */
  fillDisk(n: SecNode): number {
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const file = join(n.mount, 'filler');
    let written = 0;
    for (let i = 0; i < 256; i++) {
      try {
        writeFileSync(file, i === 0 ? chunk : chunk, { flag: i === 0 ? 'w' : 'a' });
        written += chunk.length;
      } catch {
        break;
      }
    }
    // top off byte by byte-ish: the last partial megabyte
    for (const size of [65536, 4096, 512]) {
      const c = Buffer.alloc(size, 0x5a);
      for (let i = 0; i < 64; i++) {
        try {
          writeFileSync(file, c, { flag: 'a' });
          written += size;
        } catch {
          break;
        }
      }
    }
    return written;
  }

  freeDisk(n: SecNode): void {
    rmSync(join(n.mount, 'filler'), { force: true });
  }

  rssMiB(n: SecNode): number | null {
    if (!n.child || n.pid <= 0) return null;
    try {
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${n.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : null;
    } catch {
      return null;
    }
  }

  url(n: SecNode, path: string, port: number = PORTS.api): string {
    return `http://${n.ip}:${port}${path}`;
  }

  async http(n: SecNode, method: string, path: string, body?: unknown, opts: { token?: 'user' | 'admin' | 'none'; timeoutMs?: number; user?: string } = {}): Promise<HttpResult | null> {
    const headers: Record<string, string> = {};
    const tok = opts.token ?? 'user';
    if (tok !== 'none') headers.authorization = `Bearer ${tok === 'admin' ? this.secrets.adminToken : this.secrets.userToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.user) headers['x-peerboard-user'] = opts.user;
    try {
      const res = await fetch(this.url(n, path), { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: res.status, body: parsed };
    } catch {
      return null;
    }
  }

  async health(n: SecNode, timeoutMs = 2000): Promise<Health | null> {
    if (!n.child) return null;
    const r = await this.http(n, 'GET', '/api/health', undefined, { timeoutMs });
    return r && r.status === 200 ? (r.body as Health) : null;
  }

  /** the one node every answering node calls master, with quorum */
  async master(): Promise<{ node: SecNode; health: Health } | null> {
    const hs = await Promise.all(this.nodes.map(async (n) => ({ n, h: await this.health(n) })));
    const masters = hs.filter((x) => x.h?.role === 'master' && x.h.quorum);
    if (masters.length !== 1) return null;
    const m = masters[0]!;
    if (!hs.every((x) => x.h === null || x.h.leader?.nodeId === m.n.id)) return null;
    return { node: m.n, health: m.h! };
  }

  async waitForMaster(timeoutMs: number, pred?: (h: Health) => boolean): Promise<{ node: SecNode; health: Health } | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const m = await this.master();
      if (m && (!pred || pred(m.health))) return m;
      await sleep(200);
    }
    return null;
  }

  /** the harness's own log tail of node n (for the report when something failed) */
  logTail(n: SecNode, lines = 8): string {
    try {
      return readFileSync(n.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}
