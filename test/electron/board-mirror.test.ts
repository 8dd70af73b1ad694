// board-mirror.ts: the main process's board copy patched from change events (O(rows) per event),
// and routeBoardUpdate: rows to the notifier, the tray only when the user's holds change.
import { describe, expect, it } from 'vitest';
import { BoardMirror, routeBoardUpdate } from '../../electron/board-mirror.js';
import { Notifier } from '../../electron/notifications.js';
import { FakeNotification } from './fake-electron.js';
import { boardView, server } from './fake-node.js';

const NOW = 1_700_000_000;

describe('BoardMirror', () => {
  it('needs a full view first, then patches rows, removals and the status', () => {
    const m = new BoardMirror();
    expect(m.apply({ type: 'change', index: 1, request: null, rows: [], removed: [] })).toEqual({ kind: 'full' });
    m.reset(boardView([server('a'), server('b')]));
    const a2 = server('a', { holder: 'ann', until: NOW + 60 });
    expect(m.apply({ type: 'change', index: 2, request: null, rows: [a2], removed: ['b', 'zz'] })).toEqual({
      kind: 'rows',
      rows: [
        { host: 'a', before: server('a'), after: a2 },
        { host: 'b', before: server('b'), after: undefined },
      ],
    });
    expect(m.size).toBe(1);
    expect(m.heldBy('ann')).toEqual([a2]);
    expect(m.apply({ type: 'change', index: 3, request: null, rows: [], removed: [] })).toEqual({ kind: 'none' });
    expect(m.apply({ type: 'change', index: 4, request: null })).toEqual({ kind: 'full' });
    expect(m.apply({ type: 'change', index: 5, request: null, full: true })).toEqual({ kind: 'full' });
    expect(m.apply({ type: 'role', role: 'master', ip: 'x', nodeId: 'n1', term: 4 })).toEqual({ kind: 'status' });
    expect(m.status?.self).toMatchObject({ role: 'master', term: 4 });
    expect(m.apply({ type: 'role', role: 'master', ip: 'x', nodeId: 'other', term: 4 })).toEqual({ kind: 'none' });
  });
});

describe('routeBoardUpdate', () => {
  it("notifies from the changed rows only and updates the tray only for the user's holds", () => {
    FakeNotification.shown = [];
    const m = new BoardMirror();
    const queued = server('db', { holder: 'bob', until: NOW + 600, since: NOW - 10, queue: [{ user: 'ann', durationSec: 600, comment: '', since: NOW - 5 }] });
    m.reset(boardView([queued, server('x')]));
    const notifier = new Notifier({ Notification: FakeNotification as never, user: () => 'ann', now: () => NOW * 1000 });
    const trays: number[] = [];
    const to = { notifier, tray: { update: (v: unknown) => trays.push(v ? 1 : 0) }, user: 'ann' };
    routeBoardUpdate(m, { kind: 'full' }, to);
    expect(trays).toHaveLength(1);
    // someone else's row changes: no note, no tray update
    routeBoardUpdate(m, m.apply({ type: 'change', index: 2, request: null, rows: [server('x', { holder: 'carl' })], removed: [] }), to);
    expect(trays).toHaveLength(1);
    expect(FakeNotification.shown).toEqual([]);
    // bob releases: ann is first in the queue and gets it
    const granted = server('db', { holder: 'ann', until: NOW + 600, since: NOW });
    routeBoardUpdate(m, m.apply({ type: 'change', index: 3, request: null, rows: [granted], removed: [] }), to);
    expect(FakeNotification.shown.map((n) => n.title)).toEqual(['db: your reservation ends soon', 'db is yours']);
    expect(trays).toHaveLength(2);
    // becoming master
    routeBoardUpdate(m, m.apply({ type: 'role', role: 'master', ip: 'x', nodeId: 'n1', term: 2 }), to);
    expect(FakeNotification.shown.at(-1)?.title).toBe('This computer is now the master');
    // the periodic re-check reads the user's holds and does not repeat a note
    notifier.recheckFrom(() => m.viewOf(m.heldBy('ann')));
    expect(notifier.recheck()).toEqual([]);
  });
});
