// The board store over the fake node: loads the view, follows pushed events (refetch on change,
// patch on role/cluster), and never changes the view before the node does.
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
