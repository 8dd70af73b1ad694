// The desktop PeerApi factory the shared contract suite uses: the built preload's functions reach the
// real ipc-main handlers and a real node of a 3-node cluster; pushed events arrive with their rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent, PeerEvent } from '../../node-core/src/api/peer-api.js';
import { api as http, threeNodes, waitFor, type TestCluster } from '../cluster/cluster-helpers.js';
import { createDesktopPeerApi } from './desktop-peer-api.js';

describe('createDesktopPeerApi (preload → ipc-main → a real node)', () => {
  let c: TestCluster;
  let made: ReturnType<typeof createDesktopPeerApi>;

  beforeAll(async () => {
    c = await threeNodes();
    expect((await http(c.master()!.api, 'POST', '/api/servers/import', { serversList: [{ host: 'pa-1' }] })).status).toBe(200);
    const slave = c.nodes.find((t) => t !== c.master())!;
    made = createDesktopPeerApi(slave.node, { user: 'admin' });
    await waitFor('the slave has the row', () => slave.node.server('pa-1'));
  });
  afterAll(async () => {
    made?.close();
    await c?.close();
  });

  it('is the preload object: kind desktop, one function per channel, results as values', async () => {
    const { api } = made;
    expect(api.kind).toBe('desktop');
    const state = await api.getState();
    expect(state.ok && state.value.serversData.serversList.map((s) => s.host)).toEqual(['pa-1']);
    const bad = await api.reserve({ host: 'pa-1', user: 'ann' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('reserves through a slave and pushes the change with the row', async () => {
    const events: PeerEvent[] = [];
    const stop = made.api.subscribe((e) => events.push(e));
    const r = await made.api.reserve({ host: 'pa-1', user: 'ann', durationSec: 600 });
    expect(r).toMatchObject({ ok: true, value: { host: 'pa-1', holder: 'ann' } });
    const e = await waitFor('the change event', () => events.find((x): x is ChangeEvent => x.type === 'change' && x.request?.operation === 'reserve'));
    expect(e.rows?.[0]).toMatchObject({ host: 'pa-1', holder: 'ann' });
    stop();
    const rel = await made.api.release({ host: 'pa-1', user: 'ann' });
    expect(rel).toMatchObject({ ok: true, value: { host: 'pa-1', holder: null } });
  });
});
