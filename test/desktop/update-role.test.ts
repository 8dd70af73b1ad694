// Issue 11: role changes inside the app come from node events, never from a POST to the app's own
// /updateRole. A hostile local POST reaches nothing in the app (no event to the window, the mirror
// keeps the node's real role); with tokens set, /updateRole refuses no token and a wrong one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PeerEvent } from '../../node-core/src/api/peer-api.js';
import { startHttp, type HttpHandle } from '../../node-core/src/http/index.js';
import { silentLogger } from '../../node-core/src/log.js';
import type { PeerNode } from '../../node-core/src/node.js';
import { NodeHost } from '../../electron/node-host.js';
import { defaultSettings } from '../../electron/settings-schema.js';
import { api, freeUdpPort, TestCluster, waitFor } from '../cluster/cluster-helpers.js';
import { loopbackFactory } from './desktop-harness.js';

const hostile = { role: 'master', ip: '6.6.6.6' };

describe('role changes in the app come from node events', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it("a POST to the app node's own /updateRole changes nothing in the app", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-update-role-'));
    const nodes: PeerNode[] = [];
    const https: HttpHandle[] = [];
    const base = loopbackFactory('solo', nodes);
    const sent: PeerEvent[] = [];
    const host = new NodeHost({
      factory: { createNode: base.createNode, startHttp: async (n, o) => https[https.push(await startHttp(n, o)) - 1]! },
      logger: silentLogger(),
      userDataDir: dir,
      send: (e) => sent.push(e),
    });
    cleanup.push(async () => {
      await host.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    await host.start({ ...defaultSettings(), user: 'erin', clusterId: 'solo', clusterKey: 'k'.repeat(32), apiPort: 0, uiPort: 0, peerPort: 0, discoveryPort: await freeUdpPort(), onboarded: true });
    await waitFor('the lone node is master', () => nodes[0]!.raft.role === 'master', 15_000);
    await waitFor('the window heard it from the node', () => sent.some((e) => e.type === 'role' && e.role === 'master'));
    expect(nodes[0]!.config.frontendUrl).toBe('');
    const ui = `http://127.0.0.1:${https[0]!.uiPort}`;
    const before = sent.length;
    // no tokens on a desktop node: the port is loopback-only and the route answers, but the app does not listen
    const r = await api(ui, 'POST', '/updateRole', { role: 'slave', ip: '6.6.6.6' });
    expect(r.status).toBe(200);
    // the route calls its callback before it answers: had the app installed one, the event would be here
    expect(sent.slice(before).filter((e) => e.type === 'role')).toEqual([]);
    expect(host.mirror.status?.self.role).toBe('master');
  });

  it('with tokens, /updateRole refuses no token and a wrong token, and nothing reaches the role stream', async () => {
    const c = await TestCluster.create({ userToken: 'user-token-0123456789', adminToken: 'admin-token-0123456789' });
    cleanup.push(() => c.close());
    const t = await c.add('tok', { uiPort: 0 });
    const ui = `http://127.0.0.1:${t.http.uiPort}`;
    const events: PeerEvent[] = [];
    t.node.events.on('event', (e) => events.push(e));
    const none = await api(ui, 'POST', '/updateRole', hostile);
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    const wrong = await api(ui, 'POST', '/updateRole', hostile, { authorization: 'Bearer not-the-token' });
    expect(wrong.status).toBe(401);
    const garbage = await api(ui, 'POST', '/updateRole', hostile, { authorization: 'Basic dXNlcjpwYXNz' });
    expect(garbage.status).toBe(401);
    // the same on a board write, for comparison: no token, no change
    const write = await api(t.api, 'POST', '/api/servers/x/reserve', { user: 'eve', durationSec: 60 });
    expect(write.status).toBe(401);
    expect(events.filter((e) => e.type === 'role' && e.ip === '6.6.6.6')).toEqual([]);
    // the right token is accepted (seed 000's frontend contract), and still emits no node event
    const ok = await api(ui, 'POST', '/updateRole', hostile, { authorization: 'Bearer user-token-0123456789' });
    expect(ok.status).toBe(200);
    expect(events.filter((e) => e.type === 'role' && e.ip === '6.6.6.6')).toEqual([]);
  });
});
