// Real headless node processes on loopback: kill -9 of the master process loses no acknowledged
// reservation, a new master takes over, and the killed node restarts from its data directory.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { api, freeUdpPort, waitFor } from './cluster-helpers.js';
import { type HeadlessProc, masterAmong, startHeadless } from './process-helpers.js';

describe('headless processes', () => {
  const procs: HeadlessProc[] = [];
  let discovery = 0;
  afterAll(() => {
    for (const p of procs) p.child.kill('SIGKILL');
    for (const p of procs) rmSync(p.dir, { recursive: true, force: true });
  });

  const opts = () => ({ clusterId: 'proc', discoveryPort: discovery });

  it('kill -9 of the master keeps every acknowledged reservation', async () => {
    discovery = await freeUdpPort();
    procs.push(...(await Promise.all(['p1', 'p2', 'p3'].map((name) => startHeadless(opts(), name)))));
    const m = await waitFor('a master with 3 voters', () => masterAmong(procs, 3), 30_000, 50);
    const acked: string[] = [];
    for (let i = 0; i < 30; i++) {
      const via = procs[i % 3]!;
      expect((await api(via.url, 'POST', '/api/servers', { host: `h${i}` })).status).toBe(201);
      const r = await api(via.url, 'POST', `/api/servers/h${i}/reserve`, { user: `u${i}`, durationSec: 3600 });
      expect(r.status).toBe(200);
      acked.push(`h${i}`);
    }
    m.child.kill('SIGKILL');
    const rest = procs.filter((p) => p !== m);
    const m2 = await waitFor('a new master', () => masterAmong(rest, 3), 15_000, 20);
    for (const host of acked) {
      const s = await api<{ holder: string }>(m2.url, 'GET', `/api/servers/${host}`);
      expect(s.body.holder).toBe(`u${host.slice(1)}`);
    }
    // the killed node comes back from its data directory and catches up
    const again = await startHeadless(opts(), m.name, m.dir, { apiPort: m.apiPort, peerPort: m.peerPort, uiPort: -1 });
    procs[procs.indexOf(m)] = again;
    expect((await api(m2.url, 'POST', '/api/servers', { host: 'after' })).status).toBe(201);
    await waitFor('restarted node has everything', async () => (await api(again.url, 'GET', '/api/servers/after')).status === 200 && (await api<{ holder: string }>(again.url, 'GET', '/api/servers/h0')).body.holder === 'u0', 20_000, 50);
  }, 90_000);
});
