// notifications.ts: the pure decision (ending soon once per hold, queue granted, became master)
// and the Notifier that shows each note once through Electron's Notification.
import { afterEach, describe, expect, it } from 'vitest';
import { decideNotifications, Notifier } from '../../electron/notifications.js';
import { FakeNotification } from './fake-electron.js';
import { boardView, server } from './fake-node.js';

const NOW = 1_700_000_000;
const held = (host: string, user: string, until: number, since = NOW - 3600) => server(host, { holder: user, until, since, available: false, action: 'Reserved' });
const queued = (host: string, holder: string, waiting: string) =>
  server(host, { holder, until: NOW + 60, since: NOW - 100, queue: [{ user: waiting, durationSec: 600, comment: '', since: NOW - 50 }] });

describe('decideNotifications', () => {
  it('warns when one of my holds ends within 10 minutes, not for others or later ends', () => {
    const next = boardView([held('web-1', 'alice', NOW + 300), held('web-2', 'alice', NOW + 3600), held('web-3', 'bob', NOW + 60), held('web-4', 'alice', NOW - 1)]);
    const notes = decideNotifications(null, next, 'alice', NOW);
    expect(notes.map((n) => [n.kind, n.title])).toEqual([['ending-soon', 'web-1: your reservation ends soon']]);
    expect(notes[0]!.body).toContain('5 minutes');
  });

  it('warns at exactly 10 minutes left but not at 10 minutes and one second', () => {
    expect(decideNotifications(null, boardView([held('a', 'alice', NOW + 600)]), 'alice', NOW)).toHaveLength(1);
    expect(decideNotifications(null, boardView([held('a', 'alice', NOW + 601)]), 'alice', NOW)).toHaveLength(0);
  });

  it('warns once per hold: the shown key suppresses it, an extension is a new deadline', () => {
    const v = boardView([held('web-1', 'alice', NOW + 300)]);
    const [first] = decideNotifications(null, v, 'alice', NOW);
    const shown = new Set([first!.key]);
    expect(decideNotifications(v, v, 'alice', NOW + 60, shown)).toEqual([]);
    const extended = boardView([held('web-1', 'alice', NOW + 900)]);
    expect(decideNotifications(v, extended, 'alice', NOW + 400, shown)).toHaveLength(1);
    // a new hold of the same server (new since) is a new occasion too
    const again = boardView([held('web-1', 'alice', NOW + 300, NOW + 1)]);
    expect(decideNotifications(v, again, 'alice', NOW + 2, shown)).toHaveLength(1);
  });

  it('tells me when a server I queued for is granted to me', () => {
    const prev = boardView([queued('db-1', 'bob', 'alice'), queued('db-2', 'bob', 'carol')]);
    const next = boardView([held('db-1', 'alice', NOW + 3600, NOW), held('db-2', 'carol', NOW + 3600, NOW)]);
    const notes = decideNotifications(prev, next, 'alice', NOW);
    expect(notes.map((n) => [n.kind, n.title])).toEqual([['granted', 'db-1 is yours']]);
    // not on the first view (no previous board to compare) and not when I simply reserved it
    expect(decideNotifications(null, next, 'alice', NOW)).toEqual([]);
    expect(decideNotifications(boardView([server('db-1')]), next, 'alice', NOW)).toEqual([]);
  });

  it('tells me when this node becomes master, not when it already was or on the first view', () => {
    const slave = boardView([], { role: 'slave', term: 1 });
    const master = boardView([], { role: 'master', term: 2 });
    expect(decideNotifications(slave, master, 'alice', NOW).map((n) => n.kind)).toEqual(['master']);
    expect(decideNotifications(master, master, 'alice', NOW)).toEqual([]);
    expect(decideNotifications(null, master, 'alice', NOW)).toEqual([]);
    expect(decideNotifications(master, slave, 'alice', NOW)).toEqual([]);
  });
});

describe('Notifier', () => {
  afterEach(() => {
    FakeNotification.shown = [];
    FakeNotification.supported = true;
  });

  it('shows each note once across repeated views and uses the clock it is given', () => {
    let nowMs = NOW * 1000;
    const clicks: number[] = [];
    const n = new Notifier({ Notification: FakeNotification as never, user: () => 'alice', now: () => nowMs, onClick: () => clicks.push(1) });
    const v = boardView([held('web-1', 'alice', NOW + 900)]);
    expect(n.onView(v)).toEqual([]); // 15 minutes left
    nowMs += 6 * 60_000; // 9 minutes left: the periodic re-check finds it
    expect(n.onView(v)).toHaveLength(1);
    nowMs += 60_000;
    expect(n.onView(v)).toHaveLength(0);
    expect(FakeNotification.shown).toEqual([{ title: 'web-1: your reservation ends soon', body: expect.stringContaining('9 minutes') }]);
  });

  it('stays quiet where notifications are not supported', () => {
    FakeNotification.supported = false;
    const n = new Notifier({ Notification: FakeNotification as never, user: () => 'alice', now: () => NOW * 1000 });
    n.onView(boardView([held('web-1', 'alice', NOW + 60)]));
    expect(FakeNotification.shown).toEqual([]);
  });
});
