// Issue 14 on the Board, mounted whole (App) over the fake node: time zones, "It's yours", "Expires
// soon" with its setting, My reservations, queue names, the conflict dialog's Join queue and its
// warning, Release's confirmation, the offline page and its links, the name cookie, maintenance notes.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBoard, server } from '../../../renderer/src/api/demo-data.js';
import type { FakeApiOptions } from '../../../renderer/src/api/fake-api.js';
import App from '../../../renderer/src/App.vue';
import { formatClock, localizeTimes, utcOffset, zoneLabel } from '../../../renderer/src/lib/time-format.js';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { EXPIRY_WARN_KEY } from '../../../renderer/src/stores/ui-store.js';
import { mountIn, NOW, NOW_SEC, rig, smallBoard, until } from '../helpers.js';

let wrapper: VueWrapper | null = null;
const clearCookie = (): void => {
  document.cookie = 'peerboard.user=; path=/; max-age=0';
};
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
  clearCookie();
  history.replaceState(null, '', '#board');
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  clearCookie();
});

async function mountBoard(opts: FakeApiOptions = { board: smallBoard(demoBoard(NOW)) }) {
  const r = rig(opts);
  wrapper = mountIn(r, App);
  const w = wrapper;
  await until(() => expect(w.findAll('tr.row').length).toBeGreaterThan(0));
  return { ...r, w };
}
const hosts = (w: VueWrapper) => w.findAll('tr.row').map((r) => r.attributes('data-host'));
const row = (w: VueWrapper, host: string) => w.get(`tr[data-host="${host}"]`);
const button = (w: VueWrapper | ReturnType<VueWrapper['get']>, text: string) => {
  const b = w.findAll('button').find((x) => x.text() === text);
  if (!b) throw new Error(`no button "${text}"`);
  return b;
};

describe('time zone', () => {
  it('the board says once which zone its times are in, and tooltips carry the offset', async () => {
    const { w } = await mountBoard();
    expect(w.get('[data-test="time-zone"]').text()).toBe(`Times in ${zoneLabel()}`);
    expect(row(w, 'mid-02').findAll('td').find((td) => td.text().includes('(in 2 h)'))!.attributes('title')).toMatch(/ UTC[+-]\d+(:\d\d)?$/);
  });

  it("a node's UTC timestamp in an error is shown in the board's local time", async () => {
    const at = NOW_SEC + 3600;
    const iso = new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect(localizeTimes(`held until ${iso}, retry later`, NOW)).toBe(`held until ${formatClock(at, NOW)}, retry later`);
    expect(localizeTimes('no time here', NOW)).toBe('no time here');
    const { w, api } = await mountBoard();
    // dana waits for mid-02; the node refuses her leaving with a UTC time in its message
    api.board.servers[1]!.queue.push({ user: 'dana', durationSec: 600, comment: '', since: NOW_SEC });
    api.emit({ type: 'change', index: 99, request: null });
    await until(() => expect(row(w, 'mid-02').text()).toContain('Leave queue'));
    api.failNext('leaveQueue', { code: 'CONFLICT', message: `Queue frozen until ${iso}` });
    await button(row(w, 'mid-02'), 'Leave queue').trigger('click');
    await until(() => expect(w.get('.toast-error').text()).toContain(`Queue frozen until ${formatClock(at)}`));
    expect(w.get('.toast-error').text()).not.toContain('Z');
  });

  it('utcOffset writes half hours and the sign', () => {
    expect(utcOffset(NOW)).toMatch(/^UTC[+-]\d{1,2}(:(30|45))?$/);
  });
});

describe('holds, queues and reminders', () => {
  it("the queue hands dana a server: an It's yours banner, and the stale queue toast goes", async () => {
    const { w, api } = await mountBoard();
    await button(row(w, 'mid-02'), 'Queue').trigger('click');
    await w.get('[role="dialog"] form').trigger('submit');
    await until(() => expect(w.find('.toast').text()).toContain('You are number 1 in the queue for mid-02'));
    expect(w.find('[data-test="its-yours"]').exists()).toBe(false);
    // alice releases on her own node: the fake grants the next in line
    const r = await api.release({ host: 'mid-02', user: 'alice' });
    expect(r.ok).toBe(true);
    await until(() => expect(w.get('[data-test="its-yours"]').text()).toContain("It's yours: the queue handed you mid-02"));
    expect(w.findAll('.toast').some((t) => t.text().includes('number 1'))).toBe(false);
    expect(row(w, 'mid-02').text()).toContain('dana (you)');
    await button(w.get('[data-test="its-yours"]'), 'OK').trigger('click');
    expect(w.find('[data-test="its-yours"]').exists()).toBe(false);
  });

  it('no banner on first load for holds the user already had', async () => {
    const { w } = await mountBoard();
    expect(w.find('[data-test="its-yours"]').exists()).toBe(false);
  });

  it('warns before a hold ends (10 min by default, set in Settings), with Extend one click away', async () => {
    const b = smallBoard(demoBoard(NOW));
    b.servers.push(server('soon-07', { holder: 'dana', available: false, action: 'Reserved', since: NOW_SEC - 3000, until: NOW_SEC + 300 }));
    const { w, api } = await mountBoard({ board: b });
    const warnings = () => w.findAll('[data-test="expires-soon"]');
    await until(() => expect(warnings().map((x) => x.attributes('data-host'))).toEqual(['soon-07']));
    expect(warnings()[0]!.text()).toContain('your hold on soon-07 ends in 5 min');
    // zeta-04 ends in an hour: warned only once the setting reaches 60 min
    await w.get('.board-settings summary').trigger('click');
    const input = w.get('input[name="expiry-warn"]');
    await input.setValue('abc');
    await w.get('.settings-panel').trigger('submit');
    expect(w.get('.settings-panel [role="alert"]').text()).toContain('whole minutes');
    await input.setValue('90');
    await w.get('.settings-panel').trigger('submit');
    expect(localStorage.getItem(EXPIRY_WARN_KEY)).toBe('90');
    await until(() => expect(warnings().map((x) => x.attributes('data-host'))).toEqual(['soon-07', 'zeta-04']));
    // Extend from the warning
    await button(warnings()[0]!, 'Extend').trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect(dialog.text()).toContain('Extend soon-07');
    await dialog.get('form').trigger('submit');
    await until(() => expect(api.calls.find((c) => c.method === 'extend')?.args[0]).toMatchObject({ host: 'soon-07', user: 'dana', durationSec: 1800 }));
    // 35 min left now: under 90, still warned, with the new end
    await until(() => expect(warnings()[0]!.text()).toContain('in 35 min'));
    // 0 turns it off
    await input.setValue('0');
    await w.get('.settings-panel').trigger('submit');
    await until(() => expect(warnings()).toHaveLength(0));
  });

  it('a saved setting is read back, a broken one falls back to 10 min', async () => {
    localStorage.setItem(EXPIRY_WARN_KEY, 'nonsense');
    const b = smallBoard(demoBoard(NOW));
    b.servers.push(server('soon-07', { holder: 'dana', available: false, action: 'Reserved', since: NOW_SEC, until: NOW_SEC + 900 }));
    const { w } = await mountBoard({ board: b });
    expect(w.findAll('[data-test="expires-soon"]')).toHaveLength(0);
    wrapper!.unmount();
    localStorage.setItem(EXPIRY_WARN_KEY, '20');
    const m = await mountBoard({ board: b });
    await until(() => expect(m.w.findAll('[data-test="expires-soon"]')).toHaveLength(1));
  });

  it('My reservations shows what the user holds or waits for', async () => {
    const b = smallBoard(demoBoard(NOW));
    b.servers[1]!.queue.push({ user: 'dana', durationSec: 600, comment: '', since: NOW_SEC });
    const { w } = await mountBoard({ board: b });
    const toggle = w.get('[data-test="mine-filter"]');
    expect(toggle.text()).toContain('2');
    await toggle.trigger('click');
    expect(toggle.attributes('aria-pressed')).toBe('true');
    expect(hosts(w)).toEqual(['zeta-04', 'mid-02']);
    await toggle.trigger('click');
    expect(hosts(w)).toHaveLength(6);
  });

  it('the queue shows the names in order, the user marked, long queues shortened', async () => {
    const b = smallBoard(demoBoard(NOW));
    for (const u of ['bob', 'dana', 'erin', 'frank', 'gus']) b.servers[1]!.queue.push({ user: u, durationSec: 600, comment: '', since: NOW_SEC });
    const { w } = await mountBoard({ board: b });
    const q = row(w, 'mid-02').get('[data-test="queue"]');
    expect(q.findAll('li').map((li) => li.text())).toEqual(['1. bob', '2. dana', '3. erin']);
    expect(q.get('li.you').text()).toBe('2. dana');
    expect(q.text()).toContain('+2 more');
    expect(q.attributes('title')).toBe('1. bob\n2. dana\n3. erin\n4. frank\n5. gus');
  });

  it('the reserve dialog warns while open when someone takes the server, and offers Join queue', async () => {
    const { w, api } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    const dialog = w.get('[role="dialog"]');
    expect(dialog.find('[data-test="taken-warning"]').exists()).toBe(false);
    await dialog.get('input[data-preset="2h"]').setValue(true);
    // alice takes it on her node
    const r = await api.reserve({ host: 'web-01', user: 'alice', durationSec: 3600 });
    expect(r.ok).toBe(true);
    await until(() => expect(dialog.get('[data-test="taken-warning"]').text()).toContain(`alice just took web-01 (until ${formatClock(NOW_SEC + 3600)}`));
    await dialog.get('[data-test="join-queue"]').trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'queue')?.args[0]).toMatchObject({ host: 'web-01', user: 'dana', durationSec: 7200 }));
    await until(() => expect(w.find('[role="dialog"]').exists()).toBe(false));
    expect(w.get('.toast').text()).toContain('You are number 1 in the queue for web-01');
  });

  it('a refused reserve (conflict) offers Join queue too', async () => {
    const { w, api } = await mountBoard();
    await row(w, 'web-01').get('button.btn-accent').trigger('click');
    // taken behind the board's back (no event): the node's refusal is the first news
    Object.assign(api.board.servers[0]!, { holder: 'alice', until: NOW_SEC + 7200, available: false, action: 'Reserved' });
    await w.get('[role="dialog"] form').trigger('submit');
    await until(() => expect(w.find('[data-test="dialog-error"]').exists()).toBe(true));
    await w.get('[data-test="join-queue"]').trigger('click');
    await until(() => expect(api.calls.find((c) => c.method === 'queue')?.args[0]).toMatchObject({ host: 'web-01', user: 'dana', durationSec: 3600 }));
  });

  it('Release asks first and names who gets the server next; Cancel keeps it', async () => {
    const b = smallBoard(demoBoard(NOW));
    b.servers[3]!.queue.push({ user: 'bob', durationSec: 600, comment: '', since: NOW_SEC });
    const { w, api } = await mountBoard({ board: b });
    await button(row(w, 'zeta-04'), 'Release').trigger('click');
    expect(w.get('[data-test="release-confirm"]').text()).toContain('It goes at once to bob');
    await button(w.get('[role="dialog"]'), 'Cancel').trigger('click');
    expect(w.find('[role="dialog"]').exists()).toBe(false);
    expect(api.calls.some((c) => c.method === 'release')).toBe(false);
    expect(row(w, 'zeta-04').text()).toContain('dana');
  });
});

describe('a node that died under the page', () => {
  it('says it is offline with the age of its data every second, disables writes, and links to the other nodes', async () => {
    const { w, api } = await mountBoard();
    // the view came a while ago, but the live stream kept it current: the age counts from the break
    await new Promise((r) => setTimeout(r, 1100));
    api.setLink('closed');
    const banner = () => w.get('[data-test="offline"]');
    await until(() => expect(banner().text()).toContain('Offline.'));
    const first = w.get('[data-test="offline-age"]').text();
    expect(first).toBe('0 s');
    await until(() => expect(w.get('[data-test="offline-age"]').text()).not.toBe(first), 3500);
    expect(w.get('[data-test="offline-age"]').text()).toMatch(/^\d+ s$/);
    // a reconnect attempt (connecting) does not make it look online
    api.setLink('connecting');
    await new Promise((r) => setTimeout(r, 20));
    expect(w.find('[data-test="offline"]').exists()).toBe(true);
    expect(w.find('[data-test="read-only"]').exists()).toBe(false);
    const writes = w.findAll('td.actions button');
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.every((b) => b.attributes('disabled') !== undefined)).toBe(true);
    expect(writes[0]!.attributes('title')).toMatch(/^Read-only: Offline/);
    // the other nodes it knew: alice's node (dana's is this one), bob's, the observer's
    const links = w.findAll('[data-test="other-nodes"] a');
    expect(links.map((a) => a.attributes('href'))).toEqual([
      'http://192.168.1.11:8778/#board',
      'http://192.168.1.12:8778/#board',
      'http://192.168.1.13:8778/#board',
    ]);
    expect(links.map((a) => a.text())).toEqual(['alice', 'bob', 'ci-runner']);
    // the node comes back
    api.setLink('open', (await api.getState()).ok ? undefined : undefined);
    await until(() => expect(w.find('[data-test="offline"]').exists()).toBe(false));
  });
});

describe('the name across nodes of one host', () => {
  it('a name saved on one node is read from the cookie on another port', async () => {
    localStorage.removeItem(USER_KEY);
    document.cookie = 'peerboard.user=' + encodeURIComponent('Zoë K') + '; path=/';
    const { w } = await mountBoard();
    await until(() => expect(w.get('header').text()).toContain('Zoë K'));
    expect(localStorage.getItem(USER_KEY)).toBe('Zoë K');
  });

  it('the cookie wins over an older name this port kept', async () => {
    localStorage.setItem(USER_KEY, 'old-name');
    document.cookie = 'peerboard.user=renamed; path=/';
    const { w } = await mountBoard();
    await until(() => expect(w.get('header').text()).toContain('renamed'));
    expect(localStorage.getItem(USER_KEY)).toBe('renamed');
  });

  it('saving the name writes the cookie', async () => {
    localStorage.removeItem(USER_KEY);
    const { w } = await mountBoard();
    const dialog = w.get('[role="dialog"]');
    await dialog.get('input').setValue('erin');
    await dialog.get('form').trigger('submit');
    await until(() => expect(document.cookie).toContain('peerboard.user=erin'));
  });
});

describe('maintenance and small screens', () => {
  it('shows who set maintenance and why when the node says', async () => {
    const b = smallBoard(demoBoard(NOW));
    Object.assign(b.servers[2]!, { maintenanceBy: 'carol', maintenanceReason: 'firmware upgrade' });
    const { w } = await mountBoard({ board: b });
    const cell = row(w, 'db-03').get('.status-cell');
    expect(cell.get('[data-test="maintenance-note"]').text()).toBe('by carol: firmware upgrade');
    expect(cell.attributes('title')).toBe('Maintenance set by carol: firmware upgrade');
    // an older node without the fields: the badge alone
    const m2 = row(w, 'web-01').find('[data-test="maintenance-note"]');
    expect(m2.exists()).toBe(false);
  });

  it('only host, status, holder and actions stay when columns fold', async () => {
    const { w } = await mountBoard();
    const kept = w.findAll('thead th').filter((th) => !th.classes().includes('fold')).map((th) => th.text());
    expect(kept.map((t) => t.replace(/[▲▼]/, ''))).toEqual(['Host', 'Status', 'Holder', 'Actions']);
    const mid = row(w, 'mid-02');
    // what folds moves under the host and the holder
    expect(mid.get('.host .unfold').text()).toBe('Mid · qa · 10.0.0.2');
    expect(mid.get('.holder .unfold').text()).toBe(`until ${formatClock(NOW_SEC + 7200)}`);
  });
});
