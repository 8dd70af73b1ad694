// The namespace lab of worker loans (issue 13): two farms on one bridge in 10.237.0.0/24 — farm A's
// nodes pbl-a<i> (10.237.0.1<i>), farm B's pbl-b<i> (10.237.0.2<i>) — and a slow HTTP target (pbl-tg,
// 10.237.0.50) that counts its requests by source address, so a test sees who runs farm A's checks.
// Nodes are real processes with default ports and discovery; each farm has its own cluster id and team
// key, and both share one loan key. Used by test/cluster/loans-netns.test.ts and bench/loans-bench.ts.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNsLab, exited, reachable, unavailableReason } from './ns-lab.js';

export { exited, reachable, unavailableReason };
export const lab = createNsLab('pbl-', '10.237.0', 'pbl');
export type Farm = 'a' | 'b';
export const TARGET_NS = 'pbl-tg';
export const TARGET_IP = lab.ip(50);
export const TARGET_PORT = 8080;
export const LOAN_KEY = 'pbl-shared-loan-key-0123456789';
const KEYS: Record<Farm, string> = { a: 'pbl-farm-a-team-key-0123456789abcdef', b: 'pbl-farm-b-team-key-0123456789abcdef' };
export const nodeIp = (f: Farm, i: number): string => lab.ip((f === 'a' ? 10 : 20) + i);
export const nodeNs = (f: Farm, i: number): string => `pbl-${f}${i}`;
export const nodeUrl = (f: Farm, i: number): string => `http://${nodeIp(f, i)}:8777`;

/**
 * An HTTP server that answers "ok" after DELAY_MS, counts requests by source address (GET /stats
 * answers {counts: {ip: n}, total}), and lets the test change the delay (POST /delay?ms=N).
 */
export const TARGET_SCRIPT = `
const http = require('http');
let delay = Number(process.env.DELAY_MS || 300); const counts = {}; let total = 0;
http.createServer((q, s) => {
  if (q.url.startsWith('/stats')) { s.setHeader('content-type', 'application/json'); return s.end(JSON.stringify({ counts, total })); }
  if (q.url.startsWith('/delay')) { delay = Math.min(10000, Number(new URL(q.url, 'http://x').searchParams.get('ms')) || 0); return s.end('ok'); }
  const ip = (q.socket.remoteAddress || '').replace('::ffff:', ''); counts[ip] = (counts[ip] || 0) + 1; total++;
  setTimeout(() => s.end('ok'), delay);
}).listen(${TARGET_PORT}, '0.0.0.0');`;

export class LoansLab {
  readonly procs = new Map<string, ChildProcess>();
  readonly dirs = new Map<string, string>();
  target: ChildProcess | null = null;

  constructor(
    readonly size: Record<Farm, number>,
    /** settings every node gets as flags (timings the caller shortens), on top of the defaults */
    readonly extraArgs: (f: Farm, i: number) => string[] = () => [],
  ) {}

  setup(): void {
    const members: Array<{ ns: string; ip: string }> = [];
    for (const f of ['a', 'b'] as const) for (let i = 1; i <= this.size[f]; i++) members.push({ ns: nodeNs(f, i), ip: nodeIp(f, i) });
    lab.setup([...members, { ns: TARGET_NS, ip: TARGET_IP }]);
  }

  async startTarget(delayMs: number): Promise<void> {
    this.target = lab.spawnIn(TARGET_NS, TARGET_SCRIPT, { DELAY_MS: String(delayMs) });
    const deadline = Date.now() + 10_000;
    while (!(await reachable(TARGET_IP, TARGET_PORT))) {
      if (Date.now() > deadline) throw new Error('the slow target did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** starts node i of farm f: default ports and discovery; only the cluster id, the keys, the data dir and the extra args set */
  startNode(f: Farm, i: number): void {
    const name = `${f}${i}`;
    let dir = this.dirs.get(name);
    if (!dir) {
      dir = mkdtempSync(join(tmpdir(), `pbl-${name}-`));
      this.dirs.set(name, dir);
    }
    const args = ['node-core/src/cli/main.ts', '--headless', '--data-dir', dir, '--cluster-id', `farm-${f}`, '--name', `${f}${i}`, '--http-bind-address', '0.0.0.0', '--ui-port', '-1', '--frontend-url', '', '--log-level', 'info', ...this.extraArgs(f, i)];
    const p = spawn('ip', ['netns', 'exec', nodeNs(f, i), process.execPath, '--import', 'tsx', ...args], {
      stdio: ['ignore', openSync(join(dir, 'node.log'), 'a'), 'inherit'],
      env: { ...process.env, PEERBOARD_CLUSTER_KEY: KEYS[f], PEERBOARD_LOAN_KEY: LOAN_KEY, PEERBOARD_SETTINGS_DIR: dir },
    });
    this.procs.set(name, p);
  }

  async kill(f: Farm, i: number): Promise<void> {
    const p = this.procs.get(`${f}${i}`);
    if (!p) return;
    p.kill('SIGKILL');
    await exited(p);
    this.procs.delete(`${f}${i}`);
  }

  teardown(keep = false): void {
    for (const p of [...this.procs.values(), this.target]) p?.kill('SIGKILL');
    lab.teardown();
    if (!keep) for (const d of this.dirs.values()) rmSync(d, { recursive: true, force: true });
  }
}
