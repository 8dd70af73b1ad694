// Real broadcast on the default ports (UDP 8779, TCP 8780, HTTP 8777) across three network
// namespaces joined by a bridge: three headless node processes find each other with no
// configuration but the broadcast address, elect a master and replicate. Needs root for `ip netns`;
// skipped with the reason otherwise. Every name starts with pbt- and every address is in
// 10.232.0.0/24, which exists only inside these namespaces (plus one root-side veth to reach them).
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor } from './cluster-helpers.js';
import { TEST_CLUSTER_KEY } from '../test-key.js';

const N = 3;
const BR = 'pbt-br';
const ip = (i: number) => `10.232.0.${10 + i}`;
const ns = (i: number) => `pbt-n${i}`;

function why(): string | null {
  if (process.getuid?.() !== 0) return 'needs root to create network namespaces';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.status === 0 ? null : `ip netns unavailable: ${r.stderr || r.error?.message}`;
}
const skip = why();
const sh = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe', timeout: 10_000 });
const quiet = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore', timeout: 10_000 });

function teardown(): void {
  for (let i = 1; i <= N; i++) {
    const pids = spawnSync('ip', ['netns', 'pids', ns(i)], { encoding: 'utf8', timeout: 5000 }).stdout ?? '';
    for (const pid of pids.split('\n').map(Number).filter((n) => n > 1)) spawnSync('kill', ['-9', String(pid)]);
  }
  quiet('link', 'del', 'pbt-h');
  for (let i = 1; i <= N; i++) quiet('netns', 'del', ns(i));
  quiet('netns', 'del', BR);
}

function setup(): void {
  teardown();
  sh('netns', 'add', BR);
  sh('-n', BR, 'link', 'add', 'br0', 'type', 'bridge');
  sh('-n', BR, 'link', 'set', 'br0', 'up');
  for (let i = 1; i <= N; i++) {
    sh('netns', 'add', ns(i));
    sh('-n', ns(i), 'link', 'set', 'lo', 'up');
    sh('link', 'add', `pbt-v${i}`, 'netns', ns(i), 'type', 'veth', 'peer', 'name', `pbt-p${i}`, 'netns', BR);
    sh('-n', ns(i), 'link', 'set', `pbt-v${i}`, 'name', 'eth0');
    sh('-n', ns(i), 'addr', 'add', `${ip(i)}/24`, 'broadcast', '10.232.0.255', 'dev', 'eth0');
    sh('-n', ns(i), 'link', 'set', 'eth0', 'up');
    sh('-n', BR, 'link', 'set', `pbt-p${i}`, 'master', 'br0');
    sh('-n', BR, 'link', 'set', `pbt-p${i}`, 'up');
  }
  // one veth from the root namespace so the test reaches the node APIs
  sh('link', 'add', 'pbt-h', 'type', 'veth', 'peer', 'name', 'pbt-hp', 'netns', BR);
  sh('addr', 'add', '10.232.0.2/24', 'dev', 'pbt-h');
  sh('link', 'set', 'pbt-h', 'up');
  sh('-n', BR, 'link', 'set', 'pbt-hp', 'master', 'br0');
  sh('-n', BR, 'link', 'set', 'pbt-hp', 'up');
}

describe.skipIf(skip !== null)(`three namespaces, default ports${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  beforeAll(() => {
    setup();
    for (let i = 1; i <= N; i++) {
      const dir = mkdtempSync(join(tmpdir(), `pbt-${i}-`));
      dirs.push(dir);
      const p = spawn(
        'ip',
        ['netns', 'exec', ns(i), process.execPath, '--import', 'tsx', 'node-core/src/cli/main.ts', '--headless', '--data-dir', dir, '--broadcast-address', '10.232.0.255', '--http-bind-address', '0.0.0.0', '--ui-port', '-1', '--frontend-url', '', '--log-level', 'warn', '--discovery-window-ms', '1500'],
        { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PEERBOARD_CLUSTER_KEY: TEST_CLUSTER_KEY, PEERBOARD_SETTINGS_DIR: dir } },
      );
      procs.push(p);
    }
  }, 60_000);
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    teardown();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('nodes find each other by broadcast, elect one master with 3 voters, and replicate a reservation', async () => {
    const url = (i: number) => `http://${ip(i)}:8777`;
    type Health = { role: string; voters: string[]; quorum: boolean; leader: { nodeIP: string } | null; peers: number };
    const health = async (i: number) => (await api<Health>(url(i), 'GET', '/api/health')).body;
    await waitFor('3 voters and one master', async () => {
      const hs = await Promise.all([1, 2, 3].map(health));
      return hs.filter((h) => h.role === 'master').length === 1 && hs.every((h) => h.quorum && h.voters.length === 3);
    }, 45_000, 200);
    const h1 = await health(1);
    expect(h1.leader?.nodeIP).toMatch(/^10\.232\.0\.1[123]$/);
    expect((await api(url(2), 'POST', '/api/servers', { host: 'ns-server' })).status).toBe(201);
    expect((await api(url(3), 'POST', '/api/servers/ns-server/reserve', { user: 'alice', durationSec: 600 })).status).toBe(200);
    await waitFor('visible on every node', async () => {
      const all = await Promise.all([1, 2, 3].map(async (i) => (await api<{ holder: string | null }>(url(i), 'GET', '/api/servers/ns-server')).body.holder));
      return all.every((h) => h === 'alice');
    }, 10_000, 50);
  }, 90_000);
});
