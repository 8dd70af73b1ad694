// The board as people use it, mounted whole (App) over the fake node: rows and badges, search,
// filters and sort, own holds first, the reserve dialog, conflicts, read-only and stale states.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard, emptyBoard } from '../../../renderer/src/api/demo-data.js';
import type { FakeApiOptions } from '../../../renderer/src/api/fake-api.js';
import App from '../../../renderer/src/App.vue';
import { formatClock } from '../../../renderer/src/lib/time-format.js';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, NOW_SEC, rig, smallBoard, until } from '../helpers.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
  // the name also lives in a cookie (shared by every node's page on the host): start without one
  document.cookie = 'peerboard.user=; path=/; max-age=0';
  history.replaceState(null, '', '#board');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

async function mountApp(opts: FakeApiOptions = { board: smallBoard(demoBoard(NOW)) }) {
  const r = rig(opts);
  wrapper = mountIn(r, App);
  const w = wrapper;
  return { ...r, w };
}
async function mountBoard(opts?: FakeApiOptions) {
  const m = await mountApp(opts);
  await until(() => expect(m.w.findAll('tr.row').length).toBeGreaterThan(0));
  return m;
}
const hosts = (w: VueWrapper) => w.findAll('tr.row').map((r) => r.attributes('data-host'));
const row = (w: VueWrapper, host: string) => w.get(`tr[data-host="${host}"]`);

describe('board', () => {
  it('renders every server with its status badge, holder and times', async () => {
    const { w } = await mountBoard();
    expect(hosts(w)).toHaveLength(6);
    const mid = row(w, 'mid-02');
    expect(mid.get('[data-status]').text()).toBe('Reserved');
    expect(mid.text()).toContain('alice');
    expect(mid.text()).toContain('10 min ago');
    expect(mid.text()).toContain(`${formatClock(NOW_SEC + 7200)} (in 2 h)`);
    expect(mid.text()).toContain('perf run');
    expect(row(w, 'db-03').get('[data-status]').text()).toBe('Maintenance');
    expect(row(w, 'web-06').get('[data-status]').text()).toBe('On loan');
    expect(row(w, 'web-01').get('[data-status]').text()).toBe('Available');
    expect(w.get('[data-test="link-state"]').text()).toBe('Live');
    expect(w.get('header [data-role]').text()).toBe('master');
    expect(w.get('header').text()).toContain('dana');
  });

  it("puts the user's own holds first, then sorts by the chosen column", async () => {
    const { w } = await mountBoard();
    expect(hosts(w)).toEqual(['zeta-04', 'api-05', 'db-03', 'mid-02', 'web-01', 'web-06']);
    await w.get('button[data-sort="host"]').trigger('click');
    expect(hosts(w)).toEqual(['zeta-04', 'web-06', 'web-01', 'mid-02', 'db-03', 'api-05']);
    expect(w.get('button[data-sort="host"]').element.closest('th')?.getAttribute('aria-sort')).toBe('descending');
    await w.get('button[data-sort="ip"]').trigger('click');
    expect(hosts(w)).toEqual(['zeta-04', 'mid-02', 'db-03', 'api-05', 'web-06', 'web-01']);
    expect(row(w, 'zeta-04').classes()).toContain('mine');
  });

  it('searches and filters by env, app and status', async () => {
    const { w } = await mountBoard();
    await w.get('input[type="search"]').setValue('ALICE');
    expect(hosts(w)).toEqual(['mid-02']);
    expect(w.get('[data-test="row-count"]').text()).toContain('1 of 6 servers');
    await w.get('input[type="search"]').setValue('');
    await w.get('select[name="env"]').setValue('prod');
    expect(hosts(w)).toEqual(['db-03', 'web-01']);
    await w.get('select[name="env"]').setValue('');
    await w.get('select[name="app"]').setValue('Mid');
    expect(hosts(w)).toEqual(['zeta-04', 'mid-02']);
    await w.get('select[name="status"]').setValue('Available');
    expect(hosts(w)).toEqual([]);
    expect(w.find('[data-test="no-match"]').exists()).toBe(true);
    await w.get('[data-test="row-count"] button').trigger('click');
    expect(hosts(w)).toHaveLength(6);
  });

  it('reserve dialog: a preset becomes durationSec, and the node decides', async () => {
    const { w, api } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect(dialog.text()).toContain('Reserve web-01');
    await dialog.get('input[data-preset="4h"]').setValue(true);
    await dialog.get('input[name="comment"]').setValue('  load test  ');
    await dialog.get('form').trigger('submit');
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
    const call = api.calls.find((c) => c.method === 'reserve');
    expect(call?.args[0]).toMatchObject({ host: 'web-01', user: 'dana', durationSec: 4 * 3600, comment: 'load test' });
    expect(call?.args[0]).not.toHaveProperty('until');
    await until(() => expect(row(w, 'web-01').text()).toContain('dana'));
    expect(w.text()).toContain(`web-01 is yours until`);
  });

  it('reserve dialog: a custom end time becomes until', async () => {
    const { w, api } = await mountBoard();
    await row(w, 'api-05').get('button.btn-accent').trigger('click');
    const dialog = w.get('[role="dialog"]');
    await dialog.get('input[data-preset="custom"]').setValue(true);
    await dialog.get('input[type="datetime-local"]').setValue('2000-01-01T10:00');
    await dialog.get('form').trigger('submit');
    expect(dialog.get('[role="alert"]').text()).toMatch(/future/);
    const end = new Date(NOW + 3 * 86400_000);
    end.setHours(9, 30, 0, 0);
    const local = `${end.getFullYear()}-${String(end.getMonth() + 1).padStart(2, '0')}-${String(end.getDate()).padStart(2, '0')}T09:30`;
    await dialog.get('input[type="datetime-local"]').setValue(local);
    await dialog.get('form').trigger('submit');
    await until(() => expect(api.calls.some((c) => c.method === 'reserve')).toBe(true));
    expect(api.calls.find((c) => c.method === 'reserve')?.args[0]).toMatchObject({ host: 'api-05', until: end.getTime() / 1000 });
  });

  it("shows the node's conflict message naming the holder", async () => {
    const { w, api } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    // someone else got there first: the node refuses
    api.board.servers[0]!.holder = 'alice';
    api.board.servers[0]!.until = NOW_SEC + 7200;
    await w.get('[role="dialog"] form').trigger('submit');
    await until(() => expect(w.find('[data-test="dialog-error"]').exists()).toBe(true));
    expect(w.get('[data-test="dialog-error"]').text()).toBe(`web-01 is reserved by alice until ${formatClock(NOW_SEC + 7200, Date.now())}`);
    expect(w.find('[role="dialog"]').exists()).toBe(true);
  });

  it('extend, release, queue and leave queue send the right requests', async () => {
    const { w, api } = await mountBoard();
    const mine = row(w, 'zeta-04');
    await mine.findAll('button').find((b) => b.text() === 'Extend')!.trigger('click');
    await w.get('[role="dialog"] input[data-preset="1d"]').setValue(true);
    await w.get('[role="dialog"] form').trigger('submit');
    await until(() => expect(api.calls.find((c) => c.method === 'extend')?.args[0]).toMatchObject({ host: 'zeta-04', user: 'dana', durationSec: 86400 }));
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false)); // the board answered

    await row(w, 'mid-02').findAll('button').find((b) => b.text() === 'Queue')!.trigger('click');
    await w.get('[role="dialog"] input[data-preset="30m"]').setValue(true);
    await w.get('[role="dialog"] form').trigger('submit');
    await until(() => expect(api.calls.find((c) => c.method === 'queue')?.args[0]).toMatchObject({ host: 'mid-02', user: 'dana', durationSec: 1800 }));
    // the queue names who waits, in order
    await until(() => expect(row(w, 'mid-02').get('[data-test="queue"]').attributes('data-count')).toBe('1'));
    expect(row(w, 'mid-02').get('[data-test="queue"] li').text()).toBe('1. dana');

    await until(() => expect(row(w, 'mid-02').text()).toContain('Leave queue'));
    await row(w, 'mid-02').findAll('button').find((b) => b.text() === 'Leave queue')!.trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'leaveQueue')?.args[0]).toEqual({ host: 'mid-02', user: 'dana' }));

    await row(w, 'zeta-04').findAll('button').find((b) => b.text() === 'Release')!.trigger('click');
    // Release asks first
    const confirm = w.get('[role="dialog"]');
    expect(confirm.text()).toContain('Release zeta-04?');
    expect(api.calls.some((c) => c.method === 'release')).toBe(false);
    await confirm.findAll('button').find((b) => b.text() === 'Release')!.trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'release')?.args[0]).toEqual({ host: 'zeta-04', user: 'dana' }));
    await until(() => expect(row(w, 'zeta-04').get('[data-status]').text()).toBe('Available'));
  });

  it('no quorum: a read-only banner and every write button disabled', async () => {
    const { w, api } = await mountBoard();
    api.setQuorum(false);
    await until(() => expect(w.find('[data-test="read-only"]').exists()).toBe(true));
    expect(w.get('[data-test="read-only"]').text()).toContain('No quorum');
    const writes = w.findAll('td.actions button');
    expect(writes.length).toBeGreaterThan(3);
    expect(writes.every((b) => b.attributes('disabled') !== undefined)).toBe(true);
    api.setQuorum(true);
    await until(() => expect(w.find('[data-test="read-only"]').exists()).toBe(false));
    expect(w.findAll('td.actions button').every((b) => b.attributes('disabled') === undefined)).toBe(true);
  });

  it('stale data and a lost link show a banner with the age', async () => {
    const { w, api } = await mountBoard();
    expect(w.find('[data-test="stale"]').exists()).toBe(false);
    api.board.staleMs = 95_000;
    api.setStale(true, 95_000);
    await until(() => expect(w.find('[data-test="stale"]').text()).toContain('No contact with the master for 2 min'));
    api.setStale(false, 0);
    await until(() => expect(w.find('[data-test="stale"]').exists()).toBe(false));
    api.setLink('closed');
    await until(() => expect(w.find('[data-test="offline"]').text()).toMatch(/Offline\. This page's node stopped answering 0 s ago; the board below is as it was then/));
    expect(w.get('[data-test="link-state"]').text()).toBe('Offline');
  });

  it('after a sleep: how long, how old the board is while catching up, then when it caught up', async () => {
    const { w, api } = await mountBoard();
    expect(w.find('[data-test="asleep"]').exists()).toBe(false);
    api.setStale(true, 95_000);
    api.setAsleep({ kind: 'suspended', sleptMs: 95_000, wokeAt: NOW, dataAsOf: NOW - 95_000, caughtUpAt: null });
    await until(() => expect(w.get('[data-test="asleep"]').text()).toBe(`This computer was asleep for 2 min. The board is from ${formatClock(Math.floor((NOW - 95_000) / 1000), NOW)}, 2 min old; catching up with the master…`));
    expect(w.find('[data-test="stale"]').exists()).toBe(false); // one banner, not two
    api.setStale(false, 0);
    api.setAsleep({ kind: 'suspended', sleptMs: 95_000, wokeAt: NOW, dataAsOf: NOW - 95_000, caughtUpAt: NOW + 1_000 });
    await until(() => expect(w.get('[data-test="asleep"]').text()).toBe(`This computer was asleep for 2 min. Caught up at ${formatClock(Math.floor((NOW + 1_000) / 1000), NOW)}: the board is current.`));
    api.setAsleep({ kind: 'stopped', sleptMs: 61_000, wokeAt: NOW, dataAsOf: null, caughtUpAt: null });
    await until(() => expect(w.get('[data-test="asleep"]').text()).toMatch(/^This node did not run for 1 min\. The board is of unknown age; catching up/));
    api.setAsleep(null);
    await until(() => expect(w.find('[data-test="asleep"]').exists()).toBe(false));
  });

  it('an empty board explains how to add or import servers', async () => {
    const { w } = await mountApp({ board: emptyBoard(NOW) });
    await until(() => expect(w.find('[data-test="empty-board"]').exists()).toBe(true));
    expect(w.get('[data-test="empty-board"]').text()).toMatch(/import a ServersData JSON file/);
    await w.get('[data-test="empty-board"] button').trigger('click');
    await until(() => expect(w.find('#admin-title').exists()).toBe(true));
  });

  it('shows a loading skeleton until the first view arrives, then an error if it fails', async () => {
    const r = rig({ board: smallBoard(demoBoard(NOW)), latencyMs: 40 });
    r.api.failNext('getState', { code: 'SERVICE_UNAVAILABLE', message: 'Cannot reach the Peerboard node (fetch failed).' });
    wrapper = mountIn(r, App);
    expect(wrapper.find('.skeleton[aria-busy="true"]').exists()).toBe(true);
    await until(() => expect(wrapper!.find('[data-test="load-error"]').exists()).toBe(true));
    expect(wrapper.get('[data-test="load-error"]').text()).toContain('Cannot reach the Peerboard node');
    await wrapper.get('[data-test="load-error"] button').trigger('click');
    await until(() => expect(wrapper!.findAll('tr.row')).toHaveLength(6));
  });

  it('asks for a name before the first write in web mode', async () => {
    localStorage.removeItem(USER_KEY);
    const { w } = await mountBoard();
    const dialog = w.get('[role="dialog"]');
    expect(dialog.text()).toContain('Who are you?');
    await dialog.get('input').setValue('erin');
    await dialog.get('form').trigger('submit');
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
    expect(localStorage.getItem(USER_KEY)).toBe('erin');
    expect(w.get('header').text()).toContain('erin');
  });
});

describe('keyboard', () => {
  it('Escape closes a dialog and focus returns to the button that opened it', async () => {
    const { w } = await mountBoard();
    const opener = row(w, 'web-01').get('button.btn-accent');
    (opener.element as HTMLElement).focus();
    await opener.trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect(dialog.attributes('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.attributes('aria-labelledby') ?? '')?.textContent).toBe('Reserve web-01');
    await until(() => expect(dialog.element.contains(document.activeElement)).toBe(true));
    await dialog.trigger('keydown', { key: 'Escape' });
    expect(w.find('[role="dialog"]').exists()).toBe(false);
    expect(document.activeElement).toBe(opener.element);
  });

  it('Tab and Shift+Tab stay inside an open dialog', async () => {
    const { w } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    const dialog = w.get('[role="dialog"]');
    const focusables = dialog.findAll('button:not([disabled]), input:not([disabled])');
    const first = focusables[0]!.element as HTMLElement;
    const last = focusables[focusables.length - 1]!.element as HTMLElement;
    last.focus();
    await dialog.trigger('keydown', { key: 'Tab' });
    expect(document.activeElement).toBe(first);
    await dialog.trigger('keydown', { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it('Escape still closes a dialog after focus fell out of it', async () => {
    const { w } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    expect(w.find('[role="dialog"]').exists()).toBe(true);
    (document.activeElement as HTMLElement | null)?.blur();
    document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
  });

  it('every board control has a label', async () => {
    const { w } = await mountBoard();
    for (const el of w.findAll('input, select')) {
      const id = el.attributes('id');
      const labelled = (id && document.querySelector(`label[for="${id}"]`)) || el.attributes('aria-label');
      expect(labelled, el.html()).toBeTruthy();
    }
  });
});
