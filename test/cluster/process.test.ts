// Real headless node processes on loopback: kill -9 of the master process loses no acknowledged
// reservation, a new master takes over, and the killed node restarts from its data directory.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { api, freeUdpPort, waitFor } from './cluster-helpers.js';

async function freeTcpPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Proc {
  name: string;
  dir: string;
  apiPort: number;
  peerPort: number;
  child: ChildProcess;
}

describe('headless processes', () => {
  const procs: Proc[] = [];
  let discovery = 0;
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    for (const p of procs) rmSync(p.dir, { recursive: true, force: true });
  });

  function start(p: Omit<Proc, 'child'>): Proc {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'node-core/src/cli/main.ts', '--headless', '--cluster-id', 'proc', '--node-id', p.name, '--data-dir', p.dir, '--broadcast-address', '127.255.255.255', '--advertise-ip', '127.0.0.1', '--discovery-port', String(discovery), '--peer-port', String(p.peerPort), '--api-port', String(p.apiPort), '--ui-port', '-1', '--frontend-url', '', '--log-level', 'warn', '--heartbeat-interval-ms', '200', '--election-timeout-ms', '400', '--fetch-max-wait-ms', '100', '--discovery-window-ms', '800'],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, PEERBOARD_SETTINGS_DIR: p.dir } },
    );
    return { ...p, child };
  }
  const url = (p: Proc) => `http://127.0.0.1:${p.apiPort}`;
  type Health = { role: string; voters: string[]; quorum: boolean; stale: boolean };

  it('kill -9 of the master keeps every acknowledged reservation', async () => {
    discovery = await freeUdpPort();
    for (const name of ['p1', 'p2', 'p3']) {
      procs.push(start({ name, dir: mkdtempSync(join(tmpdir(), `pb-${name}-`)), apiPort: await freeTcpPort(), peerPort: await freeTcpPort() }));
    }
    const masterOf = async (among: Proc[]) => {
      const hs = await Promise.all(among.map(async (p) => ({ p, h: (await api<Health>(url(p), 'GET', '/api/health')).body })));
      const ms = hs.filter((x) => x.h.role === 'master' && x.h.quorum && !x.h.stale);
      return ms.length === 1 && hs.every((x) => x.h.voters.length === 3) ? ms[0]!.p : undefined;
    };
    const m = await waitFor('a master with 3 voters', () => masterOf(procs), 30_000, 50);
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      const via = procs[i % 3]!;
      expect((await api(url(via), 'POST', '/api/servers', { host: `h${i}` })).status).toBe(201);
      const r = await api(url(via), 'POST', `/api/servers/h${i}/reserve`, { user: `u${i}`, durationSec: 3600 });
      expect(r.status).toBe(200);
      acked.push(`h${i}`);
    }
    m.child.kill('SIGKILL');
    const rest = procs.filter((p) => p !== m);
    const m2 = await waitFor('a new master', async () => {
      const hs = await Promise.all(rest.map(async (p) => ({ p, h: (await api<Health>(url(p), 'GET', '/api/health')).body })));
      return hs.find((x) => x.h.role === 'master' && x.h.quorum && !x.h.stale)?.p;
    }, 15_000, 20);
    for (const host of acked) {
      const s = await api<{ holder: string }>(url(m2), 'GET', `/api/servers/${host}`);
      expect(s.body.holder).toBe(`u${host.slice(1)}`);
    }
    // the killed node comes back from its data directory and catches up
    const again = start({ name: m.name, dir: m.dir, apiPort: m.apiPort, peerPort: m.peerPort });
    procs[procs.indexOf(m)] = again;
    expect((await api(url(m2), 'POST', '/api/servers', { host: 'after' })).status).toBe(201);
    await waitFor('restarted node has everything', async () => (await api(url(again), 'GET', '/api/servers/after')).status === 200 && (await api<{ holder: string }>(url(again), 'GET', '/api/servers/h0')).body.holder === 'u0', 20_000, 50);
  }, 90_000);
});
