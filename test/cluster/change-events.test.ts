// Issue 11, events that carry what changed: on a real 3-node cluster every node's 'change' event
// names the rows the entry touched, exactly as that node's board now has them, and the same event
// reaches a web client over SSE; a presence batch names none, an inventory replace says `full`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeEvent, PeerEvent } from '../../node-core/src/api/peer-api.js';
import { api, threeNodes, waitFor, type TestCluster } from './cluster-helpers.js';

describe('change events name their rows', () => {
  let c: TestCluster;
  const seen = new Map<string, ChangeEvent[]>();

  beforeAll(async () => {
    c = await threeNodes();
    for (const t of c.nodes) {
      seen.set(t.name, []);
      t.node.events.on('event', (e: PeerEvent) => void (e.type === 'change' && seen.get(t.name)!.push(e)));
    }
    const m = c.master()!;
    const r = await api(m.api, 'POST', '/api/servers/import', { serversList: [{ host: 'ce-1' }, { host: 'ce-2' }, { host: 'ce-3' }] });
    expect(r.status).toBe(200);
  });
  afterAll(async () => c?.close());

  it('a reserve made on a slave: every node emits the reserved row as its board has it', async () => {
    const slave = c.nodes.find((t) => t !== c.master())!;
    const r = await api(slave.api, 'POST', '/api/servers/ce-2/reserve', { user: 'ann', durationSec: 600, comment: 'x' });
    expect(r.status).toBe(200);
    for (const t of c.nodes) {
      const e = await waitFor(`${t.name} saw the reserve`, () => seen.get(t.name)!.find((x) => x.request?.operation === 'reserve' && x.request.serverHost === 'ce-2'));
      expect(e.full).toBeUndefined();
      expect(e.removed).toEqual([]);
      expect(e.rows).toEqual([t.node.server('ce-2')]);
      expect(e.rows?.[0]).toMatchObject({ host: 'ce-2', holder: 'ann', comment: 'x' });
      expect(e.lastUpdate).toBe(t.node.view().serversData.lastUpdate);
    }
  });

  it('a removal names the host as removed; an import that replaces says full', async () => {
    const m = c.master()!;
    expect((await api(m.api, 'DELETE', '/api/servers/ce-3')).status).toBe(200);
    const rm = await waitFor('remove event', () => seen.get(m.name)!.find((x) => x.request?.operation === 'server-remove'));
    expect(rm).toMatchObject({ rows: [], removed: ['ce-3'] });
    expect((await api(m.api, 'POST', '/api/servers/import', { serversList: [{ host: 'ce-1' }, { host: 'ce-2' }], replace: true })).status).toBe(200);
    const full = await waitFor('replace event', () => seen.get(m.name)!.find((x) => x.full === true));
    expect(full.rows).toBeUndefined();
  });

  it('no change event copies the board: each carries at most the rows it names', () => {
    for (const events of seen.values()) for (const e of events) expect((e.rows?.length ?? 0) + (e.removed?.length ?? 0)).toBeLessThanOrEqual(3);
  });

  it('over SSE the change event carries the same rows', async () => {
    const t = c.nodes[1]!;
    const ac = new AbortController();
    const res = await fetch(`${t.api}/api/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);
    await waitFor('hello', () => text.includes('event: hello'));
    const r = await api(c.master()!.api, 'POST', '/api/servers/ce-1/reserve', { user: 'bob', durationSec: 600 });
    expect(r.status).toBe(200);
    const frame = await waitFor('the change frame', () => text.split('\n\n').find((f) => f.startsWith('event: change') && f.includes('"ce-1"') && f.includes('"bob"')));
    const data = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as ChangeEvent;
    expect(data.rows).toEqual([t.node.server('ce-1')]);
    // a change frame is small: one row, not the board
    expect(frame.length).toBeLessThan(2000);
    ac.abort();
    await read;
  });
});
