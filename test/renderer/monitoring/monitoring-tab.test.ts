// The Monitoring tab over the fake node with the monitoring test stub: each check's verdict (in words),
// type, target, server, locations, uptime and chart; alerts with failed deliveries; the admin form
// (refusing bad input before sending, showing the node's refusal); non-admins see no form; live
// updates from verdict events; API errors as toasts.
import type { VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../../node-core/src/api/peer-api.js';
import { demoBoard } from '../../../renderer/src/api/demo-data.js';
import App from '../../../renderer/src/App.vue';
import { VERDICT_DEBOUNCE_MS } from '../../../renderer/src/stores/monitor-store.js';
import { USER_KEY } from '../../../renderer/src/stores/session-store.js';
import { mountIn, NOW, rig, smallBoard, until } from '../helpers.js';
import { check, withMonitoring, type MonitorStub } from './monitor-stub.js';

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

const iso = (ms: number): string => new Date(ms).toISOString();

function sample(): NonNullable<Parameters<typeof withMonitoring>[1]> {
  const alert: Alert = {
    id: 41,
    change: { checkId: 2, name: 'db port', server: 'db-03', verdict: 'DOWN', previous: 'UP', at: iso(NOW - 120_000), locations: [] },
    muted: false,
    deliveries: [
      { targetId: 1, state: 'failed', attempts: 5, lastError: 'HTTP 502 from hooks.example.com', lastAttemptAt: NOW - 60_000 },
      { targetId: 2, state: 'delivered', attempts: 1, lastError: null, lastAttemptAt: NOW - 119_000 },
    ],
  };
  return {
    checks: [
      check(1, {
        name: 'Billing health',
        server: 'web-01',
        target: 'https://web-01.example/health',
        uptime24h: 1,
        uptime7d: 0.9987,
        locations: [
          { nodeId: 'node-a', location: 'lab-a', status: 'UP', responseTime: 41.6, lastChecked: iso(NOW - 5_000), error: null },
          { nodeId: 'node-b19c', location: 'lab-b', status: 'DOWN', responseTime: 2000, lastChecked: iso(NOW - 7_000), error: 'timeout after 2000 ms', voting: false },
        ],
      }),
      check(2, { name: 'db port', type: 'tcp', target: 'db-03:5432', server: 'db-03', verdict: 'DOWN', uptime24h: null, uptime7d: null }),
    ],
    alerts: [alert],
    targets: [
      { id: 1, type: 'webhook', url: 'https://hooks.example.com/pb', name: 'ops hook', hasSecret: true, createdAt: 0, createdBy: 'admin' },
      { id: 2, type: 'slack', url: 'https://hooks.slack.example/T1', name: '', hasSecret: false, createdAt: 0, createdBy: 'admin' },
    ],
  };
}

async function open(init = sample(), tab = 'monitoring') {
  history.replaceState(null, '', `#${tab}`);
  const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
  const mon: MonitorStub = withMonitoring(r.api, init);
  wrapper = mountIn(r, App);
  const w = wrapper;
  await until(() => expect(r.api.calls.some((c) => c.method === 'listChecks')).toBe(true));
  const count = (m: string): number => r.api.calls.filter((c) => c.method === m).length;
  return { ...r, w, mon, count };
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
    const { w, count } = await open();
    await until(() => expect(w.findAll('[data-test="delivery"]')).toHaveLength(2));
    expect(count('listAlerts')).toBeGreaterThan(0);
    const [failed, ok] = w.findAll('[data-test="delivery"]');
    expect(failed!.attributes('data-state')).toBe('failed');
    expect(failed!.text()).toContain('Failed');
    expect(failed!.text()).toContain('ops hook');
    expect(failed!.text()).toContain('5 attempts');
    expect(failed!.text()).toContain('HTTP 502 from hooks.example.com');
    expect(ok!.text()).toContain('Delivered');
    expect(w.get('[data-alert="41"]').text()).toContain('db port');
  });

  it('fetches a chart series only once the chart comes into view, and summarises it in words', async () => {
    const init = sample();
    const { w, mon, api } = await open({ ...init, checks: [init.checks![0]!] });
    mon.series.set(1, { checkId: 1, location: 'lab-a', points: [{ at: NOW - 60_000, responseTime: 40, ok: true }, { at: NOW - 30_000, responseTime: 60, ok: true }, { at: NOW, responseTime: 2000, ok: false }] });
    await until(() => expect(w.get('[data-test="chart-summary"]').text()).toContain('3 results from lab-a'));
    expect(w.get('[data-test="chart-summary"]').text()).toContain('median 60 ms · 1 failed · last failed');
    const first = api.calls.find((c) => c.method === 'checkSeries')!;
    expect(first.args).toEqual([1, 24]);
    await w.get('[data-check="1"] [data-hours="168"]').trigger('click');
    await until(() => expect(api.calls.filter((c) => c.method === 'checkSeries').at(-1)!.args).toEqual([1, 168]));
  });

  it("a node that keeps no results says so in the chart's place, not in a toast per chart", async () => {
    const init = sample();
    history.replaceState(null, '', '#monitoring');
    const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
    const mon = withMonitoring(r.api, init);
    mon.failNext('checkSeries', { code: 'NOT_FOUND', message: 'this node runs no checks, so it keeps no results' } as never);
    wrapper = mountIn(r, App);
    const w = wrapper;
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
    const { w, mon, api } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    await w.get('button[aria-label="Add check"], [data-test="add-check"]').trigger('click');
    const form = w.get('[data-test="check-form"]');
    await form.get('input[name="name"]').setValue('private');
    await form.get('input[name="target"]').setValue('http://10.1.2.3/');
    mon.failNext('addCheck', { code: 'BAD_REQUEST', message: 'target 10.1.2.3 is a private address, and the admin has forbidden them' } as never);
    await form.trigger('submit');
    await until(() => expect(w.get('[data-test="check-form-error"]').text()).toContain('private address'));
    await w.get('button[aria-label="Close dialog"]').trigger('click');
    await w.get('button[aria-label="Edit db port"]').trigger('click');
    const edit = w.get('[data-test="check-form"]');
    expect((edit.get('input[name="target"]').element as HTMLInputElement).value).toBe('db-03:5432');
    await edit.get('input[name="intervalSec"]').setValue('15');
    await edit.trigger('submit');
    await until(() => expect(api.calls.some((c) => c.method === 'updateCheck')).toBe(true));
    expect(api.calls.find((c) => c.method === 'updateCheck')!.args).toEqual([2, { intervalSec: 15 }]);
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
    const { w, count } = await open({ ...sample(), admin: false });
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
    const { w, api, mon, count } = await open();
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(2));
    const before = count('listChecks');
    mon.checks = mon.checks.map((c) => (c.id === 1 ? { ...c, verdict: 'PARTIAL' } : c));
    const alert = { id: 50, change: { checkId: 1, name: 'Billing health', server: 'web-01', verdict: 'PARTIAL', previous: 'UP', at: iso(NOW), locations: [] }, muted: false, deliveries: [] } satisfies Alert;
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) api.emit({ type: 'verdict', alert });
    await until(() => expect(w.get('[data-check="1"] .verdict').attributes('data-verdict')).toBe('PARTIAL'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(VERDICT_DEBOUNCE_MS - 5);
    expect(count('listChecks')).toBe(before + 1);
  });

  it('a failing list shows one error toast, not one per poll', async () => {
    history.replaceState(null, '', '#monitoring');
    const r = rig({ board: smallBoard(demoBoard(NOW)), now: () => NOW });
    const mon = withMonitoring(r.api, sample());
    mon.failNext('listChecks', { code: 'SERVICE_UNAVAILABLE', message: 'the node is starting' } as never);
    wrapper = mountIn(r, App);
    await until(() => expect(document.querySelector('.toast-error')?.textContent).toContain('Could not load the checks: the node is starting'));
    expect(wrapper.get('[role="alert"].form-error').text()).toContain('the node is starting');
  });

  it('hostile content stays inside the card: a 2 KB target and a 100-character name wrap', async () => {
    const { w } = await open({ checks: [check(9, { name: 'N'.repeat(100), target: `https://example.com/${'a'.repeat(2000)}` })], alerts: [], targets: [] });
    await until(() => expect(w.findAll('[data-check]')).toHaveLength(1));
    expect(w.get('.check-name').text()).toHaveLength(100);
    // the layout rule that keeps the page from scrolling sideways (checked in Chromium by the e2e test)
    expect(w.get('[data-test="check-target"]').classes()).toContain('check-target');
  });
});
