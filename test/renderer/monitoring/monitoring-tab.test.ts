// The Monitoring tab over the fake node (node-core's MonitorService on the real board): each check's verdict (in words),
// type, target, server, locations, uptime and chart; alerts with failed deliveries; the admin form
// (refusing bad input before sending, showing the node's refusal); non-admins see no form; live
// updates from verdict events; API errors as toasts.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Verdict } from '../../../node-core/src/api/peer-api.js';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import type { FakeApi } from '../../../renderer/src/api/fake-api.js';
import App from '../../../renderer/src/App.vue';
import { VERDICT_DEBOUNCE_MS } from '../../../renderer/src/stores/monitor-store.js';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, smallBoard, until } from '../helpers.js';
import { addCheck, addTarget, deliveries, httpCheck, loc, settle } from './monitor-fixtures.js';

let wrapper: VueWrapper | null = null;
beforeEach(() => {
  localStorage.clear();
  localStorage.setItem(USER_KEY, 'dana');
  // happy-dom's IntersectionObserver never reports: this one says "in view" as soon as asked
  vi.stubGlobal(
    'IntersectionObserver',
    class {
      constructor(private readonly cb: (e: Array<{ isIntersecting: boolean }>) => void) {}
      observe(): void {
        queueMicrotask(() => this.cb([{ isIntersecting: true }]));
      }
      disconnect(): void {}
    },
  );
});
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.unstubAllGlobals();
});

const DAY = 86_400_000;
/** the fake's clock: set-ups date their commits by moving it; every test runs at NOW */
type Clock = { t: number };
type Build<T> = (api: FakeApi, clock: Clock) => Promise<T>;

/**
 * The sample, committed through the fake when it happened: Billing health on web-01, UP for 7 days
 * but for a 13-minute outage 3 days ago (99.87 % over 7 d, 100 % over 24 h), with its two locations'
 * latest results; db port, DOWN just now (known for no time yet: no uptime), whose alert went to two
 * targets added since: the webhook failed 5 times, the Slack hook took it at once.
 */
async function sample(api: FakeApi, clock: Clock) {
  clock.t = NOW - 7 * DAY;
  const billing = await addCheck(api, httpCheck('Billing health', { server: 'web-01', target: 'https://web-01.example/health' }));
  // no server: db-03 is in maintenance on this board, which would mute the alert
  const db = await addCheck(api, httpCheck('db port', { type: 'tcp', target: 'db-03:5432' }));
  api.commitVerdict(billing, 'UNKNOWN', 'UP');
  clock.t = NOW - 3 * DAY;
  api.commitVerdict(billing, 'UP', 'DOWN');
  clock.t += 13 * 60_000;
  api.commitVerdict(billing, 'DOWN', 'UP', [
    loc('node-a', 'lab-a', NOW, 5_000, 'UP', { responseTime: 41.6 }),
    loc('node-b19c', 'lab-b', NOW, 7_000, 'DOWN', { responseTime: 2000, error: 'timeout after 2000 ms', voting: false }),
  ]);
  clock.t = NOW;
  const hook = await addTarget(api, { type: 'webhook', url: 'https://hooks.example.com/pb', name: 'ops hook', secret: 'a-secret-of-16ch' });
  const slack = await addTarget(api, { type: 'slack', url: 'https://hooks.slack.example/T1' });
  api.commitVerdict(db, 'UNKNOWN', 'UP');
  const alert = api.commitVerdict(db, 'UP', 'DOWN');
  deliveries(api, alert.id, hook, 5, false, 'HTTP 502 from hooks.example.com');
  deliveries(api, alert.id, slack, 0, true);
  return { billing, db, alertId: alert.id };
}

/**
 * The app on the Monitoring tab over a fake that `build` set up (through the fake's own methods, at
 * the times it moves the clock to); `beforeMount` arms the fake's failNext hook.
 */
async function open<T = Awaited<ReturnType<typeof sample>>>(opts: { build?: Build<T>; beforeMount?: (api: FakeApi) => void } = {}) {
  history.replaceState(null, '', '#monitoring');
  const clock: Clock = { t: NOW };
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => clock.t });
  const ids = await (opts.build ?? (sample as unknown as Build<T>))(r.api, clock);
  clock.t = NOW;
  await settle(r.api);
  opts.beforeMount?.(r.api);
  wrapper = mountIn(r, App);
  const w = wrapper;
  await until(() => expect(r.api.calls.some((c) => c.method === 'listChecks')).toBe(true));
  const count = (m: string): number => r.api.calls.filter((c) => c.method === m).length;
  return { ...r, w, ids, count };
}

describe('the Monitoring tab', () => {
  it('shows each check: verdict in words, name, type, target, server, uptime, and every location', async () => {
    const { w } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    const c1 = w.get('[data-check="1"]');
    expect(c1.get('.verdict').text()).toContain('Up');
    expect(c1.get('.verdict').attributes('data-verdict')).toBe('UP');
    expect(c1.get('.check-name').text()).toBe('Billing health');
    expect(c1.get('.check-type').text()).toBe('http');
    expect(c1.get('[data-test="check-target"]').text()).toBe('https://web-01.example/health');
    expect(c1.get('[data-test="check-server"]').text()).toBe('web-01');
    expect(c1.get('[data-test="uptime-24h"]').text()).toBe('100 %');
    expect(c1.get('[data-test="uptime-7d"]').text()).toBe('99.87 %');
    const rows = c1.findAll('tr[data-location]');
    expect(rows.map((r) => r.attributes('data-location'))).toEqual(['lab-a', 'lab-b']);
    expect(rows[0]!.get('[data-test="loc-status"]').text()).toBe('Up');
    expect(rows[0]!.get('[data-test="loc-latency"]').text()).toBe('42 ms');
    expect(rows[0]!.text()).toContain('just now');
    expect(rows[1]!.get('[data-test="loc-status"]').text()).toBe('Down');
    expect(rows[1]!.text()).toContain('timeout after 2000 ms');
    expect(rows[1]!.text()).toContain('not voting');
    const c2 = w.get('[data-check="2"]');
    expect(c2.get('.verdict').text()).toContain('Down');
    expect(c2.get('[data-test="uptime-24h"]').text()).toBe('—');
    expect(c2.find('[data-test="no-locations"]').exists()).toBe(true);
    expect(w.get('[data-test="mon-summary"]').text()).toBe('2 checks: 1 down · 1 up');
  });

  it('shows recent alerts with each delivery, a failed one with its last error', async () => {
    const { w, count, ids } = await open();
    await until(() => expect(w.findAll('[data-test="delivery"]')).toHaveLength(2));
    expect(count('listAlerts')).toBeGreaterThan(0);
    const [failed, ok] = w.findAll('[data-test="delivery"]');
    expect(failed!.attributes('data-state')).toBe('failed');
    expect(failed!.text()).toContain('Failed');
    expect(failed!.text()).toContain('ops hook');
    expect(failed!.text()).toContain('5 attempts');
    expect(failed!.text()).toContain('HTTP 502 from hooks.example.com');
    expect(ok!.text()).toContain('Delivered');
    expect(w.get(`[data-alert="${ids.alertId}"]`).text()).toContain('db port');
  });

  it('fetches a chart series only once the chart comes into view, and summarises it in words', async () => {
    // one check, UP for 7 days and DOWN since now: its last result failed; the fake's checkSeries answers
    const { w, api, ids } = await open({
      build: async (api, clock) => {
        clock.t = NOW - 7 * DAY;
        const id = await addCheck(api, httpCheck('Billing health'));
        api.commitVerdict(id, 'UNKNOWN', 'UP');
        clock.t = NOW;
        api.commitVerdict(id, 'UP', 'DOWN');
        const s = await api.checkSeries(id, 24);
        if (!s.ok) throw new Error(s.error.message);
        return { id, series: s.value };
      },
    });
    const { points, location } = ids.series;
    const ok = points.filter((p) => p.ok).map((p) => p.responseTime).sort((a, b) => a - b);
    expect(points.length - ok.length).toBe(1);
    expect(points.at(-1)!.ok).toBe(false);
    expect(ok.length % 2).toBe(1); // an odd count: the median is the middle one, no convention needed
    const median = Math.round(ok[(ok.length - 1) / 2]!);
    await until(() => expect(w.get('[data-test="chart-summary"]').text()).toContain(`${points.length} results from ${location}`));
    expect(w.get('[data-test="chart-summary"]').text()).toContain(`median ${median} ms · 1 failed · last failed`);
    const first = api.calls.find((c) => c.method === 'checkSeries')!;
    expect(first.args).toEqual([ids.id, 24]);
    await w.get(`[data-check="${ids.id}"] [data-hours="168"]`).trigger('click');
    await until(() => expect(api.calls.filter((c) => c.method === 'checkSeries').at(-1)!.args).toEqual([ids.id, 168]));
  });

  it("a node that keeps no results says so in the chart's place, not in a toast per chart", async () => {
    const { w } = await open({
      beforeMount: (api) => api.failNext('checkSeries', { code: 'NOT_FOUND', message: 'this node runs no checks, so it keeps no results' } as never),
    });
    await until(() => expect(w.findAll('[data-test="chart-summary"]').some((e) => e.text().includes('not available here: this node runs no checks'))).toBe(true));
    expect(document.querySelector('.toast-error')).toBeNull();
  });

  it('an admin adds a check through the form; bad input is refused before it is sent', async () => {
    const { w, count, api } = await open();
    await until(() => expect(w.find('[data-test="add-check"]').exists()).toBe(true));
    await w.get('[data-test="add-check"]').trigger('click');
    const form = w.get('[data-test="check-form"]');
    await form.get('input[name="name"]').setValue('Storefront');
    await form.get('input[name="target"]').setValue('not a url');
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="check-form-error"]').text()).toMatch(/URL/));
    await form.get('input[name="target"]').setValue('http://127.0.0.1:8080/');
    await form.get('input[name="intervalSec"]').setValue('4');
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="check-form-error"]').text()).toMatch(/interval/));
    await form.get('input[name="intervalSec"]').setValue('20');
    await form.get('input[name="expectStatus"]').setValue('200, 2O4');
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="check-form-error"]').text()).toMatch(/Expected status/));
    expect(count('addCheck')).toBe(0);
    await form.get('input[name="expectStatus"]').setValue('200, 204');
    await form.get('select[name="server"]').setValue('web-01');
    await form.get('input[name="keyword"]').setValue('ok');
    await form.trigger('submit');
    await until(() => expect(count('addCheck')).toBe(1));
    expect(api.calls.find((c) => c.method === 'addCheck')!.args[0]).toEqual({
      name: 'Storefront',
      type: 'http',
      target: 'http://127.0.0.1:8080/',
      intervalSec: 20,
      timeoutMs: 5000,
      retries: 0,
      server: 'web-01',
      method: 'GET',
      expectStatus: [200, 204],
      keyword: 'ok',
    });
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(3));
    await until(() => expect(w.find('[data-test="check-form"]').exists()).toBe(false));
    expect(document.body.textContent).toContain('Added the check Storefront.');
  });

  it("shows the node's refusal in the form, and an edit sends only what changed", async () => {
    const { w, api, ids } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    await w.get('button[aria-label="Add check"], [data-test="add-check"]').trigger('click');
    const form = w.get('[data-test="check-form"]');
    await form.get('input[name="name"]').setValue('private');
    await form.get('input[name="target"]').setValue('http://10.1.2.3/');
    // an admin forbade private targets (a committed board setting): the board refuses this one
    api.commitCommand({ type: 'monitor-settings', allowPrivateTargets: false }, 'admin');
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="check-form-error"]').text()).toContain('10.1.2.3 is a private or loopback address'));
    await w.get('button[aria-label="Close dialog"]').trigger('click');
    await w.get('button[aria-label="Edit db port"]').trigger('click');
    const edit = w.get('[data-test="check-form"]');
    expect((edit.get('input[name="target"]').element as HTMLInputElement).value).toBe('db-03:5432');
    await edit.get('input[name="intervalSec"]').setValue('15');
    await edit.trigger('submit');
    await until(() => expect(api.calls.some((c) => c.method === 'updateCheck')).toBe(true));
    expect(api.calls.find((c) => c.method === 'updateCheck')!.args).toEqual([ids.db, { intervalSec: 15 }]);
  });

  it('removes a check after asking', async () => {
    const { w, count } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    await w.get('button[aria-label="Remove db port"]').trigger('click');
    const confirm = [...document.querySelectorAll<HTMLButtonElement>('.dialog button')].find((b) => b.textContent?.trim() === 'Remove')!;
    confirm.click();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(1));
    expect(count('removeCheck')).toBe(1);
  });

  it('a user who is not an admin sees no form and is told why', async () => {
    // what the fake does for any admin-only call a non-admin makes: the node's refusal
    const { w, count } = await open({ beforeMount: (api) => api.failNext('listNotifications', { code: 'FORBIDDEN', message: 'this operation needs admin rights; use the admin token' } as never) });
    await until(() => expect(w.find('[data-test="not-admin"]').exists()).toBe(true));
    expect(w.find('[data-test="add-check"]').exists()).toBe(false);
    expect(w.find('button[aria-label="Edit db port"]').exists()).toBe(false);
    expect(w.find('#targets-title').exists()).toBe(false);
    expect(count('listNotifications')).toBe(1);
    // the refusal is how the view learns it: no error toast for it
    expect(document.querySelector('.toast-error')).toBeNull();
  });

  it('an admin lists, adds and removes notification targets; a bad URL is refused before sending', async () => {
    const { w, count, api } = await open();
    await until(() => expect(w.findAll('[data-target]')).toHaveLength(2));
    const form = w.get('.target-form');
    await form.get('input[name="url"]').setValue('hooks.example.com');
    await form.trigger('submit');
    await until(() => expect(form.get('.form-error').text()).toMatch(/URL/));
    await form.get('input[name="url"]').setValue('https://hooks.example.com/new');
    await form.get('input[name="secret"]').setValue('short');
    await form.trigger('submit');
    await until(() => expect(form.get('.form-error').text()).toMatch(/8 to 256/));
    expect(count('addNotification')).toBe(0);
    await form.get('input[name="secret"]').setValue('a-long-enough-secret');
    await form.trigger('submit');
    await until(() => expect(w.findAll('[data-target]')).toHaveLength(3));
    expect(api.calls.find((c) => c.method === 'addNotification')!.args[0]).toEqual({ type: 'webhook', url: 'https://hooks.example.com/new', secret: 'a-long-enough-secret' });
    await w.get('button[aria-label="Remove ops hook"]').trigger('click');
    [...document.querySelectorAll<HTMLButtonElement>('.dialog button')].find((b) => b.textContent?.trim() === 'Remove')!.click();
    await until(() => expect(w.findAll('[data-target]')).toHaveLength(2));
  });

  it('verdict events refetch once after the debounce, however many arrive together', async () => {
    const { w, api, ids, count } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    const before = count('listChecks');
    const t0 = Date.now();
    // 20 committed changes, each pushing its 'verdict' event: UP -> DOWN -> PARTIAL -> DOWN ... -> PARTIAL
    let previous: Verdict = 'UP';
    for (let i = 0; i < 20; i++) {
      const next: Verdict = i % 2 === 0 ? 'DOWN' : 'PARTIAL';
      api.commitVerdict(ids.billing, previous, next);
      previous = next;
    }
    await until(() => expect(w.get(`[data-check="${ids.billing}"] .verdict`).attributes('data-verdict')).toBe('PARTIAL'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(VERDICT_DEBOUNCE_MS - 5);
    expect(count('listChecks')).toBe(before + 1);
  });

  it('a failing list shows one error toast, not one per poll', async () => {
    const { w } = await open({ beforeMount: (api) => api.failNext('listChecks', { code: 'SERVICE_UNAVAILABLE', message: 'the node is starting' } as never) });
    await until(() => expect(document.querySelector('.toast-error')?.textContent).toContain('Could not load the checks: the node is starting'));
    expect(w.get('[role="alert"].form-error').text()).toContain('the node is starting');
  });

  it('hostile content stays inside the card: a 2 KB target and a 100-character name wrap', async () => {
    const { w } = await open({ build: (api) => addCheck(api, httpCheck('N'.repeat(100), { target: `https://example.com/${'a'.repeat(2000)}` })) });
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(1));
    expect(w.get('.check-name').text()).toHaveLength(100);
    // the layout rule that keeps the page from scrolling sideways (checked in Chromium by the e2e test)
    expect(w.get('[data-test="check-target"]').classes()).toContain('check-target');
  });
});
