// Real headless node processes on loopback for tests: `node --import tsx node-core/src/cli/main.ts
// --headless`, broadcasting to 127.255.255.255 with millisecond timings, on ports found free.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, waitFor } from './cluster-helpers.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';

export interface HeadlessProc {
  name: string;
  dir: string;
  apiPort: number;
  peerPort: number;
  /** -1: no frontend port */
  uiPort: number;
  child: ChildProcess;
  url: string;
  /** the JSON log lines it printed so far (with HeadlessOptions.captureLog) */
  log: () => Array<{ msg: string; [k: string]: unknown }>;
}

export interface HeadlessOptions {
  clusterId: string;
  discoveryPort: number;
  /** serve this built renderer on the UI port (web mode) */
  uiDir?: string;
  /** repository root (the child's working directory) */
  cwd?: string;
  /** keep the process's stdout (its JSON log) for HeadlessProc.log() */
  captureLog?: boolean;
  /** the shared key (default TEST_CLUSTER_KEY, passed as PEERBOARD_CLUSTER_KEY, not on the command line); null: --open-cluster */
  clusterKey?: string | null;
}

export async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** spawns one process on the given ports and data directory (no wait) */
export function spawnHeadless(o: HeadlessOptions, p: Omit<HeadlessProc, 'child' | 'url' | 'log'>): HeadlessProc {
  const args = ['--import', 'tsx', 'node-core/src/cli/main.ts', '--headless', '--cluster-id', o.clusterId, '--node-id', p.name, '--user', p.name, '--data-dir', p.dir];
  // loopback only: broadcasts go to 127.255.255.255
  args.push('--broadcast-address', '127.255.255.255', '--advertise-ip', '127.0.0.1', '--discovery-port', String(o.discoveryPort), '--peer-port', String(p.peerPort));
  args.push('--api-port', String(p.apiPort), '--ui-port', String(p.uiPort), '--frontend-url', '', '--log-level', o.captureLog ? 'info' : 'warn');
  // the loan port is one per host (8781): each process picks its own
  args.push('--loan-port', '0');
  if (o.uiDir) args.push('--ui-dir', o.uiDir);
  args.push('--heartbeat-interval-ms', '200', '--election-timeout-ms', '400', '--fetch-max-wait-ms', '100', '--discovery-window-ms', '800');
  // any free loan port: the default 8781 would collide between the processes of one test
  args.push('--loan-port', '0');
  if (o.clusterKey === null) args.push('--open-cluster');
  const keyEnv = o.clusterKey === null ? {} : { PEERBOARD_CLUSTER_KEY: o.clusterKey ?? TEST_CLUSTER_KEY };
  const child = spawn(process.execPath, args, { cwd: o.cwd, stdio: ['ignore', o.captureLog ? 'pipe' : 'ignore', 'inherit'], env: { ...process.env, ...keyEnv, PEERBOARD_SETTINGS_DIR: p.dir } });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const log = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
  return { ...p, child, url: `http://127.0.0.1:${p.apiPort}`, log };
}

/**
 * Starts a process and waits until its API answers. A port found free may be taken by another
 * test file running in parallel before the child binds it (the child then exits with "address
 * already in use"): it is started again on new ports, at most three times.
 */
export async function startHeadless(o: HeadlessOptions, name: string, dir = mkdtempSync(join(tmpdir(), `pb-${name}-`)), keepPorts?: { apiPort: number; peerPort: number; uiPort: number }): Promise<HeadlessProc> {
  for (let attempt = 1; ; attempt++) {
    const ports = attempt === 1 && keepPorts ? keepPorts : { apiPort: await freeTcpPort(), peerPort: await freeTcpPort(), uiPort: o.uiDir ? await freeTcpPort() : -1 };
    const p = spawnHeadless(o, { name, dir, ...ports });
    let exitCode: number | null | undefined;
    p.child.once('exit', (code) => (exitCode = code));
    await waitFor(`${name} answering`, async () => exitCode !== undefined || (await api(p.url, 'GET', '/api/health')).status === 200, 30_000, 50);
    if (exitCode === undefined) return p;
    if (attempt === 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${name} exited with code ${String(exitCode)} three times`);
    }
  }
}

export interface ProcHealth {
  role: string;
  voters: string[];
  quorum: boolean;
  stale: boolean;
  leader: { nodeId: string } | null;
}

/**
 * The one live master among these processes, with a quorum, `voters` voters on every one of them
 * and followed by all; undefined while that is not so (or one does not answer).
 */
export async function masterAmong(among: HeadlessProc[], voters: number): Promise<HeadlessProc | undefined> {
  const hs = await Promise.all(among.map((p) => api<ProcHealth>(p.url, 'GET', '/api/health').then((r) => r.body, () => undefined)));
  const masters = among.filter((_, i) => hs[i]?.role === 'master' && hs[i].quorum && !hs[i].stale);
  if (masters.length !== 1) return undefined;
  const m = masters[0]!;
  return hs.every((h) => h?.voters.length === voters && h.leader?.nodeId === m.name) ? m : undefined;
}
