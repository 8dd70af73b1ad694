// The board store over the fake node: loads the view, follows pushed events (patch the rows a change
// names, refetch one that names none, patch role/cluster), and never changes the view before the node does.
import { describe, expect, it } from 'vitest';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import { explainBlock, useBoardStore } from '../../../renderer/src/stores/board-store.js';
import { NOW, rig, smallBoard, until } from '../helpers.js';

function setup() {
  const r = rig({ board: smallBoard(demoBoard(NOW)) });
  const board = useBoardStore();
  board.start();
  return { ...r, board };
}
const getStates = (calls: Array<{ method: string }>) => calls.filter((c) => c.method === 'getState').length;

describe('useBoardStore', () => {
  it('loads the view when started and subscribes once', async () => {
    const { api, board } = setup();
    await until(() => expect(board.servers).toHaveLength(6));
    board.start();
    expect(api.listenerCount).toBe(1);
    expect(board.role).toBe('master');
    expect(board.canWrite).toBe(true);
    expect(board.link).toBe('open');
  });

  it('refetches once for a burst of change events', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    const before = getStates(api.calls);
    api.board.servers[0]!.comment = 'changed elsewhere';
    for (let i = 0; i < 5; i++) api.emit({ type: 'change', index: 200 + i, request: null });
    await until(() => expect(board.servers[0]?.comment).toBe('changed elsewhere'));
    await new Promise((r) => setTimeout(r, 80));
    expect(getStates(api.calls) - before).toBe(1);
  });

  it('patches the rows a change event names, without refetching the board', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    const before = getStates(api.calls);
    const v0 = board.view!;
    const web = { ...board.servers.find((s) => s.host === 'web-01')!, holder: 'erin', available: false, action: 'Reserved', until: 2_000_000_000 };
    const added = { ...web, host: 'new-07', holder: null, available: true, action: 'Available', until: null };
    const request = { nodeIP: '10.0.0.9', timestamp: 1, operation: 'reserve', serverHost: 'web-01', comment: '', id: v0.appliedIndex + 1, user: 'erin', nodeId: 'n9', result: 'ok' as const };
    api.emit({ type: 'change', index: v0.appliedIndex + 1, request, rows: [web, added], removed: ['db-03'], lastUpdate: 77 });
    expect(board.servers.map((s) => s.host)).toEqual(['web-01', 'mid-02', 'zeta-04', 'api-05', 'web-06', 'new-07']);
    expect(board.servers[0]).toBe(web);
    // the untouched rows are the same objects: nothing else re-renders
    expect(board.servers[1]).toBe(v0.serversData.serversList[1]);
    expect(board.view?.serversData.lastUpdate).toBe(77);
    expect(board.view?.userRequests[0]).toEqual(request);
    expect(board.view?.appliedIndex).toBe(v0.appliedIndex + 1);
    // presence batches touch no row and write no history: the view object stays (no repaint)
    const v1 = board.view;
    api.emit({ type: 'change', index: v0.appliedIndex + 2, request: null, rows: [], removed: [] });
    expect(board.view).toBe(v1);
    await new Promise((r) => setTimeout(r, 80));
    expect(getStates(api.calls)).toBe(before);
    // a change that cannot name its rows refetches once
    api.emit({ type: 'change', index: v0.appliedIndex + 3, request: null, full: true });
    await until(() => expect(getStates(api.calls)).toBe(before + 1));
  });

  it('keeps changes that arrive while a full view is on its way and applies them on top, without another fetch', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    await new Promise((r) => setTimeout(r, 80));
    const before = getStates(api.calls);
    api.emit({ type: 'change', index: 10_000, request: null, full: true });
    // during the debounce and the fetch: a steady stream of changes with rows
    const api5 = { ...board.servers.find((s) => s.host === 'api-05')!, comment: 'patched during the fetch' };
    for (let i = 1; i <= 5; i++) api.emit({ type: 'change', index: 10_000 + i, request: null, rows: [api5], removed: [] });
    await until(() => expect(board.servers.find((s) => s.host === 'api-05')?.comment).toBe('patched during the fetch'));
    await new Promise((r) => setTimeout(r, 120));
    expect(getStates(api.calls)).toBe(before + 1);
  });

  it('patches the role and the cluster from events', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    api.setRole('candidate');
    expect(board.role).toBe('candidate');
    expect(board.view?.clusterView.find((n) => n.nodeId === board.self?.nodeId)?.role).toBe('candidate');
    api.setQuorum(false);
    expect(board.view?.quorum).toBe(false);
    expect(board.canWrite).toBe(false);
    await until(() => expect(board.readOnlyReason).toBe('No quorum: this node reaches 1 of 3 voters'));
    api.setQuorum(true);
    expect(board.canWrite).toBe(true);
  });

  it('returns the node verdict and changes nothing on a refused write', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    const before = JSON.stringify(board.view?.serversData);
    const r = await board.reserve({ host: 'mid-02', user: 'dana', durationSec: 3600 });
    expect(r.ok).toBe(false);
    // the real board's words (the demo API runs the board state machine)
    expect(!r.ok && r.error).toMatchObject({ code: 'CONFLICT', details: { holder: 'alice' } });
    expect(!r.ok && r.error.message).toMatch(/^mid-02 is reserved by alice until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(JSON.stringify(board.view?.serversData)).toBe(before);
    expect(api.calls.at(-1)?.method).toBe('reserve');
  });

  it('shows a granted write only once the node state has it', async () => {
    const { board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    const r = await board.reserve({ host: 'web-01', user: 'dana', durationSec: 1800 });
    expect(r.ok).toBe(true);
    await until(() => expect(board.servers.find((s) => s.host === 'web-01')?.holder).toBe('dana'));
  });

  it('keeps the last view and records the error when a refresh fails', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    api.failNext('getState', { code: 'SERVICE_UNAVAILABLE', message: 'Cannot reach the Peerboard node' });
    await board.refresh();
    expect(board.loadError?.code).toBe('SERVICE_UNAVAILABLE');
    expect(board.servers).toHaveLength(6);
  });

  it('takes the hello view of a reopened stream, and refetches on reopen without one', async () => {
    const { api, board } = setup();
    await until(() => expect(board.view).not.toBeNull());
    api.setLink('closed');
    expect(board.link).toBe('closed');
    const before = getStates(api.calls);
    api.setLink('open');
    await until(() => expect(getStates(api.calls)).toBe(before + 1));
    const r = await api.getState();
    if (!r.ok) throw new Error('state');
    r.value.serversData.serversList = [];
    api.setLink('open', r.value);
    expect(board.servers).toHaveLength(0);
  });

  it('explains block codes in words', () => {
    expect(explainBlock('NO_QUORUM')).toMatch(/^No quorum/);
    expect(explainBlock('Leader lease lost.')).toBe('Leader lease lost');
  });
});
